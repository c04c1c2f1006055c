/**
 * Piece-sized buffers, reused: a download stages every block straight into its piece's
 * buffer, hashes and writes that buffer, keeps it as read cache, and gives it back here when
 * the cache lets go. Reuse spares the allocator, the page faults of fresh memory and the
 * garbage collector a piece's worth of bytes per piece.
 *
 * A buffer handed out as a view (a block served to a peer) may still be referenced when the
 * cache drops it, so it is `lend`-marked and never reused; buffers this pool did not issue
 * are never taken in either.
 */
export class BufferPool {
  private readonly free: Uint8Array[] = [];
  private readonly issued = new WeakSet<Uint8Array>();
  private readonly lent = new WeakSet<Uint8Array>();
  private readonly maxFree: number;

  /** `size`: the piece length; `maxFreeBytes`: idle memory the pool may keep. */
  constructor(
    readonly size: number,
    maxFreeBytes = 16 * 1024 * 1024,
  ) {
    this.maxFree = Math.max(1, Math.floor(maxFreeBytes / Math.max(1, size)));
  }

  /** A buffer of `n` bytes with unspecified contents (the caller fills all of it). */
  take(n: number): Uint8Array {
    if (n !== this.size) return new Uint8Array(n);
    const reused = this.free.pop();
    if (reused) return reused;
    // Unspecified contents: not zero-filled (a reused buffer is not either).
    const b = uninitialised(n);
    this.issued.add(b);
    return b;
  }

  /** Marks a buffer as referenced from outside (views of it were handed out): it will not be reused. */
  lend(b: Uint8Array): void {
    this.lent.add(b);
  }

  /** Takes a buffer back for reuse, if it is ours, unlent, and the pool has room. */
  give(b: Uint8Array): void {
    if (!this.issued.has(b) || this.lent.has(b) || this.free.length >= this.maxFree) return;
    this.free.push(b);
  }
}

/**
 * `n` bytes of fresh memory, not zero-filled (the caller overwrites all of it), as a plain
 * Uint8Array: `Buffer.allocUnsafeSlow` gives its own ArrayBuffer, not a slice of a shared pool.
 */
export function uninitialised(n: number): Uint8Array {
  return new Uint8Array(Buffer.allocUnsafeSlow(n).buffer, 0, n);
}
