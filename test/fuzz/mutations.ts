/**
 * Shared pieces of the fuzz tests: byte-level mutations, bencode-looking bytes, chunkings of a
 * byte stream, the corpus on disk and its mutated replay, and the "only this error type" check.
 * Not a test file itself; the *.fuzz.test.ts files import it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import fc from 'fast-check';

export const cat = (parts: readonly Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'cut'; at: number }
  | { kind: 'splice'; at: number; bytes: Uint8Array }
  | { kind: 'duplicate'; at: number; length: number; to: number }
  | { kind: 'delete'; at: number; length: number };

export interface MutationOptions {
  /** What a splice inserts. */
  splice: fc.Arbitrary<Uint8Array>;
  /** The longest duplicated chunk. */
  maxDuplicate: number;
  /** When given, also overwrite single bytes with one of these values. */
  set?: readonly number[];
}

/** Arbitrary mutations: bit flips, byte sets (optional), cuts, splices, duplicated and deleted chunks. */
export function byteMutation(options: MutationOptions): fc.Arbitrary<Mutation> {
  const kinds: fc.Arbitrary<Mutation>[] = [fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) })];
  if (options.set) kinds.push(fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(...options.set) }));
  kinds.push(
    fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), bytes: options.splice }),
    fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: options.maxDuplicate }), to: fc.nat() }),
    fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  );
  return fc.oneof(...kinds);
}

/** Applies one mutation; positions wrap around the input's length. Use as `ms.reduce(mutate, input)`. */
export function mutate(input: Uint8Array, m: Mutation): Uint8Array {
  const n = input.length;
  const at = n === 0 ? 0 : m.at % (n + 1);
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
      return cat([input.subarray(0, at), m.bytes, input.subarray(at)]);
    case 'duplicate': {
      const to = m.to % (n + 1);
      return cat([input.subarray(0, to), input.subarray(at, at + m.length), input.subarray(to)]);
    }
    case 'delete':
      return cat([input.subarray(0, at), input.subarray(at + m.length)]);
  }
}

/** Bytes that look like bencode more often than uniformly random bytes would. */
export function bencodeLike(maxLength: number): fc.Arbitrary<Uint8Array> {
  const tokens = [...'ilde0123456789:-'].map((c) => c.charCodeAt(0));
  const byte = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...tokens) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 255 }) });
  return fc.array(byte, { maxLength }).map((a) => Uint8Array.from(a));
}

/** Chunkings of a stream: the sizes of successive chunks (cycled), each 1 to `maxSize`. */
export const chunking = (maxSize: number): fc.Arbitrary<number[]> => fc.array(fc.integer({ min: 1, max: maxSize }), { minLength: 1, maxLength: 8 });

/** Cuts `input` into chunks of the given sizes, cycled; nothing for an empty input. */
export function* chunks(input: Uint8Array, sizes: readonly number[]): Generator<Uint8Array> {
  let o = 0;
  for (let i = 0; o < input.length; i++) {
    const n = sizes[i % sizes.length];
    yield input.subarray(o, o + n);
    o += n;
  }
}

/** The corpus folder `test/fuzz/corpus/<name>` in the source tree (the tests run from dist/test/fuzz). */
export const corpusDir = (name: string): string => resolve(import.meta.dirname, '..', '..', '..', 'test', 'fuzz', 'corpus', name);

/** The sorted `.bin` files of a corpus folder that `keep` accepts. */
export const corpusFiles = (dir: string, keep: (name: string) => boolean = () => true): string[] =>
  readdirSync(dir).filter((f) => f.endsWith('.bin') && keep(f)).sort();

export const readCorpus = (dir: string, name: string): Uint8Array => Uint8Array.from(readFileSync(join(dir, name)));

/**
 * Checks `check` on mutants of a corpus input (1 to 3 mutations each), fed in arbitrary chunkings
 * when `sizes` is given (without it, `check` gets an empty size list).
 */
export function assertMutants(
  input: Uint8Array,
  mutations: fc.Arbitrary<Mutation>,
  check: (mutant: Uint8Array, sizes: readonly number[]) => void,
  params: { seed: number; numRuns: number },
  sizes?: fc.Arbitrary<number[]>,
): void {
  const ms = fc.array(mutations, { minLength: 1, maxLength: 3 });
  if (sizes) fc.assert(fc.property(ms, sizes, (m, c) => check(m.reduce(mutate, input), c)), params);
  else fc.assert(fc.property(ms, (m) => check(m.reduce(mutate, input), [])), params);
}

/** Rethrows `e`, wrapped with `what()` for the report, unless it is an instance of `type`. */
export function assertOnly<E extends Error>(e: unknown, type: abstract new (...args: never[]) => E, what: () => string): asserts e is E {
  if (!(e instanceof type)) throw new Error(`non-${type.name} for ${what()}: ${String(e)}`, { cause: e });
}

/** Runs `fn` and asserts it took less than `ms` milliseconds. */
export function assertFast(ms: number, fn: () => void, message = `took ${ms} ms or more`): void {
  const started = performance.now();
  fn();
  assert.ok(performance.now() - started < ms, message);
}
