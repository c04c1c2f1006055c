/**
 * Property and fuzz tests of the bencode codec. Everything runs with a fixed seed, so a failure
 * replays; the decoder must only ever throw BencodeError, and never hang.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BencodeError, decode, decodeWithSpans, encode, type BValue, type DecodeOptions } from '../../src/bencode/index.js';
import { assertFast, assertMutants, assertOnly, bencodeLike, byteMutation, corpusDir, corpusFiles, mutate, readCorpus } from './mutations.js';

const SEED = 20240601;
const CORPUS = corpusDir('bencode');

const MODES: readonly (DecodeOptions | undefined)[] = [
  undefined,
  { strict: false },
  { strict: false, maxDepth: 3, maxStringLength: 8, copy: true },
  { allowTrailing: true },
];

const safe = (n: bigint): number | bigint => (n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n);
const binaryKey = fc.uint8Array({ maxLength: 6 }).map((u) => Buffer.from(u).toString('latin1'));

/** Arbitrary bencode values in the decoder's own representation (safe integers as numbers). */
const { value: bvalue } = fc.letrec<{ value: BValue; list: BValue[]; dict: Map<string, BValue> }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 4 },
    fc.uint8Array({ maxLength: 24 }),
    fc.maxSafeInteger(),
    fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }).map(safe),
    tie('list'),
    tie('dict'),
  ),
  list: fc.array(tie('value'), { maxLength: 5 }),
  dict: fc.array(fc.tuple(binaryKey, tie('value')), { maxLength: 5 }).map((entries) => new Map(entries)),
}));

/** Bytes that look like bencode more often than uniformly random bytes would. */
const bencodeishBytes = bencodeLike(64);
const mutation = byteMutation({ splice: bencodeishBytes, maxDuplicate: 16 });

/** Decodes in every mode; asserts the only failure is BencodeError and that what succeeds is coherent. */
function check(input: Uint8Array): void {
  for (const mode of MODES) {
    let value: BValue;
    try {
      const r = decodeWithSpans(input, mode);
      value = r.value;
      if (typeof value === 'object') assert.deepEqual(r.raw(value), input.subarray(0, r.end));
    } catch (e) {
      assertOnly(e, BencodeError, () => Buffer.from(input).toString('latin1'));
      continue;
    }
    if (mode === undefined) {
      // Strict decoding accepts only canonical bencode, so re-encoding gives the input back.
      assert.deepEqual(encode(value), input);
    } else if (mode.strict === false) {
      assert.deepEqual(decode(encode(value)), value);
    }
  }
}

const document = bvalue.map((v) => encode(v));

describe('bencode round trips (fast-check)', () => {
  it('decode(encode(v)) equals v for arbitrary values', () => {
    fc.assert(
      fc.property(bvalue, (v) => {
        assert.deepEqual(decode(encode(v)), v);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
  it('encode(decode(x)) equals x for arbitrary canonical documents', () => {
    fc.assert(
      fc.property(document, (x) => {
        assert.deepEqual(encode(decode(x)), x);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});

describe('bencode fuzzing: only BencodeError, never a hang', () => {
  it('random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 48 }), (x) => check(x)), { seed: SEED, numRuns: 10000 });
  });
  it('random bencode-looking bytes', () => {
    fc.assert(fc.property(bencodeishBytes, (x) => check(x)), { seed: SEED, numRuns: 10000 });
  });
  it('mutated valid documents (bit flips, cuts, splices, duplicated and deleted chunks)', () => {
    fc.assert(
      fc.property(document, fc.array(mutation, { minLength: 1, maxLength: 4 }), (doc, ms) => check(ms.reduce(mutate, doc))),
      { seed: SEED, numRuns: 10000 },
    );
  });
  it('pathological inputs fail fast', () => {
    assertFast(5000, () => {
      const nasty = [
        '9999999999:',
        `${'9'.repeat(64)}:`,
        `i${'9'.repeat(100_000)}e`,
        'l'.repeat(1_000_000),
        'd1:a'.repeat(100_000),
        `${'l'.repeat(64)}${'i0e'.repeat(100_000)}`,
        `d${'0:'.repeat(100_000)}`,
      ];
      for (const s of nasty) check(Uint8Array.from(Buffer.from(s, 'latin1')));
      // Nesting deeper than the stack with a caller-raised maxDepth is still a BencodeError.
      assert.throws(() => decode(Uint8Array.from(Buffer.from('l'.repeat(500_000) + 'e'.repeat(500_000))), { maxDepth: 10_000_000 }), BencodeError);
    }, 'pathological inputs took too long');
  });
});

describe('bencode fuzz corpus', () => {
  const files = corpusFiles(CORPUS);
  it('has a corpus to replay', () => assert.ok(files.length >= 30, `corpus at ${CORPUS}`));
  for (const name of files) {
    it(`replays ${name}`, () => {
      const input = readCorpus(CORPUS, name);
      const strict = (): BValue => decode(input);
      const lenient = (): BValue => decode(input, { strict: false });
      if (name.startsWith('valid-')) {
        assert.deepEqual(encode(strict()), input);
      } else if (name.startsWith('lenient-')) {
        assert.throws(strict, BencodeError);
        assert.ok(lenient() !== undefined);
      } else {
        assert.ok(name.startsWith('invalid-'), `corpus file name must start with valid-, lenient- or invalid-: ${name}`);
        assert.throws(strict, BencodeError);
        assert.throws(lenient, BencodeError);
      }
      check(input);
      assertMutants(input, mutation, check, { seed: SEED, numRuns: 100 });
    });
  }
});
