/**
 * A bounded LRU of open file handles, shareable by every torrent of a session (a daemon with
 * 10,000 torrents cannot keep their files open). Handles are opened lazily, reused, and the
 * least recently used idle one is closed when the bound is reached; when every handle is in
 * use, callers wait. Never more than `maxOpenFiles` descriptors are open (opening and
 * closing ones included).
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, sep } from 'node:path';
// Not mkdir({ recursive: true }): it never returns under /proc (see mkdirs.ts).
import { makeDirs } from '../mkdirs.js';
import { SymlinkedPathError, StorageIoError, ioError } from '../../../storage/errors.js';

/** 'read' opens read-only and never creates; 'write' opens read-write, creating the file and its directories. */
export type HandleMode = 'read' | 'write';

export interface FdCacheOptions {
  /** Most file descriptors open at once (default 64). */
  maxOpenFiles?: number;
}

export const FD_CACHE_DEFAULTS = { maxOpenFiles: 64 } as const satisfies Required<FdCacheOptions>;

interface Entry {
  readonly key: string;
  readonly handle: Promise<FileHandle>;
  refs: number;
  /** Closed as soon as the last user releases it (closeFile was called while in use). */
  doomed: boolean;
}

// Not following a symlink as the last component keeps a planted link from redirecting writes.
// O_NONBLOCK: opening a FIFO that stands where a torrent's file should be would otherwise block
// a libuv thread until some writer appears; it has no effect on a regular file.
const NONBLOCK = constants.O_NONBLOCK ?? 0;
const READ_FLAGS = constants.O_RDONLY | NONBLOCK;
const WRITE_FLAGS = constants.O_RDWR | constants.O_CREAT | (constants.O_NOFOLLOW ?? 0) | NONBLOCK;

export class FdCache {
  readonly maxOpenFiles: number;
  /** Most descriptors ever open at once. */
  peakOpen = 0;
  private readonly entries = new Map<string, Entry>(); // least recently used first
  private closing = 0;
  private waiters: (() => void)[] = [];

  constructor(options: FdCacheOptions = {}) {
    this.maxOpenFiles = options.maxOpenFiles ?? FD_CACHE_DEFAULTS.maxOpenFiles;
    if (!Number.isInteger(this.maxOpenFiles) || this.maxOpenFiles < 1) throw new RangeError('maxOpenFiles must be a positive integer');
  }

  /** Descriptors open now (in the cache, being opened, or being closed). */
  get openFiles(): number {
    return this.entries.size + this.closing;
  }

  /**
   * Runs `fn` with a handle on `path`; a 'read' use takes an open 'write' handle when there is one.
   * `within` (the download directory): opening for writing creates the directories below it
   * and refuses, with `SymlinkedPathError`, any of them that is a symbolic link (docs/path-safety.md).
   */
  async use<T>(path: string, mode: HandleMode, fn: (fh: FileHandle) => Promise<T>, within?: string): Promise<T> {
    const e = await this.acquire(path, mode, within);
    try {
      return await fn(await e.handle);
    } finally {
      this.release(e);
    }
  }

  /** Closes the handles on `path` (at once if idle, else when their users finish). */
  async closeFile(path: string): Promise<void> {
    const idle: Entry[] = [];
    for (const key of [`w:${path}`, `r:${path}`]) {
      const e = this.entries.get(key);
      if (!e) continue;
      this.entries.delete(key);
      this.closing++;
      if (e.refs === 0) idle.push(e);
      else e.doomed = true;
    }
    await Promise.all(idle.map((e) => this.shut(e)));
  }

  /** Closes every idle handle (for shutdown). */
  async closeAll(): Promise<void> {
    const idle = [...this.entries.values()].filter((e) => e.refs === 0);
    for (const e of idle) this.entries.delete(e.key);
    this.closing += idle.length;
    await Promise.all(idle.map((e) => this.shut(e)));
  }

  private async acquire(path: string, mode: HandleMode, within: string | undefined): Promise<Entry> {
    const key = `${mode === 'write' ? 'w' : 'r'}:${path}`;
    for (;;) {
      const hit = this.entries.get(`w:${path}`) ?? this.entries.get(key);
      if (hit) {
        hit.refs++;
        this.entries.delete(hit.key); // move to the most recently used end
        this.entries.set(hit.key, hit);
        return hit;
      }
      if (this.openFiles < this.maxOpenFiles) return this.openEntry(key, path, mode, within);
      let victim: Entry | undefined;
      for (const e of this.entries.values()) {
        if (e.refs === 0) {
          victim = e;
          break;
        }
      }
      if (victim) {
        this.entries.delete(victim.key);
        this.closing++;
        await this.shut(victim);
      } else {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      }
    }
  }

  private openEntry(key: string, path: string, mode: HandleMode, within: string | undefined): Entry {
    const e: Entry = { key, handle: openHandle(path, mode, within), refs: 1, doomed: false };
    this.entries.set(key, e);
    this.peakOpen = Math.max(this.peakOpen, this.openFiles);
    // Registered before any user awaits the handle, so a failed entry is out of the cache
    // before its users release it; the last release then settles the count.
    e.handle.catch(() => {
      if (this.entries.get(key) !== e) return;
      this.entries.delete(key);
      this.closing++;
      e.doomed = true;
    });
    return e;
  }

  private release(e: Entry): void {
    e.refs--;
    if (e.refs === 0 && e.doomed) void this.shut(e);
    else if (e.refs === 0) this.wake();
  }

  /** Closes a handle already counted in `closing`. */
  private async shut(e: Entry): Promise<void> {
    try {
      await (await e.handle).close();
    } catch {
      // A handle that failed to open or close holds no descriptor worth reporting.
    } finally {
      this.closing--;
      this.wake();
    }
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const resolve of w) resolve();
  }
}

/** Opens `path`, refusing a FIFO, device or socket that stands where a torrent's file should be (directories are opened to sync them). */
async function openHandle(path: string, mode: HandleMode, within: string | undefined): Promise<FileHandle> {
  const fh = await openAny(path, mode, within);
  let special: boolean;
  try {
    const st = await fh.stat();
    special = st.isFIFO() || st.isCharacterDevice() || st.isBlockDevice() || st.isSocket();
  } catch (e) {
    await fh.close().catch(() => undefined);
    throw ioError(e, path, 'stat');
  }
  if (special) {
    await fh.close().catch(() => undefined);
    throw new StorageIoError('EINVAL', path, `${mode === 'read' ? 'read' : 'write'} (not a regular file)`);
  }
  return fh;
}

async function openAny(path: string, mode: HandleMode, within: string | undefined): Promise<FileHandle> {
  try {
    if (mode === 'read') return await open(path, READ_FLAGS);
    if (within !== undefined) {
      await makeDirsInside(within, dirname(path), path);
      return await open(path, WRITE_FLAGS, 0o666);
    }
    try {
      return await open(path, WRITE_FLAGS, 0o666);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
      await makeDirs(dirname(path));
      return await open(path, WRITE_FLAGS, 0o666);
    }
  } catch (e) {
    throw ioError(e, path, mode === 'read' ? 'open' : 'open for writing');
  }
}

/**
 * Creates each directory from `root` (exclusive) down to `dir`, and refuses one that is a
 * symbolic link or not a directory. `O_NOFOLLOW` guards only a path's last component, so
 * without this a link `root/Name -> /elsewhere` would take a torrent named Name outside.
 * `root` itself is the user's choice and may be a link. Node has no `openat`, so a local
 * process that swaps a directory for a link between this check and the open still wins.
 */
async function makeDirsInside(root: string, dir: string, file: string): Promise<void> {
  const rel = relative(root, dir);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) throw new StorageIoError('EPERM', file, 'write outside the download directory');
  await makeDirs(root);
  let cur = root;
  for (const c of rel === '' ? [] : rel.split(sep)) {
    cur = join(cur, c);
    try {
      await mkdir(cur);
      continue;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
    }
    const st = await lstat(cur);
    if (st.isSymbolicLink()) throw new SymlinkedPathError(cur, file);
    if (!st.isDirectory()) throw ioError(Object.assign(new Error('not a directory'), { code: 'ENOTDIR' }), cur, 'create the directory');
  }
}
