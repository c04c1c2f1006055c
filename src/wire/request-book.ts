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

/** What `ours` and `theirs` read as before their first entry: never written to. */
const NONE: ReadonlyMap<string, BlockRef> = new Map();

export class RequestBook {
  /**
   * The maps are made on first use: most of a swarm's connections are choked both ways and
   * never exchange a request, and two empty maps were ~380 bytes of each one.
   */
  private oursMap: Map<string, BlockRef> | undefined;
  /** Answers still tolerated per block (see the file comment); made on first use (most connections never cancel). */
  private late: Map<string, number> | undefined;
  private theirsMap: Map<string, BlockRef> | undefined;

  constructor(private readonly maxLate: number) {}

  /** Our requests still expecting an answer. */
  get ours(): ReadonlyMap<string, BlockRef> {
    return this.oursMap ?? NONE;
  }

  /** The peer's requests we accepted and have not answered. */
  get theirs(): ReadonlyMap<string, BlockRef> {
    return this.theirsMap ?? NONE;
  }

  /** Accepts one of the peer's requests under `key` (`blockKey`). */
  addTheirs(key: string, r: BlockRef): void {
    (this.theirsMap ??= new Map()).set(key, r);
  }

  /** One of the peer's requests is answered or withdrawn: false when it was not held. */
  deleteTheirs(key: string): boolean {
    return this.theirsMap?.delete(key) ?? false;
  }

  /** A new request of ours; an earlier one for the same block may still be answered too (it stays in `late`). */
  addOurs(index: number, begin: number, length: number): boolean {
    const key = blockKey(index, begin, length);
    const ours = (this.oursMap ??= new Map());
    if (ours.has(key)) return false;
    ours.set(key, { index, begin, length });
    return true;
  }

  /** Moves one of ours to the late set (cancelled without fast, or abandoned). */
  forget(key: string): void {
    if (!(this.oursMap?.delete(key) ?? false)) return;
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
    if (this.oursMap?.delete(key) ?? false) return true;
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
