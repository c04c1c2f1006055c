/**
 * Small disk helpers for the file backend: full reads and writes at a position through a
 * handle the caller opened, file states, a directory probe. Node's own calls (stat, open) stay
 * in runtime/node/disk/.
 */
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
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

/**
 * Whether each directory exists, asked once per directory and its parents first (a missing
 * parent answers for all below it), up to `root`. A fresh torrent's files are all missing:
 * one `stat` per directory instead of one failing `stat` (an ENOENT error built on the main
 * thread) per file.
 */
export class DirProbe {
  private readonly known = new Map<string, Promise<boolean>>();

  constructor(
    private readonly root: string,
    /** `fs.promises.stat` in the Node file backend (runtime/node/disk/file-state.ts); tests count the calls. */
    private readonly statDir: (path: string) => Promise<{ isDirectory(): boolean }>,
  ) {}

  exists(dir: string): Promise<boolean> {
    let p = this.known.get(dir);
    if (p === undefined) {
      const parent = dirname(dir);
      const above = dir === this.root || parent === dir ? Promise.resolve(true) : this.exists(parent);
      // Only "not there" answers for the files: any other failure is left to each file's own stat.
      p = above.then((ok) => ok && this.statDir(dir).then((st) => st.isDirectory(), (e: unknown) => !isAbsent(e)));
      this.known.set(dir, p);
    }
    return p;
  }
}

function isAbsent(e: unknown): boolean {
  const code = (e as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
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
