/**
 * Fixed-size slots carved out of shared chunks, for the small rings every node keeps (the
 * RTT samples of `Transactions`, the BEP 42 voter's hosts and claims).
 *
 * Why: a simulation runs up to a million `DhtNode`s in one process, and V8's full
 * collections cost by the number of live objects. A ring as its own array is two objects
 * (the array and its backing store) per node; a slot is two numbers in its owner (the chunk
 * and the offset) and no object at all. Chunks grow 1, 2, 4 ... 4096 slots, so one node (a
 * real client) takes one slot's worth of memory, a big simulation 4096-slot chunks.
 *
 * Slots are handed back with `release` (a node that closes) and reused first.
 */

/** Most slots a chunk holds. */
const MAX_CHUNK_SLOTS = 4096;

export class SlotPool<A extends { readonly length: number }> {
  private readonly chunks: A[] = [];
  /** Slots in use or handed out so far (the next fresh one). */
  private next = 0;
  private readonly free: number[] = [];
  /** Slots the chunks hold together. */
  private capacity = 0;

  /** `make(n)`: a new chunk of `n` elements, filled as a fresh slot should be; `reset` fills `[from, to)` so again. */
  constructor(
    readonly slotSize: number,
    private readonly make: (elements: number) => A,
    private readonly reset: (chunk: A, from: number, to: number) => void,
  ) {}

  /** A slot: the owner keeps `chunkOf(slot)` and `offsetOf(slot)`. */
  acquire(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.next === this.capacity) {
      const slots = Math.min(MAX_CHUNK_SLOTS, 2 ** this.chunks.length);
      this.chunks.push(this.make(slots * this.slotSize));
      this.capacity += slots;
    }
    return this.next++;
  }

  /** Hands a slot back (reset for its next owner). */
  release(slot: number): void {
    const at = this.offsetOf(slot);
    this.reset(this.chunkOf(slot), at, at + this.slotSize);
    this.free.push(slot);
  }

  chunkOf(slot: number): A {
    return this.chunks[chunkIndex(slot)];
  }

  /** The slot's first element in its chunk. */
  offsetOf(slot: number): number {
    const c = chunkIndex(slot);
    const first = c <= DOUBLING_CHUNKS ? 2 ** c - 1 : DOUBLING_SLOTS + (c - DOUBLING_CHUNKS - 1) * MAX_CHUNK_SLOTS;
    return (slot - first) * this.slotSize;
  }
}

/** Chunks 0..12 hold 1, 2, ... 4096 slots (8191 together); every later chunk 4096. */
const DOUBLING_CHUNKS = Math.log2(MAX_CHUNK_SLOTS);
const DOUBLING_SLOTS = 2 * MAX_CHUNK_SLOTS - 1;

function chunkIndex(slot: number): number {
  if (slot < DOUBLING_SLOTS) return 31 - Math.clz32(slot + 1);
  return DOUBLING_CHUNKS + 1 + Math.floor((slot - DOUBLING_SLOTS) / MAX_CHUNK_SLOTS);
}
