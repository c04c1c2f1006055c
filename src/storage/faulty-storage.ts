/**
 * A faulty disk for tests (practice 11): wraps any backend and corrupts blocks as they are
 * written, runs out of space, fails reads, or answers slowly on a (virtual) clock.
 */
import type { Clock } from '../runtime/types.js';
import { copyBytes } from '../util/bytes.js';
import type { Bitfield } from './bitfield.js';
import { DiskFullError, StorageIoError } from './errors.js';
import type { PieceStorage, StorageStats } from './types.js';

export interface FaultyStorageOptions {
  /** Flip one bit of each block this returns true for (bit rot on the way to disk). */
  corruptWrite?: (piece: number, offset: number) => boolean;
  /** Bytes of blocks accepted before writes fail with `DiskFullError` (default unlimited). */
  capacityBytes?: number;
  /** Fail reads of the pieces this returns true for with `StorageIoError` code `EIO`. */
  failRead?: (piece: number) => boolean;
  /** Delay every operation by `ms` on `clock` (a slow disk; the simulator's clock makes it virtual). */
  delay?: { readonly clock: Clock; readonly ms: number };
}

export class FaultyStorage implements PieceStorage {
  readonly pieceCount: number;
  /** Bytes of blocks accepted so far. */
  written = 0;

  constructor(readonly inner: PieceStorage, private readonly options: FaultyStorageOptions = {}) {
    this.pieceCount = inner.pieceCount;
  }

  async writeBlock(piece: number, offset: number, data: Uint8Array): Promise<void> {
    await this.wait();
    const cap = this.options.capacityBytes ?? Infinity;
    if (this.written + data.length > cap) throw new DiskFullError('ENOSPC', `piece ${piece}`, 'write');
    this.written += data.length;
    let bytes = data;
    if (this.options.corruptWrite?.(piece, offset)) {
      bytes = copyBytes(data);
      bytes[bytes.length >> 1] ^= 0x01;
    }
    return this.inner.writeBlock(piece, offset, bytes);
  }

  async readBlock(piece: number, offset: number, length: number): Promise<Uint8Array> {
    await this.wait();
    if (this.options.failRead?.(piece)) throw new StorageIoError('EIO', `piece ${piece}`, 'read');
    return this.inner.readBlock(piece, offset, length);
  }

  async verifyPiece(piece: number): Promise<boolean> {
    await this.wait();
    return this.inner.verifyPiece(piece);
  }

  hasPiece(piece: number): boolean {
    return this.inner.hasPiece(piece);
  }

  bitfield(): Bitfield {
    return this.inner.bitfield();
  }

  async flush(): Promise<Bitfield> {
    await this.wait();
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  stats(): StorageStats {
    return this.inner.stats();
  }

  private wait(): Promise<void> {
    const d = this.options.delay;
    if (!d || d.ms <= 0) return Promise.resolve();
    return new Promise((resolve) => d.clock.setTimer(d.ms, resolve));
  }
}
