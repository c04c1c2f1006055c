/**
 * Fuzzing of the wire message decoder (BEP 3 framing): random and mutated byte streams, pushed
 * in random chunkings, only ever yield messages or a PeerProtocolError, never another
 * exception, never a hang; and the chunking never changes what is decoded.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { MessageDecoder, type MessageDecoderOptions } from '../../src/wire/decoder.js';
import { PeerProtocolError } from '../../src/wire/errors.js';
import { encodeMessage, type WireMessage } from '../../src/wire/messages.js';

const SEED = 20240701;
const CORPUS = resolve(import.meta.dirname, '..', '..', '..', 'test', 'fuzz', 'corpus', 'wire');

const u32 = fc.integer({ min: 0, max: 0xffffffff });
const num = fc.oneof(fc.integer({ min: 0, max: 40_000 }), u32);
const bytes = (max: number) => fc.uint8Array({ maxLength: max });
const UNKNOWN_IDS = [10, 11, 12, 18, 19, 24, 99, 255];

const wireMessage: fc.Arbitrary<WireMessage> = fc.oneof(
  fc.constantFrom<WireMessage>({ type: 'keep_alive' }, { type: 'choke' }, { type: 'unchoke' }, { type: 'interested' }, { type: 'not_interested' }, { type: 'have_all' }, { type: 'have_none' }),
  fc.record({ type: fc.constantFrom('have' as const, 'suggest' as const, 'allowed_fast' as const), index: num }),
  fc.record({ type: fc.constant('bitfield' as const), bitfield: bytes(8) }),
  fc.record({ type: fc.constantFrom('request' as const, 'cancel' as const, 'reject' as const), index: num, begin: num, length: num }),
  fc.record({ type: fc.constant('piece' as const), index: num, begin: num, block: bytes(40) }),
  fc.record({ type: fc.constant('port' as const), port: fc.integer({ min: 0, max: 65535 }) }),
  fc.record({ type: fc.constant('extended' as const), id: fc.integer({ min: 0, max: 255 }), payload: bytes(40) }),
  fc.record({
    type: fc.constantFrom('hash_request' as const, 'hash_reject' as const),
    piecesRoot: fc.uint8Array({ minLength: 32, maxLength: 32 }), baseLayer: num, index: num, length: num, proofLayers: num,
  }),
  fc.record({
    type: fc.constant('hashes' as const),
    piecesRoot: fc.uint8Array({ minLength: 32, maxLength: 32 }), baseLayer: num, index: num, length: num, proofLayers: num,
    hashes: fc.integer({ min: 0, max: 4 }).map((n) => new Uint8Array(32 * n).fill(7)),
  }),
  fc.record({ type: fc.constant('unknown' as const), id: fc.constantFrom(...UNKNOWN_IDS), payload: bytes(16) }),
);

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'cut'; at: number }
  | { kind: 'splice'; at: number; bytes: Uint8Array }
  | { kind: 'duplicate'; at: number; length: number; to: number }
  | { kind: 'delete'; at: number; length: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 13, 20) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), bytes: bytes(12) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 24 }), to: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
);

function mutate(input: Uint8Array, m: Mutation): Uint8Array {
  const n = input.length;
  const at = n === 0 ? 0 : m.at % (n + 1);
  const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));
  switch (m.kind) {
    case 'flip':
    case 'set': {
      if (n === 0) return input;
      const out = input.slice();
      if (m.kind === 'flip') out[m.at % n] ^= 1 << m.bit;
      else out[m.at % n] = m.value;
      return out;
    }
    case 'cut':
      return input.slice(0, at);
    case 'splice':
      return cat(input.subarray(0, at), m.bytes, input.subarray(at));
    case 'duplicate': {
      const chunk = input.subarray(at, at + m.length);
      const to = m.to % (n + 1);
      return cat(input.subarray(0, to), chunk, input.subarray(to));
    }
    case 'delete':
      return cat(input.subarray(0, at), input.subarray(at + m.length));
  }
}

/** Cut points: the sizes of successive chunks (cycled). */
const chunking = fc.array(fc.integer({ min: 1, max: 70 }), { minLength: 1, maxLength: 8 });

function* chunks(input: Uint8Array, sizes: readonly number[]): Generator<Uint8Array> {
  let o = 0;
  for (let i = 0; o < input.length; i++) {
    const n = sizes[i % sizes.length];
    yield input.subarray(o, o + n);
    o += n;
  }
}

const MODES: readonly MessageDecoderOptions[] = [{}, { maxMessageLength: 64, maxBlockLength: 32 }];

interface Outcome {
  messages: string[];
  error?: string;
}

const show = (m: WireMessage) => JSON.stringify(m, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v));

function run(input: Uint8Array, sizes: readonly number[] | undefined, mode: MessageDecoderOptions): Outcome {
  const d = new MessageDecoder(mode);
  const out: Outcome = { messages: [] };
  const parts = sizes ? chunks(input, sizes) : [input];
  try {
    for (const part of parts) {
      d.push(part);
      for (let m = d.next(); m; m = d.next()) out.messages.push(show(m));
    }
  } catch (e) {
    if (!(e instanceof PeerProtocolError)) throw new Error(`non-PeerProtocolError for ${Buffer.from(input).toString('hex')}: ${String(e)}`, { cause: e });
    out.error = e.violation;
  }
  return out;
}

/** Decodes whole and chunked in every mode: only PeerProtocolError, and the same outcome either way. */
function checkDecoder(input: Uint8Array, sizes: readonly number[]): void {
  for (const mode of MODES) assert.deepEqual(run(input, sizes, mode), run(input, undefined, mode));
}

const stream = fc.array(wireMessage, { maxLength: 12 }).map((ms) => Uint8Array.from(Buffer.concat(ms.map(encodeMessage))));

describe('wire decoder fuzzing: only PeerProtocolError, chunking-independent', () => {
  it('random bytes', () => {
    fc.assert(fc.property(bytes(96), chunking, (x, c) => checkDecoder(x, c)), { seed: SEED, numRuns: 6000 });
  });
  it('random bytes behind a plausible length prefix', () => {
    const framed = fc.tuple(fc.integer({ min: 0, max: 80 }), fc.integer({ min: 0, max: 30 }), bytes(80)).map(([len, id, body]) => Uint8Array.from([0, 0, 0, len, id, ...body]));
    fc.assert(fc.property(framed, chunking, (x, c) => checkDecoder(x, c)), { seed: SEED, numRuns: 6000 });
  });
  it('streams of valid messages decode back to themselves', () => {
    fc.assert(
      fc.property(fc.array(wireMessage, { maxLength: 12 }), chunking, (ms, c) => {
        const input = Uint8Array.from(Buffer.concat(ms.map(encodeMessage)));
        const got = run(input, c, {});
        assert.equal(got.error, undefined);
        assert.deepEqual(got.messages, ms.map(show));
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
  it('mutated streams of valid messages', () => {
    fc.assert(
      fc.property(stream, fc.array(mutation, { minLength: 1, maxLength: 4 }), chunking, (s, ms, c) => checkDecoder(ms.reduce(mutate, s), c)),
      { seed: SEED, numRuns: 6000 },
    );
  });
  it('a huge declared length fails fast without buffering', () => {
    const started = performance.now();
    const d = new MessageDecoder();
    d.push(Uint8Array.from([0x7f, 0xff, 0xff, 0xff, 20]));
    assert.throws(() => d.next(), PeerProtocolError);
    assert.ok(performance.now() - started < 100);
  });
});

describe('wire decoder fuzz corpus', () => {
  const files = readdirSync(CORPUS).filter((f) => f.startsWith('decoder-') && f.endsWith('.bin')).sort();
  it('has a corpus to replay', () => assert.ok(files.length >= 8, `corpus at ${CORPUS}`));
  for (const name of files) {
    it(`replays ${name}`, () => {
      const input = Uint8Array.from(readFileSync(join(CORPUS, name)));
      const outcome = run(input, undefined, {});
      if (name.startsWith('decoder-valid-')) assert.equal(outcome.error, undefined, name);
      else {
        assert.ok(name.startsWith('decoder-invalid-'), `decoder corpus names start with decoder-valid- or decoder-invalid-: ${name}`);
        assert.notEqual(outcome.error, undefined, name);
      }
      fc.assert(fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), chunking, (ms, c) => checkDecoder(ms.reduce(mutate, input), c)), { seed: SEED, numRuns: 200 });
    });
  }
});
