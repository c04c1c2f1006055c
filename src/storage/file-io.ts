/** Small disk helpers for the file backend: full reads and writes at a position, file states. */
import type { FileHandle } from 'node:fs/promises';
import { stat } from 'node:fs/promises';
import { ShortFileError, ioError } from './errors.js';

/** Size and modification time of a file as resume data records them. */
export interface FileState {
  readonly exists: boolean;
  /** Bytes (0 when missing). */
  readonly size: number;
  /** Modification time in nanoseconds (0 when missing). */
  readonly mtimeNs: bigint;
}

export const MISSING_FILE: FileState = { exists: false, size: 0, mtimeNs: 0n };

/**
 * Most bytes one read or write call moves. Node 20 aborts the whole process (a native
 * assertion, not an exception) on a single read of 2 GiB or more, so longer spans are cut.
 */
export const MAX_IO_BYTES = 64 * 1024 * 1024;

/** The part of a FileHandle these helpers use (tests pass a fake one). */
export type PositionalHandle = Pick<FileHandle, 'read' | 'write'>;

/** Reads exactly `length` bytes at `position` into `into[at..]`; `ShortFileError` if the file ends first. */
export async function readFully(fh: PositionalHandle, path: string, into: Uint8Array, at: number, length: number, position: number): Promise<void> {
  let done = 0;
  while (done < length) {
    let n: number;
    try {
      ({ bytesRead: n } = await fh.read(into, at + done, Math.min(length - done, MAX_IO_BYTES), position + done));
    } catch (e) {
      throw ioError(e, path, 'read');
    }
    if (n === 0) throw new ShortFileError('ESHORT', path, `read ${length} bytes at ${position} from`);
    done += n;
  }
}

/** Writes all of `data` at `position`. */
export async function writeFully(fh: PositionalHandle, path: string, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    try {
      const { bytesWritten } = await fh.write(data, done, Math.min(data.length - done, MAX_IO_BYTES), position + done);
      done += bytesWritten;
    } catch (e) {
      throw ioError(e, path, 'write');
    }
  }
}

/** The state of the regular file at `path` (a directory or other non-file counts as missing). */
export async function fileState(path: string): Promise<FileState> {
  try {
    const st = await stat(path, { bigint: true });
    if (!st.isFile()) return MISSING_FILE;
    return { exists: true, size: Number(st.size), mtimeNs: st.mtimeNs };
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return MISSING_FILE;
    throw ioError(e, path, 'stat');
  }
}

/** Runs `fn` over `items` with at most `limit` running at once; results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
