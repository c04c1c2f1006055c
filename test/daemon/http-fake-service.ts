/**
 * An in-memory TorrentService for the HTTP API's contract tests: it keeps real state
 * (torrents, settings, counters), emits events, and serves file bytes from a buffer piece by
 * piece, where a piece can be held back and released later to exercise waiting reads.
 */
import { createHash } from 'node:crypto';
import {
  ServiceError, TORRENT_STATES,
  type AddTorrentInput, type BulkAction, type Category, type NatInfo, type CreatedTorrent, type TrackerTiers, type FileRangeStream, type ListQuery, type MetricsSnapshot, type ServiceEvent,
  type SessionStats, type Settings, type SettingsView, type FilePage, type TorrentDetails, type TorrentId, type TorrentLimits, type TorrentPage, type TorrentService,
  type TorrentState, type TorrentSummary,
} from '../../src/daemon/types.js';

interface FakeFile {
  path: string;
  data: Uint8Array;
  priority: number;
}

interface FakeTorrent {
  summary: TorrentSummary;
  files: FakeFile[];
  pieceLength: number;
  /** Piece indexes (over the concatenated files) whose bytes can be read. */
  have: Set<number>;
  limits?: TorrentLimits;
}

export interface ReadLog {
  readonly id: TorrentId;
  readonly index: number;
  readonly start: number;
  readonly end: number;
  /** Ended because the signal was aborted. */
  aborted: boolean;
  /** Yielded every byte of the range. */
  done: boolean;
  /** Resolves when the read has ended either way. */
  readonly finished: Promise<void>;
}

export class FakeTorrentService implements TorrentService {
  readonly torrents = new Map<TorrentId, FakeTorrent>();
  private readonly listeners = new Set<(e: ServiceEvent) => void>();
  private waiters: (() => void)[] = [];
  private addedClock = 1_700_000_000_000;
  /** Every read() call and how it ended, for assertions. */
  readonly reads: ReadLog[] = [];
  counters = { pieceHashFailures: 3, dhtLookups: 12, announceOk: 5, announceFail: 2 };
  current: Settings = {
    downloadDir: '/downloads', downloadRateLimit: 0, uploadRateLimit: 0,
    maxActiveDownloads: 3, maxConnections: 200, maxConnectionsPerTorrent: 50, dht: true, encryption: 'prefer',
    altDownloadRateLimit: 102400, altUploadRateLimit: 102400, altEnabled: false, altSchedule: null,
    listenPort: 6881, portMapping: true, utp: true, pex: true, lsd: true, seedRatioLimit: null, seedTimeLimit: null, seedLimitAction: 'pause',
    choker: 'tit-for-tat', tyrantUploadCapacity: 0,
  };
  readonly categoryMap = new Map<string, Category>();
  nat: NatInfo = { externalAddress: null, mappings: [], votedAddress: null, natType: 'unknown', votes: { peer: 0, dht: 0, tracker: 0, portMapping: 0 }, holepunch: 'on' };
  readonly trackerMap = new Map<TorrentId, TrackerTiers>();

  private listenerWatch: (() => void)[] = [];

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Resolves once exactly n listeners are subscribed. */
  async listenersReach(n: number): Promise<void> {
    while (this.listeners.size !== n) await new Promise<void>((r) => this.listenerWatch.push(r));
  }

  /** Puts a torrent in directly (as if loaded from state), all pieces present unless `have` says otherwise. */
  seed(o: { name: string; state?: TorrentState; files?: { path: string; data: Uint8Array }[]; pieceLength?: number; have?: number[]; downloadRate?: number }): TorrentId {
    const id = createHash('sha1').update(o.name).digest('hex');
    const files = (o.files ?? [{ path: `${o.name}/data.bin`, data: new Uint8Array(1000) }]).map((f) => ({ ...f, priority: 1 }));
    const pieceLength = o.pieceLength ?? 256;
    const size = files.reduce((n, f) => n + f.data.length, 0);
    const pieces = Math.ceil(size / pieceLength);
    const have = new Set(o.have ?? [...Array(pieces).keys()]);
    this.torrents.set(id, {
      files, pieceLength, have,
      summary: {
        infoHash: id, name: o.name, progress: have.size / Math.max(1, pieces), state: o.state ?? 'seeding',
        downloadRate: o.downloadRate ?? 0, uploadRate: 0, peers: 0, eta: null, size, downloaded: 0, uploaded: 0,
        savePath: this.current.downloadDir, addedAt: this.addedClock++, category: '',
      },
    });
    return id;
  }

  /** Makes a held-back piece readable and wakes waiting reads. */
  completePiece(id: TorrentId, piece: number): void {
    this.get(id).have.add(piece);
    const w = this.waiters;
    this.waiters = [];
    for (const wake of w) wake();
  }

  emit(event: ServiceEvent): void {
    for (const l of this.listeners) l(event);
  }

  list(q: ListQuery): TorrentPage {
    let rows = [...this.torrents.values()].map((t) => t.summary);
    if (q.state) rows = rows.filter((r) => r.state === q.state);
    if (q.search) {
      const s = q.search.toLowerCase();
      rows = rows.filter((r) => r.name.toLowerCase().includes(s) || r.infoHash.includes(s));
    }
    const key = q.sort ?? 'addedAt';
    const sign = q.order === 'desc' ? -1 : 1;
    rows.sort((a, b) => sign * (a[key] < b[key] ? -1 : a[key] > b[key] ? 1 : 0));
    const offset = q.offset ?? 0;
    return { total: rows.length, offset, torrents: rows.slice(offset, offset + (q.limit ?? 100)) };
  }

  async add(input: AddTorrentInput): Promise<TorrentId> {
    let name: string;
    if (input.magnet !== undefined) {
      const m = /^magnet:\?xt=urn:btih:([0-9a-f]{40})(?:&dn=([^&]*))?/i.exec(input.magnet);
      if (!m) throw new ServiceError(400, 'not a magnet link with a btih');
      name = m[2] ?? m[1];
    } else {
      const bytes = Buffer.from(input.torrent ?? []);
      if (bytes[0] !== 0x64 || bytes[bytes.length - 1] !== 0x65) throw new ServiceError(400, 'not a .torrent file');
      name = `upload-${bytes.length}`;
    }
    const id = createHash('sha1').update(name).digest('hex');
    if (this.torrents.has(id)) throw new ServiceError(409, 'torrent already added');
    this.seed({ name, state: input.paused ? 'paused' : 'downloading', have: [] });
    const t = this.get(id);
    if (input.savePath) t.summary = { ...t.summary, savePath: input.savePath };
    this.emit({ type: 'torrent-added', torrent: t.summary });
    return id;
  }

  /** Calls, for the routes that must load a torrent's metainfo first. */
  metadataLoads: TorrentId[] = [];

  async loadMetadata(id: TorrentId): Promise<void> {
    this.get(id); // 404 if unknown, as the real one
    this.metadataLoads.push(id);
  }

  details(id: TorrentId, page: FilePage = { offset: 0, limit: Infinity }): TorrentDetails {
    const t = this.get(id);
    const pieceCount = Math.ceil(t.summary.size / t.pieceLength);
    const bits = new Uint8Array(Math.ceil(pieceCount / 8));
    for (const p of t.have) bits[p >> 3] |= 0x80 >> (p & 7);
    return {
      ...t.summary, magnet: `magnet:?xt=urn:btih:${id}`, infoHashes: { v1: id }, pieceLength: t.pieceLength, pieceCount,
      pieces: Buffer.from(bits).toString('base64'),
      files: t.files.map((f, index) => ({ index, path: f.path, length: f.data.length, progress: t.summary.progress, priority: f.priority })).slice(page.offset, page.offset + page.limit),
      fileCount: t.files.length, fileOffset: page.offset,
      peerList: [{ address: '192.0.2.7:6881', client: 'libtorrent 2.0', downloadRate: 10, uploadRate: 0, progress: 1, flags: 'DP', transport: 'utp' }],
      trackers: [{ url: 'http://tracker.example/announce', tier: 0, status: 'working', peers: 1 }],
      limits: t.limits ?? { downloadRateLimit: 0, uploadRateLimit: 0 },
      ratio: 0, seedingTime: 0, seedRatioLimit: null, seedTimeLimit: null, effectiveSeedRatioLimit: null, effectiveSeedTimeLimit: null,
    };
  }

  async setTorrentLimits(id: TorrentId, limits: Partial<TorrentLimits>): Promise<TorrentLimits> {
    const t = this.get(id);
    t.limits = { downloadRateLimit: 0, uploadRateLimit: 0, ...t.limits, ...limits };
    return t.limits;
  }

  async pause(id: TorrentId): Promise<void> {
    this.setState(id, 'paused');
  }

  async resume(id: TorrentId): Promise<void> {
    const t = this.get(id);
    this.setState(id, t.summary.progress === 1 ? 'seeding' : 'downloading');
  }

  async remove(id: TorrentId, _options: { deleteData: boolean }): Promise<void> {
    this.get(id);
    this.torrents.delete(id);
    this.emit({ type: 'torrent-removed', infoHash: id });
  }

  setFilePriorities(id: TorrentId, priorities: readonly { index: number; priority: number }[]): void {
    const t = this.get(id);
    for (const { index } of priorities) if (index >= t.files.length) throw new ServiceError(400, `no file ${index}`);
    for (const { index, priority } of priorities) t.files[index].priority = priority;
  }

  settings(): SettingsView {
    return { ...this.current, forced: {} };
  }

  async updateSettings(patch: Partial<Settings>): Promise<SettingsView> {
    this.current = { ...this.current, ...patch };
    return this.settings();
  }

  stats(): SessionStats {
    const torrents = Object.fromEntries(TORRENT_STATES.map((s) => [s, 0])) as Record<TorrentState, number>;
    for (const t of this.torrents.values()) torrents[t.summary.state]++;
    return { downloadRate: 0, uploadRate: 0, downloaded: 1234, uploaded: 567, peers: 1, torrents, dht: { enabled: true, nodes: 42, lookups: this.counters.dhtLookups }, altRateLimits: false, nat: this.nat };
  }

  metrics(): MetricsSnapshot {
    const s = this.stats();
    return {
      bytesDownloaded: s.downloaded, bytesUploaded: s.uploaded, peers: s.peers, torrentsByState: s.torrents,
      pieceHashFailures: this.counters.pieceHashFailures, dhtNodes: s.dht.nodes, dhtLookups: this.counters.dhtLookups,
      trackerAnnounces: { success: this.counters.announceOk, failure: this.counters.announceFail }, diskQueueBytes: 4096, nat: s.nat,
    };
  }

  // The operations below are tested over the real service (service-*.test.ts, http-manage.test.ts);
  // the fake keeps just enough state for the API's contract tests.
  async addUrl(url: string, input: Omit<AddTorrentInput, 'magnet' | 'torrent'>): Promise<TorrentId> {
    return this.add({ ...input, magnet: url });
  }

  async addPeer(id: TorrentId): Promise<void> {
    this.get(id);
  }

  async recheck(id: TorrentId): Promise<void> {
    this.setState(id, 'checking');
  }

  async reannounce(id: TorrentId): Promise<void> {
    this.get(id);
  }

  trackers(id: TorrentId): TrackerTiers {
    this.get(id);
    return this.trackerMap.get(id) ?? [];
  }

  async setTrackers(id: TorrentId, tiers: TrackerTiers): Promise<TrackerTiers> {
    this.get(id);
    this.trackerMap.set(id, tiers);
    return tiers;
  }

  async move(id: TorrentId, savePath: string): Promise<void> {
    const t = this.get(id);
    t.summary = { ...t.summary, savePath };
  }

  async patchTorrent(id: TorrentId, patch: { category?: string; name?: string }): Promise<TorrentDetails> {
    const t = this.get(id);
    t.summary = { ...t.summary, ...(patch.category !== undefined ? { category: patch.category } : {}), ...(patch.name !== undefined ? { name: patch.name } : {}) };
    return this.details(id);
  }

  async renameFile(id: TorrentId, index: number, path: string): Promise<void> {
    const t = this.get(id);
    if (!t.files[index]) throw new ServiceError(404, `no file ${index}`);
    t.files[index].path = path;
  }

  categories(): readonly Category[] {
    return [...this.categoryMap.values()];
  }

  async setCategory(name: string, savePath: string): Promise<Category> {
    const c = { name, savePath };
    this.categoryMap.set(name, c);
    return c;
  }

  async deleteCategory(name: string): Promise<void> {
    if (!this.categoryMap.delete(name)) throw new ServiceError(404, `no category ${name}`);
  }

  async bulk(action: BulkAction, ids: readonly TorrentId[], o: { deleteData: boolean }): Promise<Record<TorrentId, string>> {
    const out: Record<TorrentId, string> = {};
    for (const id of ids) {
      try {
        if (action === 'remove') await this.remove(id, o);
        else await this[action](id);
        out[id] = 'ok';
      } catch (e) {
        out[id] = (e as Error).message;
      }
    }
    return out;
  }

  async create(): Promise<CreatedTorrent> {
    throw new ServiceError(409, 'the fake service cannot create torrents');
  }

  openFile(id: TorrentId, fileIndex: number): FileRangeStream {
    const t = this.get(id);
    const file = t.files[fileIndex];
    if (!file) throw new ServiceError(404, `no file ${fileIndex}`);
    const fileOffset = t.files.slice(0, fileIndex).reduce((n, f) => n + f.data.length, 0);
    const reads = this.reads;
    const waitForPiece = (p: number, signal: AbortSignal) => new Promise<void>((resolve) => {
      if (t.have.has(p) || signal.aborted) return resolve();
      this.waiters.push(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
    return {
      fileLength: file.data.length,
      async *read(start, end, signal) {
        let finish = (): void => undefined;
        const log: ReadLog = { id, index: fileIndex, start, end, aborted: false, done: false, finished: new Promise((r) => (finish = r)) };
        reads.push(log);
        try {
          let pos = start;
          while (pos <= end) {
            const piece = Math.floor((fileOffset + pos) / t.pieceLength);
            while (!t.have.has(piece) && !signal.aborted) await waitForPiece(piece, signal);
            if (signal.aborted) {
              log.aborted = true;
              return;
            }
            const pieceEnd = (piece + 1) * t.pieceLength - fileOffset - 1;
            const last = Math.min(end, pieceEnd);
            yield file.data.slice(pos, last + 1);
            pos = last + 1;
          }
          log.done = true;
        } finally {
          finish();
        }
      },
    };
  }

  subscribe(listener: (event: ServiceEvent) => void): () => void {
    this.listeners.add(listener);
    this.listenersChanged();
    return () => {
      this.listeners.delete(listener);
      this.listenersChanged();
    };
  }

  private listenersChanged(): void {
    const w = this.listenerWatch;
    this.listenerWatch = [];
    for (const wake of w) wake();
  }

  private get(id: TorrentId): FakeTorrent {
    const t = this.torrents.get(id);
    if (!t) throw new ServiceError(404, `no torrent ${id}`);
    return t;
  }

  private setState(id: TorrentId, state: TorrentState): void {
    const t = this.get(id);
    t.summary = { ...t.summary, state };
    this.emit({ type: 'torrent-updated', torrent: t.summary });
  }
}
