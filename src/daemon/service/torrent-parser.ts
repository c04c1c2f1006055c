/**
 * Parses .torrent files for the daemon without stalling its event loop: a large one (more
 * than `offThreadBytes`) is parsed on a worker thread, one at a time, and handed back as
 * columns (metainfo/torrent-transfer.ts). A 700,000-file torrent took the API away for 10-30 s
 * when it was parsed inline (docs/daemon.md#large-torrents).
 */
import { Worker } from 'node:worker_threads';
import { InputError, ShoalError } from '../../errors.js';
import { ServiceError } from '../types.js';
import { parseTorrent, type ParseTorrentOptions, type Torrent } from '../../metainfo/torrent.js';
import { ColumnsReader, type TorrentColumns } from '../../metainfo/torrent-transfer.js';

export interface TorrentParserOptions {
  /** .torrent files larger than this (bytes) are parsed on a worker thread (default 1 MiB: about 20,000 files); 0 for all, Infinity for none. */
  offThreadBytes?: number;
  /** Heap of the worker (MiB, default 2048): a torrent within the parser's own limits needs at most about 1.2 GB; past it the add fails, the daemon lives. */
  workerMaxHeapMb?: number;
  /** Large .torrent files waiting for the worker (the one being parsed included) at most (default 4); past it an add gets 409 (each waiting one holds its bytes, up to 20 MiB). */
  maxQueued?: number;
}

export const DEFAULT_OFF_THREAD_BYTES = 1024 * 1024;
export const DEFAULT_WORKER_MAX_HEAP_MB = 2048;
export const DEFAULT_MAX_QUEUED_PARSES = 4;

/** Files rebuilt per turn of the event loop (about 10 ms each). */
const FILES_PER_TURN = 20_000;

async function rebuild(c: TorrentColumns): Promise<Torrent> {
  const r = new ColumnsReader(c);
  // A turn of Node's own event loop (not the runtime clock, whose timers a test may make virtual).
  // eslint-disable-next-line no-restricted-globals -- daemon/ is Node I/O; this yields to the API's requests
  while (!r.step(FILES_PER_TURN)) await new Promise<void>((res) => setImmediate(res));
  return r.torrent();
}

type Reply = { ok: TorrentColumns } | { error: { message: string; input: boolean } };

export class TorrentParser {
  private readonly offThreadBytes: number;
  private readonly workerMaxHeapMb: number;
  private readonly maxQueued: number;
  /** Large parses waiting or running. */
  private queued = 0;
  /** The parse under way: the next waits for it (each can hold ~1 GB while it runs). */
  private tail: Promise<unknown> = Promise.resolve();
  /** Parses done on a worker thread (for tests and metrics). */
  offThread = 0;

  constructor(o: TorrentParserOptions = {}) {
    this.offThreadBytes = o.offThreadBytes ?? DEFAULT_OFF_THREAD_BYTES;
    this.workerMaxHeapMb = o.workerMaxHeapMb ?? DEFAULT_WORKER_MAX_HEAP_MB;
    this.maxQueued = o.maxQueued ?? DEFAULT_MAX_QUEUED_PARSES;
  }

  /**
   * `parseTorrent(bytes, options)`, off the event loop when `bytes` is large. Throws what it
   * would, or a 409 `ServiceError` past `maxQueued` unless `queueCap` is false (the daemon's
   * own starts, which `startConcurrency` bounds already).
   */
  parse(bytes: Uint8Array, options?: ParseTorrentOptions, queueCap = true): Promise<Torrent> {
    if (bytes.length <= this.offThreadBytes) return Promise.resolve().then(() => parseTorrent(bytes, options));
    if (queueCap && this.queued >= this.maxQueued) {
      return Promise.reject(new ServiceError(409, `${this.queued} large .torrent files are being parsed already (torrentParser.maxQueued); try again when one is done`));
    }
    this.queued++;
    const run = this.tail.then(() => this.inWorker(bytes, options)).finally(() => this.queued--);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private inWorker(bytes: Uint8Array, options: ParseTorrentOptions | undefined): Promise<Torrent> {
    this.offThread++;
    return new Promise<Torrent>((resolve, reject) => {
      const w = new Worker(new URL('./parse-worker.js', import.meta.url), { workerData: { bytes, options }, resourceLimits: { maxOldGenerationSizeMb: this.workerMaxHeapMb } });
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        void w.terminate();
        f();
      };
      w.once('message', (m: Reply) => settle(() => {
        if ('ok' in m) rebuild(m.ok).then(resolve, reject);
        else reject(m.error.input ? new InputError(m.error.message) : new ShoalError(`parsing the torrent failed: ${m.error.message}`));
      }));
      w.once('error', (e) => settle(() => reject(new ShoalError(`parsing the torrent failed: ${e.message}`, { cause: e }))));
      w.once('exit', (code) => settle(() => reject(new ShoalError(`parsing the torrent failed: its worker exited (${code})`))));
    });
  }
}
