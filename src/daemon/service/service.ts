/**
 * The daemon's torrent service: one session (one listen port, one DHT node, one handle
 * cache) for many torrents, a download queue, global and per-torrent rate limits, durable
 * state, live events. The HTTP API (src/daemon/http/) calls it through `TorrentService`.
 *
 * Start-up is quick at any scale: `create` reads two state files and builds the torrent
 * list without parsing a torrent; swarms start afterwards, a few at a time, in the
 * background (`startAll`), so the API answers while thousands of seeds are still opening.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Address, TimerHandle } from '../../runtime/types.js';
import { createClient, type Client } from '../../session/client.js';
import { resumePathFor, type Session } from '../../session/session.js';
import type { StorageStats } from '../../storage/types.js';
import { DEFAULT_ENCRYPTION_POLICY } from '../../transport/mse/index.js';
import {
  ServiceError,
  type AddTorrentInput, type BulkAction, type Category, type CreateTorrentInput, type CreatedTorrent, type FileRangeStream, type ListQuery,
  type MetricsSnapshot, type ServiceEvent, type SessionStats, type Settings, type SettingsView, type TorrentDetails, type TorrentId, type TorrentLimits,
  type TorrentPage, type TorrentPatch, type TorrentService, type TrackerTiers,
} from '../types.js';
import { findDefaultGateway } from '../../runtime/node/gateway.js';
import { MAX_TORRENT_FILE_BYTES } from '../http/limits.js';
import { runBulk } from './bulk.js';
import { Categories, checkCategoryName } from './categories.js';
import { createFromPath } from './create.js';
import * as manage from './manage.js';
import { DaemonPortMapping, natVoteInfo } from './port-mapping.js';
import { effectiveLimit, enforceSeedLimits, shareRatio } from './seed-limits.js';
import { DEFAULT_URL_FETCH_TIMEOUT_MS, DEFAULT_URL_MAX_CONCURRENT, DEFAULT_URL_MAX_REDIRECTS, fetchTorrentFile, shownUrl } from './url-fetch.js';
import { parseInput } from './add-input.js';
import { deleteTorrentData } from './delete-data.js';
import { torrentDetails } from './details.js';
import { DhtScheduler } from './dht-scheduler.js';
import { openFileStream } from './file-stream.js';
import { queryPage } from './list-query.js';
import { foldTotals, stopAll, stopEntryBounded, type DaemonCounters, type RunContext } from './runner.js';
import { DownloadQueue } from './queue.js';
import { prepareSavePath } from './save-path.js';
import { defaultSettings, loadSettings } from './settings.js';
import { localTimeOf, type LocalTime } from '../alt-speed.js';
import { SessionLimits } from './session-limits.js';
import { SettingsLayers } from './settings-layers.js';
import { StateStore, type TorrentRecord } from './state-store.js';
import { DEFAULT_MAX_TORRENTS, DEFAULT_STOP_TIMEOUT_MS, forcedSettings, type DaemonServiceOptions } from './options.js';
import { metricsSnapshot, sameSummary, sessionStats } from './stats.js';
import { TorrentEntry } from './torrent-entry.js';

export { DEFAULT_MAX_TORRENTS, DEFAULT_STOP_TIMEOUT_MS, type DaemonServiceOptions } from './options.js';

const TICK_MS = 1000;
const SNAPSHOT_EVERY_MS = 60_000;

/** Problems nobody is waiting for go to the daemon's log (stderr unless `log` is given). */
function daemonLog(o: DaemonServiceOptions): (message: string) => void {
  return o.log ?? ((m) => console.error(`shoal daemon: ${m}`));
}

export class DaemonService implements TorrentService {
  private readonly entries = new Map<TorrentId, TorrentEntry>();
  private readonly listeners = new Set<(e: ServiceEvent) => void>();
  private readonly counters: DaemonCounters = { pieceHashFailures: 0, announceSuccess: 0, announceFailure: 0 };
  private readonly globalLimiters: SessionLimits;
  private readonly dhtScheduler: DhtScheduler;
  private readonly ctx: RunContext;
  private readonly layers: SettingsLayers;
  /** Settings this run holds whatever is stored, and the flag behind each (`GET /api/settings` → `forced`). */
  private readonly forcedBy: SettingsView['forced'];
  private readonly categoryList: Categories;
  private readonly portMapping: DaemonPortMapping;
  private readonly host: manage.ManageHost;
  private tickTimer: TimerHandle | undefined;
  private lastSnapshot: number;
  private closed = false;
  /** `POST /api/torrents {"url"}` fetches under way (`UrlFetchLimits.maxConcurrent`). */
  private urlFetches = 0;
  private readonly queue: DownloadQueue;

  private constructor(
    private readonly o: DaemonServiceOptions,
    private readonly store: StateStore,
    readonly client: Client,
  ) {
    const session = client.session;
    const rt = o.runtime;
    const forced = forcedSettings(o);
    this.forcedBy = forced.by;
    this.layers = new SettingsLayers(loadSettings(defaultSettings(o.downloadDir), o.settingsStore ? o.settingsStore.read() : store.readSettings()), o.settingsOverrides, forced.values);
    this.globalLimiters = new SessionLimits(rt.clock, this.current, this.localTime());
    session.setMaxConnections(this.current.maxConnections);
    session.setEncryptionPolicy(this.current.encryption);
    this.dhtScheduler = new DhtScheduler(() => client.dht, () => session.listenAddress?.port ?? 0, rt.random);
    this.lastSnapshot = rt.clock.now();
    this.ctx = {
      runtime: rt, client, store, dht: this.dhtScheduler, counters: this.counters, limiters: this.globalLimiters,
      wallClock: o.wallClock,
      stopTimeoutMs: o.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS,
      log: daemonLog(o),
      settings: () => this.current,
      changed: (entry) => entry.touch(),
      replan: () => this.requestPlan(),
    };
    for (const record of store.records.values()) this.entries.set(record.id, this.newEntry(record));
    this.queue = new DownloadQueue(this.entries, this.ctx, o.startConcurrency ?? 16);
    this.categoryList = Categories.in(o.stateDir);
    this.portMapping = new DaemonPortMapping({
      runtime: rt, findGateway: o.findGateway ?? findDefaultGateway, log: this.ctx.log,
      // The router's word on our address is a vote too (docs/nat.md); it goes with the mapping.
      onMapped: (host, port, gateway) => session.voteExternalAddress({ source: 'port-mapping', reporter: gateway, host, port }),
      onUnmapped: () => session.external.forgetPortMapping(),
    });
    this.host = {
      ctx: this.ctx, stateDir: o.stateDir, categories: this.categoryList,
      get: (id) => this.get(id),
      requestPlan: () => this.requestPlan(),
      dhtNow: (e) => this.dhtScheduler.now(e, rt.clock.now()),
    };
  }

  /** Loads the state directory and opens the listen port; swarms start later (`startAll`). */
  static async create(o: DaemonServiceOptions): Promise<DaemonService> {
    const store = StateStore.open(o.stateDir);
    // A malformed saved record is skipped, never fatal: say so once, where the daemon's log goes.
    for (const why of store.skipped) console.error(`shoal daemon: skipped ${why}`);
    const log = daemonLog(o);
    const client = await createClient(o.runtime, {
      stateDir: o.stateDir, listen: o.listen ?? { host: '0.0.0.0', port: 0 },
      // The DHT starts with startAll (when the settings want it); rounds are scheduled by DhtScheduler.
      dht: o.dhtBootstrap === false ? undefined : { bootstrap: o.dhtBootstrap ?? [], rounds: 'external', enabled: false },
      logger: { info: log, warn: log, debug: () => undefined },
      // BEP 14 joins with startAll, when the settings want it.
      lsd: o.lsd ? { enabled: false } : undefined,
      cacheBytesPerTorrent: o.cacheBytesPerTorrent ?? 4 * 1024 * 1024, maxOpenFiles: o.maxOpenFiles ?? 512,
      // MSE private keys from the OS's random source (the runtime's is seeded, for replays).
      encryption: { policy: DEFAULT_ENCRYPTION_POLICY, secretBytes: (n) => randomBytes(n) },
    });
    const s = new DaemonService(o, store, client);
    s.scheduleTick();
    s.syncPortMapping(); // in the background: never delays start-up
    return s;
  }

  /** Starts the DHT and every torrent that should run, in the background; resolves when the last of them has started. */
  startAll(): Promise<void> {
    this.syncDht();
    this.client.setLsdEnabled(this.current.lsd);
    return this.queue.idle();
  }

  /** The client's session (listener, peer id, torrents' swarms). */
  get session(): Session {
    return this.client.session;
  }

  get listenAddress(): Address | undefined {
    return this.session.listenAddress;
  }

  private newEntry(record: TorrentRecord): TorrentEntry {
    return new TorrentEntry(record, this.o.runtime, (t) => resumePathFor(this.o.stateDir, t, record.savePath), () => this.store.readMeta(record.id));
  }

  private get(id: TorrentId): TorrentEntry {
    const e = this.entries.get(typeof id === 'string' ? id.toLowerCase() : id);
    if (!e) throw new ServiceError(404, `no torrent ${id}`);
    return e;
  }

  // --- TorrentService -------------------------------------------------------------------

  list(query: ListQuery): TorrentPage {
    const now = this.o.runtime.clock.now();
    const all = function* (entries: Iterable<TorrentEntry>) {
      for (const e of entries) yield e.summary(now);
    };
    return queryPage(all(this.entries.values()), query);
  }

  async addUrl(url: string, input: Omit<AddTorrentInput, 'magnet' | 'torrent'>): Promise<TorrentId> {
    if (/^magnet:/i.test(url)) return this.add({ ...input, magnet: url });
    const limits = { maxBytes: MAX_TORRENT_FILE_BYTES, timeoutMs: DEFAULT_URL_FETCH_TIMEOUT_MS, maxRedirects: DEFAULT_URL_MAX_REDIRECTS, ...this.o.urlFetch };
    const maxConcurrent = limits.maxConcurrent ?? DEFAULT_URL_MAX_CONCURRENT;
    if (this.urlFetches >= maxConcurrent) throw new ServiceError(409, `${maxConcurrent} .torrent files are being fetched already; try again when one is done`);
    this.urlFetches++;
    let bytes: Uint8Array;
    try {
      bytes = await fetchTorrentFile(url, limits);
    } finally {
      this.urlFetches--;
    }
    try {
      return await this.add({ ...input, torrent: bytes });
    } catch (e) {
      // What came back is not a torrent (an HTML page, say): say so as such.
      if (e instanceof ServiceError && e.status === 400) throw new ServiceError(422, `${shownUrl(url)} did not give a usable .torrent: ${e.message}`);
      throw e;
    }
  }

  async add(input: AddTorrentInput): Promise<TorrentId> {
    if (this.closed) throw new ServiceError(409, 'the daemon is shutting down');
    const maxTorrents = this.o.maxTorrents ?? DEFAULT_MAX_TORRENTS;
    if (this.entries.size >= maxTorrents) throw new ServiceError(409, `the daemon holds its maximum of ${maxTorrents} torrents (--max-torrents); remove one first`);
    const { torrent, magnet, bytes } = parseInput(input);
    const id = Buffer.from((torrent?.infoHashV1 ?? torrent?.infoHashV2 ?? magnet?.infoHashV1 ?? magnet?.infoHashV2)!).toString('hex');
    if (this.entries.has(id)) throw new ServiceError(409, `torrent ${id} is already added`);
    if (input.savePath !== undefined && (typeof input.savePath !== 'string' || input.savePath === '')) throw new ServiceError(400, 'savePath must be a directory path');
    const category = input.category === undefined || input.category === '' ? undefined : this.categoryList.get(checkCategoryName(input.category));
    if (input.category && !category) throw new ServiceError(400, `no category ${JSON.stringify(input.category)}; create it with PUT /api/categories/:name`);
    const savePath = await prepareSavePath(input.savePath ?? category?.savePath ?? this.current.downloadDir, input.savePath !== undefined || category ? 'savePath' : 'downloadDir');
    if (this.entries.has(id)) throw new ServiceError(409, `torrent ${id} is already added`); // added while we checked the path
    const record: TorrentRecord = {
      id, name: torrent?.name ?? magnet?.name ?? id, savePath,
      addedAt: this.o.wallClock(), paused: input.paused === true, magnet: input.magnet, hasMetadata: torrent !== undefined,
      size: torrent?.length ?? 0, bytesHave: 0, complete: false, downloaded: 0, uploaded: 0,
      ...(category ? { category: category.name } : {}),
    };
    // Durable before we answer: the metainfo first, then the record that names it.
    if (bytes) await this.store.writeMeta(id, bytes);
    const entry = this.newEntry(record);
    entry.torrent = torrent;
    this.entries.set(id, entry);
    try {
      await this.store.put(record);
    } catch (e) {
      this.entries.delete(id);
      throw e;
    }
    this.emit({ type: 'torrent-added', torrent: entry.summary(this.o.runtime.clock.now(), 0) });
    this.plan();
    return id;
  }

  details(id: TorrentId): TorrentDetails {
    const e = this.get(id);
    const d = torrentDetails(e, this.o.runtime.clock.now());
    const r = e.record, s = this.current;
    return {
      ...d,
      ratio: shareRatio(d.uploaded, d.downloaded, d.size),
      seedingTime: Math.floor((r.seedingMs ?? 0) / 1000),
      seedRatioLimit: r.seedRatioLimit ?? null,
      seedTimeLimit: r.seedTimeLimit ?? null,
      effectiveSeedRatioLimit: effectiveLimit(r.seedRatioLimit, s.seedRatioLimit),
      effectiveSeedTimeLimit: effectiveLimit(r.seedTimeLimit, s.seedTimeLimit),
    };
  }

  async pause(id: TorrentId): Promise<void> {
    const e = this.get(id);
    if (!e.record.paused) {
      e.record.paused = true;
      e.forced = false;
      this.queue.forget(e);
      await this.store.put(e.record);
    }
    await stopEntryBounded(this.ctx, e);
    this.changed(e);
  }

  async resume(id: TorrentId): Promise<void> {
    const e = this.get(id);
    e.error = undefined;
    if (e.record.paused) {
      e.record.paused = false;
      await this.store.put(e.record);
    }
    this.changed(e);
  }

  async remove(id: TorrentId, options: { deleteData: boolean }): Promise<void> {
    const e = this.get(id);
    if (e.moving) throw new ServiceError(409, 'its data is being moved; remove it when the move is done');
    this.entries.delete(e.id);
    this.queue.forget(e);
    let t = e.torrent;
    try {
      t ??= e.metadata(); // an idle torrent may not have been parsed yet (read before its metainfo file goes)
    } catch {
      // Unreadable metainfo: no file list to delete by.
    }
    await stopEntryBounded(this.ctx, e);
    await this.store.remove(e.id);
    if (t) {
      await rm(resumePathFor(this.o.stateDir, t, e.record.savePath), { force: true });
      if (options.deleteData) {
        // Only the files the torrent names (resolved strictly inside its save path), then the folders they leave empty.
        const failed = await deleteTorrentData(t, e.record.savePath);
        if (failed.length > 0) this.ctx.log(`torrent ${e.id}: could not delete ${failed.join(', ')}`);
      }
    }
    this.emit({ type: 'torrent-removed', infoHash: e.id });
    this.plan();
  }

  setFilePriorities(id: TorrentId, priorities: readonly { readonly index: number; readonly priority: number }[]): void {
    const e = this.get(id);
    const t = e.metadata();
    if (!t) throw new ServiceError(409, 'file priorities need the torrent metadata');
    const files = t.layout.files.filter((f) => !f.pad).length;
    const next = e.record.priorities ? [...e.record.priorities] : new Array<number>(files).fill(1);
    for (const { index, priority } of priorities) {
      if (!Number.isInteger(index) || index < 0 || index >= files) throw new ServiceError(404, `no file ${index}`);
      if (!Number.isInteger(priority) || priority < 0 || priority > 7) throw new ServiceError(400, 'priority must be 0..7');
      next[index] = priority;
    }
    e.record.priorities = next;
    if (e.swarm?.status().ready) {
      e.swarm.setFilePriorities(next);
      if (e.record.complete && !e.swarm.status().complete) e.record.complete = false; // a skipped file is wanted again
    }
    void this.store.put(e.record).catch(() => undefined);
    e.touch();
    this.changed(e);
  }

  settings(): SettingsView {
    return { ...this.current, forced: { ...this.forcedBy } };
  }

  async updateSettings(patch: Partial<Settings>): Promise<SettingsView> {
    const change = this.layers.plan(patch);
    const next = change.current;
    if (patch.downloadDir !== undefined) await prepareSavePath(next.downloadDir, 'downloadDir'); // refused now, not at the next add
    await (this.o.settingsStore ? this.o.settingsStore.write(change.changed) : this.store.writeSettings(change.stored));
    this.layers.commit(change);
    this.applyRateLimits();
    this.session.setMaxConnections(next.maxConnections);
    this.session.setEncryptionPolicy(next.encryption);
    this.syncDht();
    this.syncPortMapping();
    this.client.setLsdEnabled(next.lsd); // BEP 14 on or off at once (--no-lsd: never)
    this.plan();
    return this.settings();
  }

  stats(): SessionStats {
    const s = sessionStats(this.entries.values(), this.store.totals, this.o.runtime.clock.now(), this.session.listenAddress, { node: this.client.dht, lookups: this.dhtScheduler.lookups });
    return { ...s, altRateLimits: this.globalLimiters.alt, nat: { ...this.portMapping.info(), ...natVoteInfo(this.session.natStatus()) } };
  }

  metrics(): MetricsSnapshot {
    return metricsSnapshot(this.stats(), this.entries.values(), this.counters);
  }

  openFile(id: TorrentId, fileIndex: number): FileRangeStream {
    const e = this.get(id);
    return openFileStream({ ensureRunning: (entry) => this.queue.ensureRunning(entry) }, e, fileIndex);
  }

  subscribe(listener: (event: ServiceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Per-torrent rate limits in bytes/s (0: unlimited), saved with the torrent. */
  async setTorrentLimits(id: TorrentId, limits: Partial<TorrentLimits>): Promise<TorrentLimits> {
    const e = this.get(id);
    if (limits.downloadRateLimit !== undefined) e.limiters.download.setRate((e.record.downloadLimit = limits.downloadRateLimit));
    if (limits.uploadRateLimit !== undefined) e.limiters.upload.setRate((e.record.uploadLimit = limits.uploadRateLimit));
    await this.store.put(e.record);
    return { downloadRateLimit: e.record.downloadLimit ?? 0, uploadRateLimit: e.record.uploadLimit ?? 0 };
  }

  // --- managing torrents (manage.ts), categories, bulk, create ------------------------------

  addPeer(id: TorrentId, address: string): Promise<void> {
    return manage.addPeer(this.host, id, address);
  }

  async recheck(id: TorrentId): Promise<void> {
    manage.recheck(this.host, id);
  }

  async reannounce(id: TorrentId): Promise<void> {
    manage.reannounce(this.host, id);
  }

  trackers(id: TorrentId): TrackerTiers {
    return manage.trackers(this.host, id);
  }

  setTrackers(id: TorrentId, tiers: TrackerTiers): Promise<TrackerTiers> {
    return manage.setTrackers(this.host, id, tiers);
  }

  move(id: TorrentId, savePath: string): Promise<void> {
    return manage.move(this.host, id, savePath);
  }

  async patchTorrent(id: TorrentId, patch: TorrentPatch): Promise<TorrentDetails> {
    await manage.patchTorrent(this.host, id, patch);
    return this.details(id);
  }

  renameFile(id: TorrentId, index: number, path: string): Promise<void> {
    return manage.renameFile(this.host, id, index, path);
  }

  categories(): readonly Category[] {
    return this.categoryList.list();
  }

  setCategory(name: string, savePath: string): Promise<Category> {
    return this.categoryList.set(name, savePath);
  }

  async deleteCategory(name: string): Promise<void> {
    await this.categoryList.delete(name);
    // Its torrents become uncategorised (their data stays where it is).
    const changed = [...this.entries.values()].filter((e) => e.record.category === name);
    for (const e of changed) {
      e.record.category = undefined;
      e.touch();
    }
    await Promise.all(changed.map((e) => this.store.put(e.record)));
  }

  bulk(action: BulkAction, ids: readonly TorrentId[], options: { deleteData: boolean }): Promise<Record<TorrentId, string>> {
    return runBulk(this, action, ids, options.deleteData);
  }

  create(input: CreateTorrentInput): Promise<CreatedTorrent> {
    return createFromPath(input, {
      nowSeconds: Math.floor(this.o.wallClock() / 1000),
      add: (torrent, savePath) => this.add({ torrent, savePath }),
    });
  }

  /** The state store's group commits so far (tests and the bench count journal fsyncs). */
  get journalCommits(): number {
    return this.store.journalCommits;
  }

  /** The running swarm's storage counters (pieces hashed, disk reads); undefined while it does not run. For tests and diagnostics. */
  storageStats(id: TorrentId): StorageStats | undefined {
    return this.get(id).swarm?.status().storage;
  }

  /** Stops every swarm (resume data written clean), snapshots the state, closes the port. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.tickTimer?.cancel();
    this.queue.close();
    this.dhtScheduler.close();
    await this.portMapping.close();
    await stopAll(this.ctx, [...this.entries.values()]);
    await this.store.close();
    await this.client.close();
  }

  private changed(e: TorrentEntry): void {
    e.touch();
    this.requestPlan();
  }

  private requestPlan(): void {
    this.queue.requestPlan();
  }

  private plan(): void {
    if (!this.closed) this.queue.plan();
  }

  // --- DHT, ticking, events --------------------------------------------------------------

  private syncDht(): void {
    this.client.setDhtEnabled(this.current.dht);
  }

  private scheduleTick(): void {
    this.tickTimer = this.o.runtime.clock.setTimer(TICK_MS, () => {
      if (this.closed) return;
      this.tick();
      this.scheduleTick();
    });
  }

  private localTime(): LocalTime {
    return (this.o.localTime ?? localTimeOf)(this.o.wallClock());
  }

  /** Sets the session limiters to the limits in force (the alternative ones by hand or by schedule). */
  private applyRateLimits(): void {
    this.globalLimiters.update(this.current, this.localTime(), this.ctx.log);
  }

  /** The settings in force (stored ones with this run's overrides). */
  private get current(): Settings {
    return this.layers.current;
  }

  private tick(): void {
    const now = this.o.runtime.clock.now();
    this.applyRateLimits();
    this.dhtScheduler.tick(now);
    this.checkSeedLimits(now);
    if (this.listeners.size > 0) {
      for (const e of this.entries.values()) {
        if (!e.running && e.lastSent !== undefined && e.lastSent.state === e.state) continue;
        const s = e.summary(now, 0);
        if (e.lastSent && sameSummary(e.lastSent, s)) continue;
        e.lastSent = s;
        this.emit({ type: 'torrent-updated', torrent: s });
      }
      this.emit({ type: 'stats', stats: this.stats() });
    }
    if (now - this.lastSnapshot >= SNAPSHOT_EVERY_MS) {
      this.lastSnapshot = now;
      this.foldAll();
      void this.store.snapshot().catch(() => undefined);
    }
  }

  /** Counts seeding time and takes the seeding-limit action on torrents that reached one. */
  private checkSeedLimits(now: number): void {
    const s = this.current;
    enforceSeedLimits(this.entries.values(), s, now, (e, why) => {
      this.ctx.log(`torrent ${e.id} (${e.record.name}): ${why}; ${s.seedLimitAction === 'remove' ? 'removing it (data kept)' : 'pausing it'}`);
      const act = s.seedLimitAction === 'remove' ? this.remove(e.id, { deleteData: false }) : this.pause(e.id);
      void act.catch((err: unknown) => this.ctx.log(`torrent ${e.id}: seeding limit action failed: ${(err as Error).message}`));
    });
  }

  private syncPortMapping(): void {
    const listen = this.session.listenAddress;
    this.portMapping.sync(this.current.portMapping, this.o.listen?.host ?? '0.0.0.0', listen?.port ?? 0);
  }

  private foldAll(): void {
    for (const e of this.entries.values()) foldTotals(this.ctx, e);
  }

  private emit(e: ServiceEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}
