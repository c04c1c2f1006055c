/**
 * What the backends that keep nothing on disk (memory, virtual) share: the set of verified
 * pieces, the closed flag, and the `PieceStorage` methods that only read or reset them. With
 * nothing to make durable, `flush()` reports every verified piece.
 */
import { Bitfield } from './bitfield.js';
import { StorageClosedError } from './errors.js';
import type { PieceStorage } from './types.js';

export abstract class VolatileStorage implements Pick<PieceStorage, 'pieceCount' | 'hasPiece' | 'bitfield' | 'flush' | 'close'> {
  protected readonly have: Bitfield;
  protected closed = false;

  constructor(readonly pieceCount: number) {
    this.have = new Bitfield(pieceCount);
  }

  hasPiece(piece: number): boolean {
    return this.have.has(piece);
  }

  bitfield(): Bitfield {
    return this.have.clone();
  }

  async flush(): Promise<Bitfield> {
    return this.have.clone();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.dropPending();
  }

  /** Forgets every block not yet verified (on close). */
  protected abstract dropPending(): void;

  protected ensureOpen(): void {
    if (this.closed) throw new StorageClosedError();
  }
}
