/** Typed errors of the storage layer. Every one is a `ShoalError` whose message names the piece or file. */
import { InputError, ShoalError } from '../errors.js';

/** Base of every error storage raises on purpose. */
export class StorageError extends ShoalError {}

/** A read of a piece this storage does not hold (not verified, or its data was lost). */
export class PieceNotAvailableError extends StorageError {
  constructor(readonly piece: number, options?: { cause?: unknown }) {
    super(`piece ${piece} is not available`, options);
  }
}

/** A block outside the piece space: bad piece index, offset or length (a caller's or peer's mistake). */
export class BlockRangeError extends StorageError {
  constructor(readonly piece: number, readonly offset: number, readonly length: number, reason: string) {
    super(`block (piece ${piece}, offset ${offset}, length ${length}) is out of range: ${reason}`);
  }
}

/** The storage was closed; no more reads or writes. */
export class StorageClosedError extends StorageError {
  constructor() {
    super('storage is closed');
  }
}

/** A disk operation failed. `code` is the POSIX name (`EIO`, `EACCES`, `ENOENT`, ...). */
export class StorageIoError extends StorageError {
  constructor(readonly code: string, readonly path: string, action: string, options?: { cause?: unknown }) {
    super(`cannot ${action} ${JSON.stringify(path)}: ${code}`, options);
  }
}

/**
 * A directory between the download directory and a file to write is a symbolic link: writing
 * through it could land outside the download directory, so it is refused (docs/path-safety.md).
 */
export class SymlinkedPathError extends StorageIoError {
  constructor(readonly link: string, path: string) {
    super('ELOOP', path, 'open for writing');
    this.message = `cannot write ${JSON.stringify(path)}: ${JSON.stringify(link)} is a symbolic link inside the download directory (remove it, or make it a real directory)`;
  }
}

/** The disk (or quota) is full: writing stops until space is freed. */
export class DiskFullError extends StorageIoError {}

/** A file ended before the bytes a piece needs (never written, or truncated outside Shoal). */
export class ShortFileError extends StorageIoError {}

/** A resume file that is corrupt, too large or for another torrent: the caller falls back to a full check. */
export class ResumeDataError extends InputError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(`resume data: ${message}`, options);
  }
}

/** Turns a Node fs error into a typed `StorageIoError` (or `DiskFullError`). */
export function ioError(e: unknown, path: string, action: string): StorageIoError {
  if (e instanceof StorageIoError) return e;
  const code = typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' ? (e as { code: string }).code : 'EIO';
  if (code === 'ENOSPC' || code === 'EDQUOT') return new DiskFullError(code, path, action, { cause: e });
  return new StorageIoError(code, path, action, { cause: e });
}

/** True for failures that mean "the data is not there" rather than "the disk is broken". */
export function isMissingData(e: unknown): boolean {
  return e instanceof ShortFileError || (e instanceof StorageIoError && (e.code === 'ENOENT' || e.code === 'ENOTDIR'));
}
