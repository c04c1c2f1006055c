/**
 * One torrent of the daemon: its durable record, and while it runs its swarm, tracker
 * announcer and rate limiters. Answers the read side of the API (summary, files, peers,
 * trackers, pieces) from the swarm when there is one, else from the record and the resume
 * file, so a daemon with thousands of idle torrents parses none of them to list them.
 */
import { readFileSync } from 'node:fs';
import type { TorrentFile } from '../../metainfo/layout.js';
import { parseTorrent, type Torrent } from '../../metainfo/torrent.js';
import type { Runtime } from '../../runtime/types.js';
import { decodeResume } from '../../storage/resume-codec.js';
import { piecePriorities } from '../../swarm/geometry.js';
import { RateLimiter } from '../../swarm/rate-limit.js';
import type { Swarm } from '../../swarm/swarm.js';
import { Bitfield } from '../../util/bitfield.js';
import type { ClientTorrent } from '../../session/client.js';
import type { FileInfo, FilePage, TorrentState, TorrentSummary, TrackerInfo } from '../types.js';
import type { TorrentRecord } from './state-store.js';
import { withRenames } from './file-rename.js';
import type { TorrentParser } from './torrent-parser.js';

export class TorrentEntry {
  torrent: Torrent | undefined;
  swarm: Swarm | undefined;
  /** The running torrent's trackers and DHT lookups (`stop()` removes its swarm too). */
  announcer: ClientTorrent | undefined;
  stopDht: (() => void) | undefined;
  /** Opening storage / checking data (the swarm is not handed over yet). */
  starting: Promise<void> | undefined;
  /** The swarm being stopped (resume data written, files closed); a new start waits for it. */
  stopping: Promise<void> | undefined;
  /** Set when the torrent failed; cleared by resume. */
  error: string | undefined;
  /** Why the saved metainfo could not be parsed (kept: resuming cannot fix it). */
  loadError: string | undefined;
  /** Run regardless of the download queue (a stream is reading it). */
  forced = false;
  private prioCache: { readonly torrent: Torrent; readonly files: readonly number[]; readonly pieces: readonly number[] } | undefined;
  /** Its data is being moved (POST .../move): it does not run meanwhile. */
  moving = false;
  /** A recheck asked for: the next start hashes every piece (state 'checking'). */
  rechecking = false;
  /** Clock ms up to which seeding time was counted into the record. */
  seedingCountedTo: number | undefined;
  /** Verified pieces as last known while no swarm runs (from the stopped swarm or the resume file). */
  private lastHave: Bitfield | undefined;
  /** The swarm's transfer totals already folded into the record. */
  folded = { downloaded: 0, uploaded: 0 };
  readonly limiters: { readonly download: RateLimiter; readonly upload: RateLimiter };
  readonly trackers = new Map<string, { tier: number; status: TrackerInfo['status']; message?: string; peers?: number; seeders?: number; leechers?: number; lastAnnounce?: number; nextAnnounce?: number }>();
  /** Streams waiting for a piece. */
  private readonly pieceWaiters = new Map<number, Set<() => void>>();
  /** The summary last sent to subscribers (change detection for torrent-updated). */
  lastSent: TorrentSummary | undefined;
  private cached: { at: number; summary: TorrentSummary } | undefined;

  constructor(
    public record: TorrentRecord,
    runtime: Runtime,
    private readonly resumePath: (t: Torrent) => string,
    private readonly metaBytes: () => Uint8Array,
    private readonly parser?: TorrentParser,
  ) {
    this.limiters = { download: new RateLimiter(runtime.clock, record.downloadLimit ?? 0), upload: new RateLimiter(runtime.clock, record.uploadLimit ?? 0) };
  }

  get id(): string {
    return this.record.id;
  }

  /**
   * The parsed torrent, parsed from the stored metainfo on first use; undefined for a magnet
   * without metadata, and when the saved metainfo no longer loads (missing, or refused by a
   * limit added since it was saved): then `loadError` and `error` say why, and it never runs.
   */
  metadata(): Torrent | undefined {
    if (!this.torrent && this.record.hasMetadata && this.loadError === undefined) {
      try {
        this.torrent = withRenames(parseTorrent(this.metaBytes(), { requirePieceLayers: false }), this.record.renames);
      } catch (e) {
        this.loadError = `cannot load the saved torrent: ${(e as Error).message}`;
        this.error = this.loadError;
      }
    }
    return this.torrent;
  }

  /**
   * `metadata()`, with a large saved torrent parsed off the event loop (`TorrentParser`): what
   * starting a torrent uses, so a daemon restarting with a 700,000-file torrent keeps answering.
   */
  async loadMetadata(): Promise<Torrent | undefined> {
    if (this.torrent || !this.record.hasMetadata || this.loadError !== undefined || !this.parser) return this.metadata();
    try {
      const parsed = await this.parser.parse(this.metaBytes(), { requirePieceLayers: false }, false);
      this.torrent ??= withRenames(parsed, this.record.renames);
    } catch (e) {
      if (this.torrent) return this.torrent;
      this.loadError = `cannot load the saved torrent: ${(e as Error).message}`;
      this.error = this.loadError;
    }
    return this.torrent;
  }

  /** Whether a swarm is running or being started. */
  get running(): boolean {
    return this.swarm !== undefined || this.starting !== undefined;
  }

  /** Running and still fetching (takes a download slot). */
  get downloading(): boolean {
    return this.running && !this.record.complete;
  }

  get state(): TorrentState {
    if (this.moving) return 'moving';
    if (this.rechecking) return 'checking';
    if (this.error !== undefined) return 'error';
    if (this.record.paused) return 'paused';
    if (this.running) {
      if (!this.record.hasMetadata) return 'metadata';
      if (this.starting) return 'checking';
      return this.record.complete ? 'seeding' : 'downloading';
    }
    return this.record.complete ? 'seeding' : 'queued';
  }

  /** The pieces verified now. */
  have(): Bitfield | undefined {
    const running = this.swarm?.haveSnapshot();
    if (running) return running;
    if (this.lastHave) return this.lastHave;
    const t = this.metadata();
    if (!t) return undefined;
    const path = this.resumePath(t);
    try {
      const r = decodeResume(readFileSync(path));
      if (r.have.length === t.pieceCount) this.lastHave = r.have;
    } catch {
      // No resume file yet (or a bad one): nothing known to be had.
    }
    return (this.lastHave ??= new Bitfield(t.pieceCount));
  }

  /** Forget the pieces known from the last run (a recheck finds them again). */
  forgetHave(): void {
    this.lastHave = undefined;
  }

  /** Remember what the swarm had before it goes. */
  keepHave(): void {
    const had = this.swarm?.haveSnapshot();
    if (had) this.lastHave = had;
  }

  /** Wanted and had bytes; with no priorities set, the whole torrent. */
  progressBytes(): { wanted: number; had: number } {
    const t = this.torrent;
    const have = t && (this.swarm?.status().ready || this.lastHave) ? this.have() : undefined;
    if (!t || !have) return { wanted: this.record.size, had: this.record.bytesHave };
    const prios = this.record.priorities ? this.piecePriorities(t, this.record.priorities) : undefined;
    let wanted = 0, had = 0;
    for (let p = 0; p < t.pieceCount; p++) {
      if (prios && prios[p] === 0) continue;
      const size = t.layout.pieceSize(p);
      wanted += size;
      if (have.has(p)) had += size;
    }
    // Pad bytes count in the piece space but not in the torrent's length.
    const scale = t.layout.totalLength > 0 ? t.length / t.layout.totalLength : 1;
    return { wanted: Math.round(wanted * scale), had: Math.round(had * scale) };
  }

  /** Piece priorities from the file priorities, made again only when those change (an O(files) walk, every poll before). */
  private piecePriorities(t: Torrent, files: readonly number[]): readonly number[] {
    const c = this.prioCache;
    if (c && c.torrent === t && c.files === files) return c.pieces;
    const pieces = piecePriorities(t, files);
    this.prioCache = { torrent: t, files, pieces };
    return pieces;
  }

  /** The summary, computed at most once per `maxAgeMs` (list and events share it). */
  summary(now: number, maxAgeMs = 900): TorrentSummary {
    if (this.cached && now - this.cached.at < maxAgeMs) return this.cached.summary;
    const s = this.computeSummary();
    this.cached = { at: now, summary: s };
    return s;
  }

  /** Forget the cached summary (the state changed). */
  touch(): void {
    this.cached = undefined;
  }

  private computeSummary(): TorrentSummary {
    const r = this.record;
    const stats = this.swarm?.stats();
    const { wanted, had } = this.progressBytes();
    const state = this.state;
    const downloadRate = stats?.downloadRate ?? 0;
    const progress = wanted > 0 ? Math.min(1, had / wanted) : r.complete ? 1 : 0;
    return {
      infoHash: r.id,
      name: r.name,
      progress,
      state,
      downloadRate,
      uploadRate: stats?.uploadRate ?? 0,
      peers: stats?.peers ?? 0,
      eta: state === 'downloading' && downloadRate > 0 ? Math.ceil((wanted - had) / downloadRate) : null,
      size: r.size,
      downloaded: r.downloaded + (stats ? stats.downloaded - this.folded.downloaded : 0),
      uploaded: r.uploaded + (stats ? stats.uploaded - this.folded.uploaded : 0),
      savePath: r.savePath,
      addedAt: r.addedAt,
      category: r.category ?? '',
      ...(this.error !== undefined ? { error: this.error } : {}),
    };
  }

  /** Real files (pads left out) of the torrent; 0 before its metadata. */
  fileCount(): number {
    const t = this.metadata();
    return t ? realFileIndex(t).length : 0;
  }

  /**
   * The files of `page` with their progress: work for the page and the pieces its files span,
   * not for every file (a 700,000-file torrent polled every second).
   */
  files(page: FilePage = { offset: 0, limit: Infinity }): FileInfo[] {
    const t = this.metadata();
    if (!t) return [];
    const have = this.have();
    const real = realFileIndex(t);
    const end = Math.min(real.length, page.offset + page.limit);
    const out: FileInfo[] = [];
    for (let index = page.offset; index < end; index++) out.push(this.fileInfo(t, have, index, t.layout.files[real[index]]));
    return out;
  }

  private fileInfo(t: Torrent, have: Bitfield | undefined, index: number, f: TorrentFile): FileInfo {
    let had = 0;
    const first = Math.floor(f.offset / t.pieceLength);
    const last = f.length === 0 ? first - 1 : Math.floor((f.offset + f.length - 1) / t.pieceLength);
    for (let p = first; p <= last; p++) {
      if (!have?.has(p)) continue;
      const start = Math.max(f.offset, p * t.pieceLength);
      const end = Math.min(f.offset + f.length, (p + 1) * t.pieceLength);
      had += end - start;
    }
    const path = t.multiFile ? [t.name, ...f.path].join('/') : f.path.join('/');
    return { index, path, length: f.length, progress: f.length > 0 ? had / f.length : have?.complete ? 1 : 0, priority: this.record.priorities?.[index] ?? 1 };
  }

  trackerList(): TrackerInfo[] {
    return [...this.trackers].map(([url, s]) => ({ url, ...s, ...(s.nextAnnounce !== undefined ? { nextAnnounceAt: s.nextAnnounce } : {}) }));
  }

  /** Adds the time seeded since the last call (while complete and running) to the record. */
  countSeeding(now: number): void {
    const seeding = this.swarm !== undefined && this.record.complete && !this.record.paused && !this.moving;
    if (seeding && this.seedingCountedTo !== undefined) this.record.seedingMs = (this.record.seedingMs ?? 0) + Math.max(0, now - this.seedingCountedTo);
    this.seedingCountedTo = seeding ? now : undefined;
  }

  /** Fold the running swarm's transfer counters into the record (and return the increase). */
  fold(): { downloaded: number; uploaded: number } {
    const s = this.swarm?.status();
    if (!s) return { downloaded: 0, uploaded: 0 };
    const d = { downloaded: s.downloaded - this.folded.downloaded, uploaded: s.uploaded - this.folded.uploaded };
    this.folded = { downloaded: s.downloaded, uploaded: s.uploaded };
    this.record.downloaded += d.downloaded;
    this.record.uploaded += d.uploaded;
    const { had } = this.progressBytes();
    this.record.bytesHave = had;
    return d;
  }

  /** Resolves when piece `p` is verified (or at once if it is); rejects when `signal` aborts. */
  waitPiece(p: number, signal: AbortSignal): Promise<void> {
    if (this.swarm?.hasPiece(p)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      let set = this.pieceWaiters.get(p);
      if (!set) this.pieceWaiters.set(p, (set = new Set()));
      const done = () => {
        set.delete(done);
        signal.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = () => {
        set.delete(done);
        reject(signal.reason);
      };
      set.add(done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** A piece verified: wake the streams waiting for it. */
  pieceVerified(p: number): void {
    const set = this.pieceWaiters.get(p);
    if (!set) return;
    this.pieceWaiters.delete(p);
    for (const w of [...set]) w();
  }

  /** Wake every waiting stream (the swarm started: they re-check). */
  wakeAll(): void {
    for (const p of [...this.pieceWaiters.keys()]) if (this.swarm?.hasPiece(p)) this.pieceVerified(p);
  }

  get streamReaders(): number {
    let n = 0;
    for (const s of this.pieceWaiters.values()) n += s.size;
    return n;
  }
}

/** Each real file's position in `layout.files` (pads left out), made once per torrent. */
const realIndexes = new WeakMap<Torrent, Int32Array>();

function realFileIndex(t: Torrent): Int32Array {
  let r = realIndexes.get(t);
  if (r === undefined) {
    const files = t.layout.files;
    let n = 0;
    for (const f of files) if (!f.pad) n++;
    r = new Int32Array(n);
    for (let i = 0, k = 0; i < files.length; i++) if (!files[i].pad) r[k++] = i;
    realIndexes.set(t, r);
  }
  return r;
}
