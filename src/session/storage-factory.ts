/**
 * How a session gets each torrent's storage: injected, never built inside it. Files (with
 * resume data under the state directory) for `shoal get` and the daemon; memory or virtual
 * storage (no bytes at all) for the simulator, which runs many whole clients in one process.
 */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Torrent } from '../metainfo/torrent.js';
import { FdCache } from '../runtime/node/disk/fd-cache.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import { openTorrentStorage } from '../storage/open.js';
import { VirtualStorage } from '../storage/virtual-storage.js';
import type { OpenedStorage } from '../swarm/types.js';

export interface StorageRequest {
  /** The torrent as it should be placed (a save name already applied). */
  readonly torrent: Torrent;
  /** The directory the torrent's files go under (absolute). */
  readonly downloadDir: string;
}

export interface StorageFactory {
  /** Opens a torrent's storage and says which pieces it already has. */
  open(request: StorageRequest): Promise<OpenedStorage>;
  /** Releases what is shared between torrents (open files). */
  close(): void;
}

export interface FileStorageFactoryOptions {
  /** Where resume data lives (`<stateDir>/resume/`). */
  readonly stateDir: string;
  /** Memory for each torrent's block cache (default 32 MiB). */
  readonly cacheBytesPerTorrent?: number;
  /** Open files across all torrents (default 256). */
  readonly maxOpenFiles?: number;
}

/** Files on disk, resume data under the state directory, one open-file cache for every torrent. */
export class FileStorageFactory implements StorageFactory {
  private readonly fdCache: FdCache;

  constructor(private readonly o: FileStorageFactoryOptions) {
    this.fdCache = new FdCache({ maxOpenFiles: o.maxOpenFiles ?? 256 });
  }

  /** Files open now across every torrent (bounded by `maxOpenFiles`). */
  get openFiles(): number {
    return this.fdCache.openFiles;
  }

  async open(r: StorageRequest): Promise<OpenedStorage> {
    const opened = await openTorrentStorage(r.torrent, {
      downloadDir: r.downloadDir,
      resumePath: resumePathFor(this.o.stateDir, r.torrent, r.downloadDir),
      fdCache: this.fdCache,
      cacheBytes: this.o.cacheBytesPerTorrent ?? 32 * 1024 * 1024,
    });
    return { storage: opened.storage, have: opened.restored.have, recorder: opened.recorder };
  }

  close(): void {
    this.fdCache.closeAll();
  }
}

/**
 * Storage that moves no bytes (`storage/virtual-storage.ts`): a piece verifies once all its
 * bytes arrived. `seed(torrent)` true starts that torrent with every piece.
 */
export class VirtualStorageFactory implements StorageFactory {
  constructor(private readonly o: { readonly seed?: (torrent: Torrent) => boolean } = {}) {}

  async open(r: StorageRequest): Promise<OpenedStorage> {
    const storage = this.o.seed?.(r.torrent) ? VirtualStorage.seed(r.torrent.layout) : new VirtualStorage(r.torrent.layout);
    return { storage, have: storage.bitfield() };
  }

  close(): void {}
}

/**
 * Storage in memory with real bytes and real hash checks (tests, small simulations).
 * `data(torrent)` gives the whole piece space of a torrent this client seeds.
 */
export class MemoryStorageFactory implements StorageFactory {
  constructor(private readonly o: { readonly data?: (torrent: Torrent) => Uint8Array | undefined } = {}) {}

  async open(r: StorageRequest): Promise<OpenedStorage> {
    const storage = new MemoryStorage(r.torrent);
    const data = this.o.data?.(r.torrent);
    if (data) {
      const layout = r.torrent.layout;
      for (let p = 0; p < r.torrent.pieceCount; p++) {
        const start = p * layout.pieceLength;
        await storage.writeBlock(p, 0, data.subarray(start, start + layout.pieceSize(p)));
        await storage.verifyPiece(p);
      }
    }
    return { storage, have: storage.bitfield() };
  }

  close(): void {}
}

/** Where a torrent's resume file lives: `<stateDir>/resume/<sha1(info hash + download dir)>.resume`. */
export function resumePathFor(stateDir: string, torrent: Pick<Torrent, 'infoHashV1' | 'infoHashV2'>, downloadDir: string): string {
  const id = createHash('sha1').update(torrent.infoHashV1 ?? torrent.infoHashV2 ?? new Uint8Array()).update(resolve(downloadDir)).digest('hex');
  return join(stateDir, 'resume', `${id}.resume`);
}
