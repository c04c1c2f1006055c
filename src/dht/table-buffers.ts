/**
 * Array buffers for packed routing tables (./packed-entries.ts), reused rather than made: at
 * a million simulated nodes, with gigabytes of buffers alive, each new array buffer cost a V8
 * marking step on the main thread (docs/dht.md, "Array buffers"). Synchronous use only.
 */
import { ENTRY_WORDS } from './entry-record.js';

let scratch = new Int32Array(ENTRY_WORDS * 64);

/** Scratch space of at least `words` (a bucket split's copy), shared by every table; the next call may reuse it. */
export function splitScratch(words: number): Int32Array {
  if (scratch.length < words) scratch = new Int32Array(2 * words);
  return scratch;
}

/**
 * Buffers that tables grew out of, by length, kept for the next table that grows to that
 * length: a simulation's tables all pass through the same sizes, so one joining after another
 * takes what the one before left. At most `SPARE_PER_LENGTH` a length.
 */
const spare = new Map<number, Int32Array[]>();
const SPARE_PER_LENGTH = 1024;

/** A zeroed buffer of `words`, one another table gave back if there is one. */
export function takeBuffer(words: number): Int32Array {
  const b = spare.get(words)?.pop();
  if (b === undefined) return new Int32Array(words);
  b.fill(0);
  return b;
}

/** A buffer a table grew out of (no longer used by it). */
export function giveBuffer(b: Int32Array): void {
  let list = spare.get(b.length);
  if (list === undefined) spare.set(b.length, (list = []));
  if (list.length < SPARE_PER_LENGTH) list.push(b);
}
