/**
 * The block requests of one connection, both ways (BEP 3, with BEP 6's "exactly one answer
 * per request" when the fast extension is on).
 *
 * - `ours`: requests we sent and still expect an answer to (piece, or reject with fast).
 * - `late`: (without fast) requests we cancelled or lost to a choke; the peer may still send
 *   the block, which is then not a violation. Bounded, oldest forgotten first.
 * - `theirs`: the peer's requests we accepted and have not answered.
 */
import type { BlockRef } from './messages.js';

export function blockKey(index: number, begin: number, length: number): string {
  return `${index}:${begin}:${length}`;
}

export class RequestBook {
  readonly ours = new Map<string, BlockRef>();
  private readonly late = new Map<string, BlockRef>();
  readonly theirs = new Map<string, BlockRef>();

  constructor(private readonly maxLate: number) {}

  addOurs(index: number, begin: number, length: number): boolean {
    const key = blockKey(index, begin, length);
    if (this.ours.has(key)) return false;
    this.late.delete(key);
    this.ours.set(key, { index, begin, length });
    return true;
  }

  /** Moves one of ours to the late set (cancelled without fast). */
  forget(key: string): void {
    const r = this.ours.get(key);
    if (!r) return;
    this.ours.delete(key);
    this.late.set(key, r);
    if (this.late.size > this.maxLate) this.late.delete(this.late.keys().next().value as string);
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
    return this.ours.delete(key) || this.late.delete(key);
  }

  /** Whether `settle` would accept this answer, without settling. */
  expects(index: number, begin: number, length: number): boolean {
    const key = blockKey(index, begin, length);
    return this.ours.has(key) || this.late.has(key);
  }
}
