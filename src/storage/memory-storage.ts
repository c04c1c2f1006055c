/**
 * An in-memory backend: the same contract as the file backend (it passes the same
 * conformance suite), for tests and for simulations that move real bytes.
 */
import type { Torrent } from '../metainfo/torrent.js';
import { copyBytes } from '../util/bytes.js';
import { PieceNotAvailableError } from './errors.js';
import { PieceCache } from './piece-cache.js';
import { coversPiece, overlay, validateBlock, zeroPads } from './piece-map.js';
import type { PieceFailure, PieceStorage, StorageEventHandler, StorageStats } from './types.js';
import { PieceVerifier } from './verifier.js';
import { VolatileStorage } from './volatile-storage.js';

export interface MemoryStorageOptions {
  onEvent?: StorageEventHandler;
  verifier?: PieceVerifier;
}

export class MemoryStorage extends VolatileStorage implements PieceStorage {
  readonly verifier: PieceVerifier;
  private readonly pieces = new Map<number, Uint8Array>();
  private readonly pending = new PieceCache(Number.MAX_SAFE_INTEGER);
  private readonly onEvent?: StorageEventHandler;
  private verified = 0;

  constructor(readonly torrent: Torrent, options: MemoryStorageOptions = {}) {
    super(torrent.pieceCount);
    this.verifier = options.verifier ?? new PieceVerifier(torrent);
    this.onEvent = options.onEvent;
  }

  async writeBlock(piece: number, offset: number, data: Uint8Array): Promise<void> {
    this.ensureOpen();
    validateBlock(this.torrent.layout, piece, offset, data.length);
    if (!this.have.has(piece)) this.pending.putBlock(piece, offset, copyBytes(data));
  }

  async readBlock(piece: number, offset: number, length: number): Promise<Uint8Array> {
    this.ensureOpen();
    validateBlock(this.torrent.layout, piece, offset, length);
    const data = this.pieces.get(piece);
    if (!data || !this.have.has(piece)) throw new PieceNotAvailableError(piece);
    return data.slice(offset, offset + length);
  }

  async verifyPiece(piece: number): Promise<boolean> {
    this.ensureOpen();
    const { layout } = this.torrent;
    validateBlock(layout, piece, 0, 1);
    const blocks = [...(this.pending.pendingPiece(piece)?.blocks ?? [])];
    const stored = this.pieces.get(piece);
    if (!stored && !coversPiece(layout, piece, blocks)) return this.fail(piece, 'missing-data');
    const buf = stored ? stored.slice() : new Uint8Array(layout.pieceSize(piece));
    overlay(buf, blocks);
    zeroPads(layout, piece, buf);
    if (!this.verifier.verify(piece, buf)) return this.fail(piece, 'hash-mismatch');
    this.pending.dropPiece(piece);
    this.pieces.set(piece, buf);
    this.verified++;
    this.have.set(piece);
    this.onEvent?.({ type: 'piece-verified', piece });
    return true;
  }

  stats(): StorageStats {
    return {
      writeCacheBytes: this.pending.writeBytes,
      readCacheBytes: 0,
      peakCacheBytes: this.pending.peakBytes,
      piecesHashed: this.verifier.hashed,
      piecesVerified: this.verified,
      diskReads: 0,
      diskWrites: 0,
    };
  }

  private fail(piece: number, reason: PieceFailure): false {
    this.pending.dropPiece(piece);
    this.pieces.delete(piece);
    this.have.clear(piece);
    this.onEvent?.({ type: 'piece-failed', piece, reason });
    return false;
  }

  protected dropPending(): void {
    this.pending.clear();
  }
}
