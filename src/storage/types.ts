/**
 * The storage interface the swarm engine talks to. Every backend (files, memory, the faulty
 * fake, the simulator's virtual one) implements `PieceStorage`; the file and memory backends
 * pass one conformance suite (test/unit/storage-conformance.ts).
 */
import type { Bitfield } from './bitfield.js';
import type { StorageError } from './errors.js';

/** Why a piece failed verification. */
export type PieceFailure =
  /** Every byte was there and the hash did not match. */
  | 'hash-mismatch'
  /** Bytes were missing: blocks not written, or the file is absent or short. */
  | 'missing-data';

/** What storage reports as it goes (practice 9: a discriminated union, no string events). */
export type StorageEvent =
  | { readonly type: 'piece-verified'; readonly piece: number }
  | { readonly type: 'piece-failed'; readonly piece: number; readonly reason: PieceFailure }
  /** A verified piece could not be read back (its file was deleted or truncated): it is no longer had. */
  | { readonly type: 'piece-lost'; readonly piece: number; readonly error: StorageError };

export type StorageEventHandler = (event: StorageEvent) => void;

/** Counters for tests, benchmarks and the daemon's status page. */
export interface StorageStats {
  /** Bytes of received, not yet verified blocks held in memory. */
  readonly writeCacheBytes: number;
  /** Bytes of verified pieces cached for seeding. */
  readonly readCacheBytes: number;
  /** Most `writeCacheBytes + readCacheBytes` seen. */
  readonly peakCacheBytes: number;
  /** Pieces hashed (verifications and checks). */
  readonly piecesHashed: number;
  /** Successful verifications (monotonic). */
  readonly piecesVerified: number;
  /** Pieces read from disk and writes to disk (file backends; 0 elsewhere). */
  readonly diskReads: number;
  readonly diskWrites: number;
}

export interface PieceStorage {
  readonly pieceCount: number;
  /**
   * Stores a block of piece `piece` at byte `offset` (the bytes are copied). A block of a piece
   * already had is ignored (endgame duplicates). Throws `BlockRangeError` for a range outside
   * the piece, `DiskFullError` / `StorageIoError` when the disk refuses.
   */
  writeBlock(piece: number, offset: number, data: Uint8Array): Promise<void>;
  /**
   * Bytes [offset, offset + length) of a verified piece (a fresh copy; pad ranges read as
   * zeros). Throws `PieceNotAvailableError` for a piece not had (or whose data vanished).
   */
  readBlock(piece: number, offset: number, length: number): Promise<Uint8Array>;
  /**
   * Hashes the piece as written (blocks in memory, else what is on disk) against the torrent.
   * true: the piece is had and its bytes are written (durable after the next `flush()`).
   * false: its unverified blocks are discarded and it is not had. Emits the matching event.
   */
  verifyPiece(piece: number): Promise<boolean>;
  hasPiece(piece: number): boolean;
  /** A copy of the set of verified pieces. */
  bitfield(): Bitfield;
  /**
   * Makes every verified piece durable (fsync for files) and resolves with the pieces that
   * are now durable: the set resume data may record.
   */
  flush(): Promise<Bitfield>;
  /** Waits for pending operations, flushes, releases files. Later calls throw `StorageClosedError`. */
  close(): Promise<void>;
  stats(): StorageStats;
}
