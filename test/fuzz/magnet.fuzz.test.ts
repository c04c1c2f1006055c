/** Fuzzing of parseMagnet: random and mutated magnet strings only ever throw MagnetError. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MagnetError, formatMagnet, parseMagnet, type Magnet } from '../../src/metainfo/magnet.js';
import { assertFast, assertOnly } from './mutations.js';

const SEED = 20240602;

const VALID = [
  'magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&dn=Sintel&tr=udp%3A%2F%2Ft.example%3A1337&x.pe=1.2.3.4:5',
  'magnet:?xt=urn:btih:YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK&so=0,2,4-6&ws=https%3A%2F%2Fw.example%2F',
  'magnet:?xt=urn:btmh:1220d8dd32ac93357c368556af3ac1d95c9d76bd0dff6fa9833ecdac3d53134efabb&x.pe=%5B::1%5D:6881',
  'magnet:?xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a&xt=urn:btmh:1220d8dd32ac93357c368556af3ac1d95c9d76bd0dff6fa9833ecdac3d53134efabb&dn=%E6%97%A5',
];

/** Pieces that steer mutations toward the parser's interesting branches. */
const TOKENS = [
  'magnet:?', '&', '=', '%', '%2', '%zz', '%E6%97', '+', 'xt=', 'xt.1=', 'urn:btih:', 'urn:btmh:', '1220', 'dn=', 'tr=', 'tr.3=',
  'ws=', 'x.pe=', '[', ']', ':', '::1', '65535', '65536', '0', 'so=', ',', '-', '999999999999999', '0-99999999', 'YEX6DQDL',
  'c12fe1c06bba254a', '\u0000', '\ud800', '日本',
];

const chunk = fc.oneof(fc.constantFrom(...TOKENS), fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 4 }));

type Edit = { kind: 'insert' | 'delete' | 'replace' | 'cut'; at: number; length: number; text: string };
const edit: fc.Arbitrary<Edit> = fc.record({
  kind: fc.constantFrom('insert' as const, 'delete' as const, 'replace' as const, 'cut' as const),
  at: fc.nat(),
  length: fc.integer({ min: 1, max: 12 }),
  text: chunk,
});

function apply(s: string, e: Edit): string {
  const at = e.at % (s.length + 1);
  switch (e.kind) {
    case 'insert':
      return s.slice(0, at) + e.text + s.slice(at);
    case 'delete':
      return s.slice(0, at) + s.slice(at + e.length);
    case 'replace':
      return s.slice(0, at) + e.text + s.slice(at + e.length);
    case 'cut':
      return s.slice(0, at);
  }
}

/** parseMagnet either throws MagnetError or succeeds with a value formatMagnet writes back canonically. */
function check(uri: string): void {
  let m: Magnet;
  try {
    m = parseMagnet(uri, { maxSelectOnly: 4096 });
  } catch (e) {
    assertOnly(e, MagnetError, () => JSON.stringify(uri));
    return;
  }
  assert.ok(m.infoHashV1 !== undefined || m.infoHashV2 !== undefined);
  if (m.infoHashV1) assert.equal(m.infoHashV1.length, 20);
  if (m.infoHashV2) assert.equal(m.infoHashV2.length, 32);
  const again = formatMagnet(m);
  assert.deepEqual(formatMagnet(parseMagnet(again, { maxSelectOnly: 4096, maxLength: Infinity })), again);
}

describe('magnet fuzzing: only MagnetError', () => {
  it('the seeds parse', () => VALID.forEach((v) => assert.ok(parseMagnet(v))));
  it('random strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), check), { seed: SEED, numRuns: 3000 });
  });
  it('random strings that start like a magnet', () => {
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 16 }), (parts) => check(`magnet:?${parts.join('')}`)),
      { seed: SEED, numRuns: 5000 },
    );
  });
  it('mutated valid magnets', () => {
    fc.assert(
      fc.property(fc.constantFrom(...VALID), fc.array(edit, { minLength: 1, maxLength: 4 }), (v, edits) => check(edits.reduce(apply, v))),
      { seed: SEED, numRuns: 8000 },
    );
  });
  it('huge and pathological inputs fail fast', () => {
    const h = 'xt=urn:btih:c12fe1c06bba254a9dc9f519b335aa7c1367a88a';
    assertFast(3000, () => {
      for (const uri of [
        `magnet:?${'&'.repeat(60_000)}`,
        `magnet:?${h}&so=0-999999999999999`,
        `magnet:?${h}&so=${'1,'.repeat(20_000)}1`,
        `magnet:?${h}&so=${'0-4000,'.repeat(9000)}0`, // overlapping ranges must not cost 9000 × 4000
        `magnet:?${h}${'&so=0-4000'.repeat(6000)}`,
        `magnet:?${h}&dn=${'%'.repeat(60_000)}`,
        `magnet:?${h}&x.pe=${'['.repeat(60_000)}`,
        `magnet:?${h}${'&x.pe=1.2.3.4:1'.repeat(4000)}`,
        `magnet:?${'x'.repeat(1_000_000)}`,
      ]) {
        check(uri);
      }
    });
  });
});
