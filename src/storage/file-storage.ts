/**
 * The file backend: a torrent's pieces in real files under `<downloadDir>/<name>/...`
 * (multi-file) or `<downloadDir>/<file>` (single file). Every path goes through
 * `resolveInside`, so no name from a torrent reaches outside the download directory, and
 * nothing is written through a symlinked directory below it (`FdCache`, docs/path-safety.md).
 *
 * - Files are sparse: blocks are written at their offsets, nothing is preallocated, and a
 *   file reaches its final length when its last piece is written (a longer pre-existing file
 *   is cut to length once all its pieces are verified). Empty files are created on the
 *   first write or when the torrent completes. Pad ranges are never written.
 * - Unverified blocks wait in memory (`cacheBytes`); over budget, the oldest pieces' blocks
 *   go to disk and are read back when the piece is verified. A verified piece is written
 *   whole, then cached for seeding if it fits. A piece larger than the budget is never held:
 *   its blocks go to disk as they come and it is hashed `hashChunkBytes` at a time.
 * - Handles come from an `FdCache` (pass the session's to share one bound).
 * - `flush()` fsyncs every file written (or verified from disk) since the last flush and
 *   returns the pieces now durable: the only set resume data may record (docs/storage.md).
 */
import { dirname, resolve } from 'node:path';
import type { PieceLayout } from '../metainfo/layout.js';
import { BLOCK_SIZE } from '../metainfo/merkle.js';
import { copyBytes } from '../util/bytes.js';
import type { Torrent } from '../metainfo/torrent.js';
import type { PathSafetyOptions } from './path-safety.js';
import { resolveAllInside } from './path-safety.js';
import { Bitfield } from './bitfield.js';
import { PieceNotAvailableError, StorageClosedError, ioError, isMissingData, type StorageError } from './errors.js';
import { FdCache } from '../runtime/node/disk/fd-cache.js';
import { DirProbe, mapLimit, MISSING_FILE, readFully, writeFully, type FileState } from './file-io.js';
import { fileState, statDir } from '../runtime/node/disk/file-state.js';
import { PieceCache, type PendingPiece } from './piece-cache.js';
import { BufferPool, uninitialised } from './buffer-pool.js';
import { hashInChunks } from './chunked-hash.js';
import { SyncTracker } from './durability.js';
import { overlay, spanParts, uncovered, validateBlock, zeroPads } from './piece-map.js';
import type { PieceFailure, PieceStorage, StorageEventHandler, StorageStats } from './types.js';
import { PieceVerifier } from './verifier.js';

export interface FileStorageOptions {
  /** The directory the torrent is saved under. */
  downloadDir: string;
  /** Memory for unverified blocks plus pieces cached for seeding, in bytes (default 8 MiB). */
  cacheBytes?: number;
  /** Bound of this storage's own handle cache (default 64); ignored when `fdCache` is given. */
  maxOpenFiles?: number;
  /** A handle cache shared with other torrents (a session's). */
  fdCache?: FdCache;
  onEvent?: StorageEventHandler;
  /** Passed to `resolveInside` (e.g. `maxComponentBytes`). */
  pathOptions?: PathSafetyOptions;
  /** A verifier to use (tests inject one to count hashing). */
  verifier?: PieceVerifier;
  /**
   * A piece not held whole in memory and longer than this is read from disk and hashed this
   * many bytes at a time (default 4 MiB, rounded up to 16 KiB), so checking a 512 MiB piece
   * holds 4 MiB, not 512.
   */
  hashChunkBytes?: number;
}

export const FILE_STORAGE_DEFAULTS = {
  cacheBytes: 8 * 1024 * 1024,
  maxOpenFiles: 64,
  hashChunkBytes: 4 * 1024 * 1024,
} as const;

/** Files stat'ed or fsync'ed at once. */
const IO_PARALLEL = 16;

export class FileStorage implements PieceStorage {
  readonly pieceCount: number;
  /** Absolute path of each `layout.files` entry; null for pad files. */
  readonly paths: readonly (string | null)[];
  /** Indices into `layout.files` of the real (non-pad) files, in order. */
  readonly realFiles: readonly number[];
  /** For each `layout.files` entry, its position in `realFiles` (-1 for pads). */
  readonly realIndexOf: readonly number[];
  readonly fdCache: FdCache;
  readonly verifier: PieceVerifier;
  private readonly layout: PieceLayout;
  private readonly have: Bitfield;
  private readonly cache: PieceCache;
  private readonly pool: BufferPool;
  private readonly ownFdCache: boolean;
  private readonly onEvent?: StorageEventHandler;
  private readonly hashChunkBytes: number;
  /** The download directory, absolute: no directory below it may be a symlink when writing. */
  private readonly root: string;
  /** Pieces of each file not yet had (finalised at zero). */
  private readonly missing: number[];
  /** Files written, or verified from disk, since the last flush. */
  private readonly durability: SyncTracker;
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly verifying = new Map<number, Promise<boolean>>();
  private readonly loading = new Map<number, Promise<Uint8Array>>();
  private writeLock: Promise<unknown> = Promise.resolve();
  /** Writes waiting for room in the cache: later ones queue behind them (order and budget). */
  private admitting = 0;
  private firstWrite?: Promise<void>;
  private emptyFiles?: Promise<void>;
  private beforeFirstWrite?: () => Promise<void>;
  private closed = false;
  private verified = 0;
  private diskReads = 0;
  private diskWrites = 0;

  constructor(readonly torrent: Torrent, options: FileStorageOptions) {
    this.layout = torrent.layout;
    this.pieceCount = torrent.pieceCount;
    this.paths = resolveAllInside(options.downloadDir, this.layout.files.map((f) => (f.pad ? null : torrent.multiFile ? [torrent.name, ...f.path] : f.path)), options.pathOptions);
    this.realFiles = this.layout.files.flatMap((f, i) => (f.pad ? [] : [i]));
    let k = 0;
    this.realIndexOf = this.layout.files.map((f) => (f.pad ? -1 : k++));
    this.have = new Bitfield(this.pieceCount);
    this.pool = new BufferPool(this.layout.pieceLength);
    this.cache = new PieceCache(options.cacheBytes ?? FILE_STORAGE_DEFAULTS.cacheBytes, (b) => this.pool.give(b));
    this.ownFdCache = !options.fdCache;
    this.fdCache = options.fdCache ?? new FdCache({ maxOpenFiles: options.maxOpenFiles ?? FILE_STORAGE_DEFAULTS.maxOpenFiles });
    this.verifier = options.verifier ?? new PieceVerifier(torrent);
    this.durability = new SyncTracker(this.fdCache, options.downloadDir);
    this.root = resolve(options.downloadDir);
    this.onEvent = options.onEvent;
    const chunk = options.hashChunkBytes ?? FILE_STORAGE_DEFAULTS.hashChunkBytes;
    if (!Number.isSafeInteger(chunk) || chunk < 1) throw new RangeError('hashChunkBytes must be a positive integer');
    // Whole 16 KiB leaves per chunk keep v2 leaf hashing simple to follow; any size would hash correctly.
    this.hashChunkBytes = Math.ceil(chunk / BLOCK_SIZE) * BLOCK_SIZE;
    this.missing = this.layout.files.map((f, i) => {
      const r = f.pad ? null : this.layout.filePieces(i);
      return r ? r.last - r.first + 1 : 0;
    });
  }

  /** Called once, before the first byte of this session reaches disk (the resume recorder marks its file unclean). */
  setBeforeFirstWrite(hook: (() => Promise<void>) | undefined): void {
    this.beforeFirstWrite = hook;
  }

  hasPiece(piece: number): boolean {
    return this.have.has(piece);
  }

  bitfield(): Bitfield {
    return this.have.clone();
  }

  /** Marks pieces as had without hashing them: trusted resume data (see check.ts). */
  restoreBitfield(pieces: Bitfield): void {
    for (const p of pieces.indices()) this.markHave(p, false);
  }

  async writeBlock(piece: number, offset: number, data: Uint8Array): Promise<void> {
    this.ensureOpen();
    validateBlock(this.layout, piece, offset, data.length);
    if (this.have.has(piece)) return;
    const size = this.layout.pieceSize(piece);
    const copy0 = size > this.cache.budget ? copyBytes(data) : undefined;
    // A piece that can never be staged: its blocks go to disk as they come, without evicting
    // or spilling anything else (it is verified from disk, in chunks).
    if (copy0) return this.track(this.writeUnstaged(piece, offset, copy0));
    const alloc = (n: number) => this.pool.take(n);
    // The common case: copied into the piece's buffer at once, within the budget.
    if (!this.admitting && this.cache.stage(piece, offset, data, size, alloc)) return;
    const copy = copyBytes(data);
    this.admitting++;
    // Over budget: admission is serialised so concurrent writers cannot overshoot it together.
    const run = this.writeLock.then(async () => {
      if (this.have.has(piece)) return;
      if (this.cache.stage(piece, offset, copy, size, alloc)) return;
      const { spill, fits } = this.cache.roomFor(size);
      for (const pp of spill) await this.spill(pp);
      if (fits && this.cache.stage(piece, offset, copy, size, alloc)) return;
      this.cache.entry(piece);
      await this.writeSpan(piece, offset, copy);
    }).finally(() => this.admitting--);
    this.writeLock = run.catch(() => undefined);
    return this.track(run);
  }

  async readBlock(piece: number, offset: number, length: number): Promise<Uint8Array> {
    this.ensureOpen();
    validateBlock(this.layout, piece, offset, length);
    if (!this.have.has(piece)) throw new PieceNotAvailableError(piece);
    return this.track((async () => {
      // Views, not copies: a verified piece's bytes never change, and a lent buffer is never reused.
      const cached = this.cache.getRead(piece);
      if (cached) {
        this.pool.lend(cached);
        return cached.subarray(offset, offset + length);
      }
      try {
        if (this.cache.cacheable(this.layout.pieceSize(piece))) return (await this.loadPiece(piece)).subarray(offset, offset + length);
        const out = new Uint8Array(length);
        await this.readSpan(piece, offset, out);
        return out;
      } catch (e) {
        if (!isMissingData(e)) throw e;
        this.lose(piece, e as StorageError);
        throw new PieceNotAvailableError(piece, { cause: e });
      }
    })());
  }

  verifyPiece(piece: number): Promise<boolean> {
    try {
      this.ensureOpen();
      validateBlock(this.layout, piece, 0, 1);
    } catch (e) {
      return Promise.reject(e);
    }
    const running = this.verifying.get(piece);
    if (running) return running;
    const p = this.track(this.verify(piece)).finally(() => this.verifying.delete(piece));
    this.verifying.set(piece, p);
    return p;
  }

  flush(): Promise<Bitfield> {
    return this.durability.flush(() => this.have.clone());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
    this.cache.clear();
    try {
      await this.flush();
    } finally {
      for (const p of this.paths) if (p) await this.fdCache.closeFile(p);
      if (this.ownFdCache) await this.fdCache.closeAll();
    }
  }

  /** Size and mtime of each real file (in `realFiles` order). */
  async fileStates(): Promise<FileState[]> {
    // Files in a directory that is not there are missing without a stat each (DirProbe).
    const dirs = new DirProbe(this.root, statDir);
    return mapLimit(this.realFiles, IO_PARALLEL, async (i) => {
      const path = this.paths[i] as string;
      return (await dirs.exists(dirname(path))) ? fileState(path) : MISSING_FILE;
    });
  }

  stats(): StorageStats {
    return {
      writeCacheBytes: this.cache.writeBytes,
      readCacheBytes: this.cache.readBytes,
      peakCacheBytes: this.cache.peakBytes,
      piecesHashed: this.verifier.hashed,
      piecesVerified: this.verified,
      diskReads: this.diskReads,
      diskWrites: this.diskWrites,
    };
  }

  private async writeUnstaged(piece: number, offset: number, data: Uint8Array): Promise<void> {
    this.cache.entry(piece);
    await this.writeSpan(piece, offset, data);
  }

  private async verify(piece: number): Promise<boolean> {
    const size = this.layout.pieceSize(piece);
    const pp = this.cache.pendingPiece(piece);
    // A snapshot: a block spilled after this point is still in it; one spilled before is on disk.
    const blocks = [...(pp?.blocks ?? [])];
    // The staged buffer already holds every block in memory; it is ours from here on.
    const staged = pp ? this.cache.detach(pp) : undefined;
    if (!staged && size > this.hashChunkBytes) return this.verifyInChunks(piece, blocks);
    const buf = staged ?? this.pool.take(size);
    const gaps = uncovered(this.layout, piece, blocks);
    if (gaps.length > 0) {
      try {
        // Only the bytes no block in memory covers: the rest may never have reached the file.
        for (const [start, end] of gaps) await this.readSpan(piece, start, buf.subarray(start, end));
      } catch (e) {
        if (isMissingData(e)) return this.fail(piece, 'missing-data');
        throw e;
      }
    }
    overlay(buf, blocks.filter(([, b]) => b.buffer !== buf.buffer));
    zeroPads(this.layout, piece, buf);
    if (!this.verifier.verify(piece, buf)) return this.fail(piece, 'hash-mismatch');
    if (blocks.length > 0) await this.writeSpan(piece, 0, buf);
    else for (const p of this.realParts(piece, 0, size)) this.mark(p.fileIndex); // may sit in the page cache only
    this.cache.dropPiece(piece);
    if (!this.cache.putRead(piece, buf)) this.pool.give(buf);
    this.verified++;
    this.markHave(piece, true);
    this.onEvent?.({ type: 'piece-verified', piece });
    return true;
  }

  /** Verifies a piece too large to hold, `hashChunkBytes` at a time (chunked-hash.ts). */
  private async verifyInChunks(piece: number, blocks: readonly (readonly [number, Uint8Array])[]): Promise<boolean> {
    let ok: boolean;
    try {
      const readSpan = (offset: number, out: Uint8Array) => this.readSpan(piece, offset, out);
      ok = await hashInChunks({ layout: this.layout, piece, blocks, chunkBytes: this.hashChunkBytes, hasher: this.verifier.hasher(piece), readSpan });
    } catch (e) {
      if (isMissingData(e)) return this.fail(piece, 'missing-data');
      throw e;
    }
    if (!ok) return this.fail(piece, 'hash-mismatch');
    for (const [o, b] of blocks) await this.writeSpan(piece, o, b);
    // Bytes read from disk may sit in the page cache only.
    for (const p of this.realParts(piece, 0, this.layout.pieceSize(piece))) this.mark(p.fileIndex);
    this.cache.dropPiece(piece);
    this.verified++;
    this.markHave(piece, true);
    this.onEvent?.({ type: 'piece-verified', piece });
    return true;
  }

  private fail(piece: number, reason: PieceFailure): false {
    this.cache.dropPiece(piece);
    this.cache.dropRead(piece);
    this.markMissing(piece);
    this.onEvent?.({ type: 'piece-failed', piece, reason });
    return false;
  }

  private lose(piece: number, error: StorageError): void {
    this.cache.dropRead(piece);
    if (this.markMissing(piece)) this.onEvent?.({ type: 'piece-lost', piece, error });
  }

  private markHave(piece: number, finalise: boolean): void {
    if (!this.have.set(piece)) return;
    for (const p of this.realParts(piece, 0, this.layout.pieceSize(piece))) {
      if (--this.missing[p.fileIndex] === 0 && finalise) void this.track(this.finaliseFile(p.fileIndex));
    }
    if (this.have.complete && finalise) void this.track(this.createEmptyFiles());
  }

  private markMissing(piece: number): boolean {
    if (!this.have.clear(piece)) return false;
    for (const p of this.realParts(piece, 0, this.layout.pieceSize(piece))) this.missing[p.fileIndex]++;
    return true;
  }

  /** A file whose every piece is verified: cut a longer pre-existing file to its length. */
  private async finaliseFile(i: number): Promise<void> {
    const path = this.paths[i] as string;
    const want = this.layout.files[i].length;
    if ((await fileState(path)).size <= want) return;
    await this.fdCache.use(path, 'write', async (fh) => {
      try {
        await fh.truncate(want);
      } catch (e) {
        throw ioError(e, path, 'truncate');
      }
    }, this.root);
    this.mark(i);
  }

  private loadPiece(piece: number): Promise<Uint8Array> {
    const running = this.loading.get(piece);
    if (running) return running;
    const p = (async () => {
      // Not zero-filled (the read overwrites it; a memset of every piece loaded for seeding
      // showed as 3% of a seeder's CPU): pad ranges, which are not read, are zeroed here.
      const buf = uninitialised(this.layout.pieceSize(piece));
      zeroPads(this.layout, piece, buf);
      await this.readSpan(piece, 0, buf);
      if (this.have.has(piece)) this.cache.putRead(piece, buf);
      return buf;
    })().finally(() => this.loading.delete(piece));
    this.loading.set(piece, p);
    return p;
  }

  /** Writes a pending piece's blocks to disk and forgets them. */
  private async spill(pp: PendingPiece): Promise<void> {
    pp.spilling = true;
    const buffer = pp.buffer;
    try {
      for (const [offset, data] of [...pp.blocks]) {
        await this.writeSpan(pp.piece, offset, data);
        this.cache.removeBlock(pp, offset, data);
      }
      if (buffer && this.cache.releaseStaged(pp, buffer)) this.pool.give(buffer);
    } finally {
      pp.spilling = false;
    }
  }

  private realParts(piece: number, offset: number, length: number) {
    return spanParts(this.layout, piece, offset, length).filter((p) => !p.pad);
  }

  /** Reads bytes [offset, offset + out.length) of a piece from disk; pad ranges stay zero. */
  private async readSpan(piece: number, offset: number, out: Uint8Array): Promise<void> {
    this.diskReads++;
    for (const p of this.realParts(piece, offset, out.length)) {
      const path = this.paths[p.fileIndex] as string;
      await this.fdCache.use(path, 'read', (fh) => readFully(fh, path, out, p.at, p.length, p.fileOffset));
    }
  }

  /** Writes `data` at byte `offset` of a piece; pad ranges are skipped. */
  private async writeSpan(piece: number, offset: number, data: Uint8Array): Promise<void> {
    await this.beforeWrite();
    this.diskWrites++;
    for (const p of this.realParts(piece, offset, data.length)) {
      const path = this.paths[p.fileIndex] as string;
      await this.fdCache.use(path, 'write', (fh) => writeFully(fh, path, data.subarray(p.at, p.at + p.length), p.fileOffset), this.root);
      // Marked after the write completes, so a flush that clears the mark fsyncs after it.
      this.mark(p.fileIndex);
    }
  }

  private mark(fileIndex: number): void {
    this.durability.mark(this.paths[fileIndex] as string);
  }

  /** Runs the first-write hook and creates the empty files, once. */
  private beforeWrite(): Promise<void> {
    this.firstWrite ??= (async () => {
      await this.beforeFirstWrite?.();
      await this.createEmptyFiles();
    })().catch((e: unknown) => {
      this.firstWrite = undefined;
      throw e;
    });
    return this.firstWrite;
  }

  private createEmptyFiles(): Promise<void> {
    this.emptyFiles ??= (async () => {
      for (const i of this.realFiles) {
        if (this.layout.files[i].length === 0) await this.fdCache.use(this.paths[i] as string, 'write', async () => undefined, this.root);
      }
    })().catch((e: unknown) => {
      this.emptyFiles = undefined;
      throw e;
    });
    return this.emptyFiles;
  }

  private ensureOpen(): void {
    if (this.closed) throw new StorageClosedError();
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.inflight.add(p);
    const done = () => this.inflight.delete(p);
    p.then(done, done);
    return p;
  }
}
