/**
 * Memory held by a storage: blocks of pieces not yet verified (write-back) and verified pieces
 * kept for seeding (read, LRU), both counted against one `cacheBytes` budget. Reads give way
 * first; when unverified blocks alone exceed the budget, the owner writes the oldest pieces'
 * blocks to disk (`roomFor`) and re-reads them when it verifies.
 */

/** Blocks received for one piece, by offset. */
export class PendingPiece {
  readonly blocks = new Map<number, Uint8Array>();
  bytes = 0;
  /**
   * The piece-sized buffer `stage` copies blocks into (then `blocks` holds views of it); its
   * whole size counts against the budget from the first block on.
   */
  buffer: Uint8Array | undefined;
  /** Blocks came through `stage` (views of a buffer), not `putBlock` (private copies, each counted). */
  staged = false;
  /** A spill is writing this piece now. */
  spilling = false;
  constructor(readonly piece: number) {}
}

export class PieceCache {
  writeBytes = 0;
  readBytes = 0;
  peakBytes = 0;
  private readonly pending = new Map<number, PendingPiece>(); // oldest first
  private readonly reads = new Map<number, Uint8Array>(); // least recently used first

  /** `release` gets each verified piece's buffer when the read cache lets go of it. */
  constructor(
    readonly budget: number,
    private readonly release?: (buffer: Uint8Array) => void,
  ) {
    if (!Number.isSafeInteger(budget) || budget < 0) throw new RangeError('cacheBytes must be a non-negative integer');
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  pendingPiece(piece: number): PendingPiece | undefined {
    return this.pending.get(piece);
  }

  /** The pending entry of `piece`, created empty if needed. */
  entry(piece: number): PendingPiece {
    let pp = this.pending.get(piece);
    if (!pp) this.pending.set(piece, (pp = new PendingPiece(piece)));
    return pp;
  }

  /** Holds `data` (already a private copy) as the block at `offset`, replacing one there. */
  putBlock(piece: number, offset: number, data: Uint8Array): PendingPiece {
    const pp = this.entry(piece);
    const old = pp.blocks.get(offset);
    if (old) this.take(pp, old.length);
    pp.blocks.set(offset, data);
    pp.bytes += data.length;
    this.writeBytes += data.length;
    this.peak();
    return pp;
  }

  /**
   * Copies a block into its piece's staging buffer (allocated by `alloc` on the piece's first
   * block). False, with nothing copied, when a new buffer does not fit the budget even after
   * evicting reads: the caller makes room (`roomFor`, spills) and tries again, or writes the
   * block to disk itself.
   */
  stage(piece: number, offset: number, data: Uint8Array, pieceSize: number, alloc: (n: number) => Uint8Array): boolean {
    let pp = this.pending.get(piece);
    if (!pp?.buffer) {
      this.fitReads(pieceSize);
      if (this.writeBytes + this.readBytes + pieceSize > this.budget) return false;
      pp ??= this.entry(piece);
      pp.buffer = alloc(pieceSize);
      this.writeBytes += pieceSize;
      this.peak();
    }
    pp.staged = true;
    const buffer = pp.buffer;
    buffer.set(data, offset);
    const old = pp.blocks.get(offset);
    if (old) pp.bytes -= old.length;
    pp.blocks.set(offset, buffer.subarray(offset, offset + data.length));
    pp.bytes += data.length;
    return true;
  }

  /**
   * Takes a pending piece's staging buffer for verification: from now on it belongs to the
   * caller (blocks arriving meanwhile start a new buffer), and it no longer counts here.
   */
  detach(pp: PendingPiece): Uint8Array | undefined {
    const buffer = pp.buffer;
    if (!buffer) return undefined;
    pp.buffer = undefined;
    this.writeBytes -= buffer.length;
    return buffer;
  }

  /** After a spill wrote every block of a staged piece: frees its buffer (returned for reuse when `reuse`). */
  releaseStaged(pp: PendingPiece, buffer: Uint8Array): boolean {
    if (pp.buffer !== buffer || pp.blocks.size > 0) return false;
    pp.buffer = undefined;
    this.writeBytes -= buffer.length;
    return true;
  }

  /** Forgets a block once it is on disk, unless it was replaced meanwhile. */
  removeBlock(pp: PendingPiece, offset: number, data: Uint8Array): void {
    if (pp.blocks.get(offset) !== data) return;
    pp.blocks.delete(offset);
    if (pp.staged) pp.bytes -= data.length; // a staged block: its buffer is what counts
    else this.take(pp, data.length);
  }

  /** Forgets a piece's unverified blocks. */
  dropPiece(piece: number): void {
    const pp = this.pending.get(piece);
    if (!pp) return;
    this.pending.delete(piece);
    this.writeBytes -= pp.staged ? (pp.buffer?.length ?? 0) : pp.bytes;
    pp.buffer = undefined;
    pp.blocks.clear();
    pp.bytes = 0;
  }

  getRead(piece: number): Uint8Array | undefined {
    const data = this.reads.get(piece);
    if (data) {
      this.reads.delete(piece);
      this.reads.set(piece, data);
    }
    return data;
  }

  /** Whether a verified piece of `size` bytes is worth caching (at most half the budget). */
  cacheable(size: number): boolean {
    return size <= this.budget / 2;
  }

  /** Caches a verified piece, evicting least recently used ones; false (not kept) when it cannot fit. */
  putRead(piece: number, data: Uint8Array): boolean {
    this.dropRead(piece);
    if (!this.cacheable(data.length)) return false;
    this.fitReads(data.length);
    if (this.writeBytes + this.readBytes + data.length > this.budget) return false;
    this.reads.set(piece, data);
    this.readBytes += data.length;
    this.peak();
    return true;
  }

  dropRead(piece: number): void {
    const data = this.reads.get(piece);
    if (!data) return;
    this.reads.delete(piece);
    this.readBytes -= data.length;
    this.release?.(data);
  }

  /** Evicts cached reads until `incoming` more bytes fit the budget (or none are left). */
  fitReads(incoming = 0): void {
    for (const [piece] of this.reads) {
      if (this.writeBytes + this.readBytes + incoming <= this.budget) return;
      this.dropRead(piece);
    }
  }

  /**
   * Makes room for `incoming` more unverified bytes: evicts reads, then names the pending
   * pieces (oldest first) whose blocks must go to disk. `fits` is false when even writing
   * every pending block would not make room (the block itself must go straight to disk).
   */
  roomFor(incoming: number): { spill: PendingPiece[]; fits: boolean } {
    this.fitReads(incoming);
    const spill: PendingPiece[] = [];
    let excess = this.writeBytes + this.readBytes + incoming - this.budget;
    for (const pp of this.pending.values()) {
      if (excess <= 0) break;
      if (pp.spilling || pp.bytes === 0) continue;
      spill.push(pp);
      excess -= pp.staged ? (pp.buffer?.length ?? 0) : pp.bytes;
    }
    return { spill, fits: excess <= 0 };
  }

  clear(): void {
    for (const piece of [...this.pending.keys()]) this.dropPiece(piece);
    for (const piece of [...this.reads.keys()]) this.dropRead(piece);
  }

  private take(pp: PendingPiece, n: number): void {
    pp.bytes -= n;
    this.writeBytes -= n;
  }

  private peak(): void {
    this.peakBytes = Math.max(this.peakBytes, this.writeBytes + this.readBytes);
  }
}
