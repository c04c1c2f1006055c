/**
 * A storage without bytes, for large simulations (ARCHITECTURE: "virtual storage that marks
 * pieces good or bad"): it tracks which bytes of each piece arrived and whether any came
 * from a bad source, and `verifyPiece` passes exactly when every byte arrived and none was
 * bad. Reads return zeros. It does not pass the byte-level conformance suite by design.
 *
 * `sharedReads`: reads return views of one shared zero buffer instead of a fresh copy (no
 * allocation per block, for 10,000-peer simulations); only for callers that never write
 * into what they read (the swarm's plaintext upload path; MSE encrypts a copy).
 */
import type { PieceLayout } from '../metainfo/layout.js';
import { PieceNotAvailableError } from './errors.js';
import { validateBlock } from './piece-map.js';
import type { PieceStorage, StorageEventHandler, StorageStats } from './types.js';
import { VolatileStorage } from './volatile-storage.js';

export interface VirtualStorageOptions {
  readonly sharedReads?: boolean;
}

/** Zeros that shared reads hand out views of (grown on demand, never written). */
let zeros = new Uint8Array(64 * 1024);

interface Arrivals {
  /** offset -> length */
  readonly spans: Map<number, number>;
  bad: boolean;
}

export class VirtualStorage extends VolatileStorage implements PieceStorage {
  private readonly pending = new Map<number, Arrivals>();
  private hashed = 0;
  private verified = 0;

  constructor(private readonly layout: PieceLayout, private readonly onEvent?: StorageEventHandler, private readonly options: VirtualStorageOptions = {}) {
    super(layout.pieceCount);
  }

  /** Starts as a seed: every piece had. */
  static seed(layout: PieceLayout, options: VirtualStorageOptions = {}): VirtualStorage {
    const s = new VirtualStorage(layout, undefined, options);
    for (let p = 0; p < layout.pieceCount; p++) s.have.set(p);
    return s;
  }

  /** Records `length` bytes at `offset`; `good` false marks the piece as bound to fail. */
  writeVirtual(piece: number, offset: number, length: number, good: boolean): void {
    this.ensureOpen();
    validateBlock(this.layout, piece, offset, length);
    if (this.have.has(piece)) return;
    let a = this.pending.get(piece);
    if (!a) this.pending.set(piece, (a = { spans: new Map(), bad: false }));
    a.spans.set(offset, Math.max(length, a.spans.get(offset) ?? 0));
    if (!good) a.bad = true;
  }

  async writeBlock(piece: number, offset: number, data: Uint8Array): Promise<void> {
    this.writeVirtual(piece, offset, data.length, true);
  }

  async readBlock(piece: number, offset: number, length: number): Promise<Uint8Array> {
    this.ensureOpen();
    validateBlock(this.layout, piece, offset, length);
    if (!this.have.has(piece)) throw new PieceNotAvailableError(piece);
    if (!this.options.sharedReads) return new Uint8Array(length);
    if (zeros.length < length) zeros = new Uint8Array(length);
    return zeros.subarray(0, length);
  }

  async verifyPiece(piece: number): Promise<boolean> {
    this.ensureOpen();
    validateBlock(this.layout, piece, 0, 1);
    this.hashed++;
    const a = this.pending.get(piece);
    this.pending.delete(piece);
    const complete = a !== undefined && covered(a.spans) >= this.layout.pieceSize(piece);
    if (complete && !a.bad) {
      this.have.set(piece);
      this.verified++;
      this.onEvent?.({ type: 'piece-verified', piece });
      return true;
    }
    this.have.clear(piece);
    this.onEvent?.({ type: 'piece-failed', piece, reason: complete ? 'hash-mismatch' : 'missing-data' });
    return false;
  }

  stats(): StorageStats {
    return { writeCacheBytes: 0, readCacheBytes: 0, peakCacheBytes: 0, piecesHashed: this.hashed, piecesVerified: this.verified, diskReads: 0, diskWrites: 0 };
  }

  protected dropPending(): void {
    this.pending.clear();
  }
}

/** Bytes covered by the union of spans starting at 0. */
function covered(spans: Map<number, number>): number {
  let end = 0;
  for (const [o, n] of [...spans].sort((x, y) => x[0] - y[0])) {
    if (o > end) break;
    end = Math.max(end, o + n);
  }
  return end;
}
