/**
 * Fuzzing the resume file parser: whatever bytes are on disk (a torn write, a disk error, a
 * hostile file), `decodeResume` returns coherent data or throws `ResumeDataError`, nothing else.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { encode } from '../../src/bencode/encode.js';
import type { Encodable } from '../../src/bencode/types.js';
import { Bitfield } from '../../src/storage/bitfield.js';
import { ResumeDataError } from '../../src/storage/errors.js';
import { decodeResume, encodeResume, type ResumeData } from '../../src/storage/resume-codec.js';

const SEED = 20240611;

const resumeData: fc.Arbitrary<ResumeData> = fc
  .record({
    hashLength: fc.constantFrom(20, 32),
    pieceLength: fc.integer({ min: 1, max: 1 << 24 }),
    pieces: fc.array(fc.boolean(), { maxLength: 70 }),
    files: fc.array(fc.option(fc.record({ size: fc.maxSafeNat(), mtimeNs: fc.bigInt({ min: 0n, max: 2n ** 64n }) })), { maxLength: 5 }),
    clean: fc.boolean(),
  })
  .map((r) => {
    const have = new Bitfield(r.pieces.length);
    r.pieces.forEach((b, i) => b && have.set(i));
    return {
      infoHash: new Uint8Array(r.hashLength).fill(3),
      pieceLength: r.pieceLength,
      have,
      files: r.files.map((f) => (f ? { exists: true, ...f } : { exists: false, size: 0, mtimeNs: 0n })),
      clean: r.clean,
    };
  });

function check(bytes: Uint8Array): void {
  let d: ResumeData;
  try {
    d = decodeResume(bytes, { maxBytes: 4096, maxPieces: 1000, maxFiles: 8 });
  } catch (e) {
    if (!(e instanceof ResumeDataError)) throw new Error(`non-ResumeDataError: ${String(e)}`, { cause: e });
    return;
  }
  assert.ok(d.have.count <= d.have.length);
  assert.ok(d.files.length <= 8);
  assert.ok(d.infoHash.length === 20 || d.infoHash.length === 32);
}

function mutate(b: Uint8Array, at: number, kind: number, byte: number): Uint8Array {
  const i = b.length === 0 ? 0 : at % b.length;
  const out = Uint8Array.from(b);
  if (kind === 0) return out.subarray(0, i);
  if (kind === 1 && out.length > 0) out[i] ^= byte | 1;
  if (kind === 2) return Uint8Array.from([...out.subarray(0, i), byte, ...out.subarray(i)]);
  return out;
}

describe('resume data fuzzing: ResumeDataError only', () => {
  it('round-trips arbitrary resume data', () => {
    fc.assert(fc.property(resumeData, (d) => {
      const back = decodeResume(encodeResume(d));
      assert.deepEqual(back.have.toBytes(), d.have.toBytes());
      assert.deepEqual(back.files, d.files);
      assert.equal(back.clean, d.clean);
    }), { seed: SEED, numRuns: 500 });
  });

  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { seed: SEED, numRuns: 5000 });
  });

  it('mutated valid files (cuts, bit flips, inserted bytes)', () => {
    const mutation = fc.tuple(fc.nat(), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 255 }));
    fc.assert(fc.property(resumeData, fc.array(mutation, { minLength: 1, maxLength: 3 }), (d, ms) => {
      check(ms.reduce((b, [at, kind, byte]) => mutate(b, at, kind, byte), encodeResume(d)));
    }), { seed: SEED, numRuns: 5000 });
  });

  it('well-formed bencode of the wrong shape', () => {
    const anyValue = fc.letrec<{ v: unknown }>((tie) => ({
      v: fc.oneof({ maxDepth: 3 }, fc.integer(), fc.uint8Array({ maxLength: 40 }), fc.array(tie('v'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('shoal resume', 'info hash', 'piece length', 'piece count', 'pieces', 'files', 'clean'), tie('v'))),
    })).v;
    // The arbitrary builds only integers, byte strings, lists and dicts: all Encodable.
    fc.assert(fc.property(anyValue, (v) => check(encode(v as Encodable))), { seed: SEED, numRuns: 3000 });
  });
});
