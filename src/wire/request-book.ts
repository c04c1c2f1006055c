/**
 * The block requests of one connection, both ways (BEP 3, with BEP 6's "exactly one answer
 * per request" when the fast extension is on).
 *
 * - `ours`: requests we sent and still expect an answer to (piece, or reject with fast).
 * - `late`: requests we stopped waiting for (cancelled without fast, lost to a choke, or
 *   abandoned after our request timeout) whose answer may still come, with how many: a block
 *   abandoned and asked for again can arrive twice, and neither copy is a violation. Bounded,
 *   oldest forgotten first.
 * - `theirs`: the peer's requests we accepted and have not answered.
 */
import type { BlockRef } from './messages.js';

export function blockKey(index: number, begin: number, length: number): string {
  return `${index}:${begin}:${length}`;
}

export class RequestBook {
  readonly ours = new Map<string, BlockRef>();
  /** Answers still tolerated per block (see the file comment); made on first use (most connections never cancel). */
  private late: Map<string, number> | undefined;
  readonly theirs = new Map<string, BlockRef>();

  constructor(private readonly maxLate: number) {}

  /** A new request of ours; an earlier one for the same block may still be answered too (it stays in `late`). */
  addOurs(index: number, begin: number, length: number): boolean {
    const key = blockKey(index, begin, length);
    if (this.ours.has(key)) return false;
    this.ours.set(key, { index, begin, length });
    return true;
  }

  /** Moves one of ours to the late set (cancelled without fast, or abandoned). */
  forget(key: string): void {
    if (!this.ours.delete(key)) return;
    const late = (this.late ??= new Map());
    const n = late.get(key) ?? 0;
    late.delete(key); // re-inserted last: the newest is forgotten last
    late.set(key, n + 1);
    if (late.size > this.maxLate) late.delete(late.keys().next().value as string);
  }

  /** Every one of ours moves to the late set (the peer choked us without fast); returns them. */
  forgetAll(): BlockRef[] {
    const out = [...this.ours.values()];
    for (const key of [...this.ours.keys()]) this.forget(key);
    return out;
  }

  /** An answer (piece or reject) for one of ours arrived: true when we asked for it (or still tolerate it). */
  settle(index: number, begin: number, length: number): boolean {
    const key = blockKey(index, begin, length);
    if (this.ours.delete(key)) return true;
    const late = this.late;
    const n = late?.get(key);
    if (late === undefined || n === undefined) return false;
    if (n <= 1) late.delete(key);
    else late.set(key, n - 1);
    return true;
  }

  /** Whether `settle` would accept this answer, without settling. */
  expects(index: number, begin: number, length: number): boolean {
    const key = blockKey(index, begin, length);
    return this.ours.has(key) || (this.late?.has(key) ?? false);
  }
}
