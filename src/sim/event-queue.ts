/**
 * The simulator's event queue: a min-heap keyed by (virtual time, insertion sequence), so
 * events at the same instant run in the order they were scheduled and a run replays
 * exactly.
 *
 * It is built to allocate nothing per event:
 * - The heap is two parallel typed arrays kept in heap order: times, and interleaved
 *   (sequence, slot) pairs, so comparisons read contiguous memory. It is 4-ary (half the depth of a binary heap, and a
 *   node's children share a cache line) and pops bottom-up (the hole left by the root walks
 *   down to a leaf along the smaller children, then the last entry sifts up from there:
 *   fewer comparisons, since that entry almost always belongs near the bottom).
 * - Each event's payload lives in a recycled *slot*: a function and up to three arguments
 *   in slot-indexed arrays, so hot paths schedule `push(t, deliver, endpoint, data, from)`
 *   with a shared module-level function instead of a fresh closure. Free slots are reused
 *   last-in first-out, which keeps the hot ones in cache.
 * - Cancelling is O(1): the slot is marked and skipped when it reaches the top. A slot's
 *   generation makes a stale cancel (after the event ran and the slot was reused) a no-op.
 *   When cancelled entries outnumber live ones the heap is rebuilt without them, so a
 *   protocol that sets long timeouts and nearly always cancels them stays bounded.
 * - Sequence numbers are 32-bit and compared with serial-number arithmetic (wrap-safe as
 *   long as two events tied at one instant were scheduled fewer than 2^31 events apart).
 */

/** An event body: called with the three arguments it was scheduled with. */
export type EventFn<A, B, C> = (a: A, b: B, c: C) => void;
type StoredFn = (a: unknown, b: unknown, c: unknown) => void;

const ARITY = 4;
/** Compaction waits until at least this many entries are cancelled. */
const COMPACT_MIN = 1024;

export class EventQueue {
  /** Virtual time (ms) of the event being dispatched, or of the last one. */
  now = 0;
  /** Events dispatched so far. */
  dispatched = 0;

  /** Heap entries, including cancelled ones not yet discarded. */
  private count = 0;
  private cancelled = 0;
  private seq = 0;
  private capacity: number;
  // Heap order.
  private hTime: Float64Array;
  /** Interleaved [sequence, slot] pairs, so one cache line serves both. */
  private hMeta: Int32Array;
  // Slot order. A pending slot has a function; a cancelled one has null; a free one undefined.
  private gen: Uint32Array;
  private fns: (StoredFn | null | undefined)[];
  private as: unknown[];
  private bs: unknown[];
  private cs: unknown[];
  private free: Int32Array;
  private freeTop = 0;

  constructor(initialCapacity = 1024) {
    const cap = Math.max(16, initialCapacity | 0);
    this.capacity = cap;
    this.hTime = new Float64Array(cap);
    this.hMeta = new Int32Array(2 * cap);
    this.gen = new Uint32Array(cap);
    this.fns = new Array<StoredFn | null | undefined>(cap).fill(undefined);
    this.as = new Array<unknown>(cap).fill(undefined);
    this.bs = new Array<unknown>(cap).fill(undefined);
    this.cs = new Array<unknown>(cap).fill(undefined);
    this.free = new Int32Array(cap);
    for (let s = cap - 1; s >= 0; s--) this.free[this.freeTop++] = s;
  }

  /** Pending (not cancelled) events. */
  get size(): number {
    return this.count - this.cancelled;
  }

  /** Heap entries including cancelled ones not yet discarded (memory diagnostics). */
  get entries(): number {
    return this.count;
  }

  /** Time of the earliest pending event, or Infinity when none. */
  nextTime(): number {
    if (this.cancelled > 0) this.discardCancelledTop();
    return this.count > 0 ? this.hTime[0] : Infinity;
  }

  /**
   * Schedules `fn(a, b, c)` at virtual time `time` (clamped to `now`: the past is not
   * reachable). Returns the event's slot, for `cancel` together with `generation(slot)`.
   */
  push<A, B, C>(time: number, fn: EventFn<A, B, C>, a: A, b: B, c: C): number {
    if (!(time >= this.now)) time = this.now; // also catches NaN
    if (this.count === this.capacity) this.grow();
    const slot = this.free[--this.freeTop];
    this.fns[slot] = fn as unknown as StoredFn;
    this.as[slot] = a;
    this.bs[slot] = b;
    this.cs[slot] = c;
    const seq = this.seq;
    this.seq = (seq + 1) | 0;
    const hTime = this.hTime;
    const hMeta = this.hMeta;
    // Sift up. `seq` is the newest sequence, so an equal time never moves up.
    let i = this.count++;
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pt = hTime[p];
      if (pt <= time) break;
      hTime[i] = pt;
      hMeta[2 * i] = hMeta[2 * p];
      hMeta[2 * i + 1] = hMeta[2 * p + 1];
      i = p;
    }
    hTime[i] = time;
    hMeta[2 * i] = seq;
    hMeta[2 * i + 1] = slot;
    return slot;
  }

  /** The generation of a slot: pair it with the slot to cancel safely later. */
  generation(slot: number): number {
    return this.gen[slot];
  }

  /** Cancels a pending event. Harmless when it already ran or was cancelled. */
  cancel(slot: number, generation: number): boolean {
    if (slot < 0 || slot >= this.capacity || this.gen[slot] !== generation) return false;
    if (this.fns[slot] == null) return false; // free or already cancelled
    this.fns[slot] = null;
    this.as[slot] = undefined;
    this.bs[slot] = undefined;
    this.cs[slot] = undefined;
    this.cancelled++;
    if (this.cancelled > COMPACT_MIN && this.cancelled * 2 > this.count) this.compact();
    return true;
  }

  /**
   * Pops the earliest pending event, advances `now` to its time and runs it. The caller
   * checks `size > 0` first. The slot is recycled before the body runs, so the body may
   * schedule.
   */
  dispatchNext(): void {
    for (;;) {
      const slot = this.hMeta[1];
      const time = this.hTime[0];
      this.popRoot();
      const fn = this.fns[slot];
      if (fn == null) {
        // A cancelled entry reaching the top.
        this.cancelled--;
        this.release(slot);
        continue;
      }
      const a = this.as[slot];
      const b = this.bs[slot];
      const c = this.cs[slot];
      this.release(slot);
      this.now = time;
      this.dispatched++;
      fn(a, b, c);
      return;
    }
  }

  /** Moves the clock forward to `time` without an event (never backwards). */
  advanceTo(time: number): void {
    if (time > this.now) this.now = time;
  }

  /** Drops every pending event. */
  clear(): void {
    while (this.count > 0) this.release(this.hMeta[2 * --this.count + 1]);
    this.cancelled = 0;
  }

  private discardCancelledTop(): void {
    while (this.count > 0) {
      const slot = this.hMeta[1];
      if (this.fns[slot] != null) return;
      this.popRoot();
      this.cancelled--;
      this.release(slot);
    }
  }

  private release(slot: number): void {
    this.fns[slot] = undefined;
    this.as[slot] = undefined;
    this.bs[slot] = undefined;
    this.cs[slot] = undefined;
    this.gen[slot] = (this.gen[slot] + 1) >>> 0;
    this.free[this.freeTop++] = slot;
  }

  /** Removes the root: the hole walks down the smaller children, then the last entry sifts up. */
  private popRoot(): void {
    const n = --this.count;
    if (n === 0) return;
    const hTime = this.hTime;
    const hMeta = this.hMeta;
    const t = hTime[n];
    const s = hMeta[2 * n];
    const slot = hMeta[2 * n + 1];
    let i = 0;
    for (;;) {
      const first = ARITY * i + 1;
      if (first >= n) break;
      const end = first + ARITY < n ? first + ARITY : n;
      let c = first;
      let ct = hTime[first];
      for (let k = first + 1; k < end; k++) {
        const kt = hTime[k];
        if (kt < ct || (kt === ct && ((hMeta[2 * k] - hMeta[2 * c]) | 0) < 0)) {
          c = k;
          ct = kt;
        }
      }
      hTime[i] = ct;
      hMeta[2 * i] = hMeta[2 * c];
      hMeta[2 * i + 1] = hMeta[2 * c + 1];
      i = c;
    }
    while (i > 0) {
      const p = (i - 1) >> 2;
      const pt = hTime[p];
      if (pt < t || (pt === t && ((hMeta[2 * p] - s) | 0) < 0)) break;
      hTime[i] = pt;
      hMeta[2 * i] = hMeta[2 * p];
      hMeta[2 * i + 1] = hMeta[2 * p + 1];
      i = p;
    }
    hTime[i] = t;
    hMeta[2 * i] = s;
    hMeta[2 * i + 1] = slot;
  }

  /** Drops cancelled entries and restores the heap property (Floyd's heapify, O(n)). */
  private compact(): void {
    const hTime = this.hTime;
    const hMeta = this.hMeta;
    let n = 0;
    for (let i = 0; i < this.count; i++) {
      const slot = hMeta[2 * i + 1];
      if (this.fns[slot] == null) {
        this.release(slot);
        continue;
      }
      hTime[n] = hTime[i];
      hMeta[2 * n] = hMeta[2 * i];
      hMeta[2 * n + 1] = slot;
      n++;
    }
    this.count = n;
    this.cancelled = 0;
    for (let i = (n - 2) >> 2; i >= 0; i--) {
      const t = hTime[i];
      const s = hMeta[2 * i];
      const slot = hMeta[2 * i + 1];
      let j = i;
      for (;;) {
        const first = ARITY * j + 1;
        if (first >= n) break;
        const end = first + ARITY < n ? first + ARITY : n;
        let c = first;
        let ct = hTime[first];
        for (let k = first + 1; k < end; k++) {
          const kt = hTime[k];
          if (kt < ct || (kt === ct && ((hMeta[2 * k] - hMeta[2 * c]) | 0) < 0)) {
            c = k;
            ct = kt;
          }
        }
        if (t < ct || (t === ct && ((s - hMeta[2 * c]) | 0) < 0)) break;
        hTime[j] = ct;
        hMeta[2 * j] = hMeta[2 * c];
        hMeta[2 * j + 1] = hMeta[2 * c + 1];
        j = c;
      }
      hTime[j] = t;
      hMeta[2 * j] = s;
      hMeta[2 * j + 1] = slot;
    }
  }

  private grow(): void {
    const old = this.capacity;
    const cap = old * 2;
    this.capacity = cap;
    const hTime = new Float64Array(cap);
    hTime.set(this.hTime);
    this.hTime = hTime;
    const hMeta = new Int32Array(2 * cap);
    hMeta.set(this.hMeta);
    this.hMeta = hMeta;
    const gen = new Uint32Array(cap);
    gen.set(this.gen);
    this.gen = gen;
    for (let s = old; s < cap; s++) {
      this.fns.push(undefined);
      this.as.push(undefined);
      this.bs.push(undefined);
      this.cs.push(undefined);
    }
    // Every slot is in use when we grow, so the free stack holds only the new ones.
    const free = new Int32Array(cap);
    let top = 0;
    for (let s = cap - 1; s >= old; s--) free[top++] = s;
    this.free = free;
    this.freeTop = top;
  }
}
