/**
 * What a flush must fsync: the files written (or verified from disk) since the last flush,
 * and, the first time a file is flushed in a session, the directories leading to it (a new
 * file's directory entry is only durable once its directory is synced).
 *
 * Ordering argument (docs/storage.md): a file is marked after its write completes and before
 * the piece is marked had; a flush snapshots the marks and the had set together, and flushes
 * run one at a time, so every piece in a flush's snapshot was fsynced by it or an earlier one.
 */
import { dirname, resolve } from 'node:path';
import { ioError } from './errors.js';
import type { FdCache } from '../runtime/node/disk/fd-cache.js';
import { mapLimit } from './file-io.js';

/** Files fsync'ed at once. */
const SYNC_PARALLEL = 16;

export class SyncTracker {
  private readonly dirty = new Set<string>();
  private readonly seen = new Set<string>();
  private chain: Promise<unknown> = Promise.resolve();
  private readonly root: string;

  constructor(private readonly fdCache: FdCache, downloadDir: string) {
    this.root = resolve(downloadDir);
  }

  /** `path` holds bytes that must reach the disk before the pieces in it are recorded. */
  mark(path: string): void {
    this.dirty.add(path);
  }

  /**
   * Fsyncs everything marked, then resolves with what `snapshot()` returned when this flush
   * started (the had set). Flushes are serialised; a failed one keeps its marks.
   */
  flush<T>(snapshot: () => T): Promise<T> {
    const run = async () => {
      const taken = snapshot();
      const files = [...this.dirty];
      this.dirty.clear();
      try {
        await mapLimit(files, SYNC_PARALLEL, (p) => this.sync(p, false));
        const dirs = new Set<string>();
        for (const f of files) if (!this.seen.has(f)) for (const d of this.dirsOf(f)) dirs.add(d);
        for (const d of dirs) {
          await this.sync(d, true);
          await this.fdCache.closeFile(d); // directories are synced once; keep their slots for files
        }
      } catch (e) {
        for (const f of files) this.dirty.add(f);
        throw e;
      }
      for (const f of files) this.seen.add(f);
      return taken;
    };
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** The directories from `file`'s parent up to the download directory. */
  private dirsOf(file: string): string[] {
    const out: string[] = [];
    for (let d = dirname(file); d.length >= this.root.length; d = dirname(d)) {
      out.push(d);
      if (d === this.root || dirname(d) === d) break;
    }
    return out;
  }

  private sync(path: string, directory: boolean): Promise<void> {
    // fsync flushes the file, not the descriptor: an open write handle serves, else a read-only one.
    return this.fdCache.use(path, 'read', async (fh) => {
      try {
        await fh.sync();
      } catch (e) {
        const code = (e as { code?: string }).code;
        // Some platforms cannot fsync a directory; the files themselves are synced.
        if (directory && (code === 'EISDIR' || code === 'EPERM' || code === 'EINVAL' || code === 'EACCES' || code === 'EBADF')) return;
        throw ioError(e, path, 'fsync');
      }
    });
  }
}
