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
import type { Address, TimerHandle } from '../../runtime/types.js';
import { createClient, type Client } from '../../session/client.js';
import { resumePathFor, type Session } from '../../session/session.js';
import type { StorageStats } from '../../storage/types.js';
import { DEFAULT_ENCRYPTION_POLICY } from '../../transport/mse/index.js';
import {
  ServiceError,
  type AddTorrentInput, type BulkAction, type Category, type CreateTorrentInput, type CreatedTorrent, type FileRangeStream, type ListQuery,
  type MetricsSnapshot, type ServiceEvent, type SessionStats, type Settings, type SettingsView, type FilePage, type TorrentDetails, type TorrentId, type TorrentLimits,
  type TorrentPage, type TorrentPatch, type TorrentService, type TrackerTiers,
} from '../types.js';
import { findDefaultGateway } from '../../runtime/node/gateway.js';
import { runBulk } from './bulk.js';
import { Categories } from './categories.js';
import { createFromPath } from './create.js';
import * as manage from './manage.js';
import { DaemonPortMapping, natVoteInfo } from './port-mapping.js';
import { addTorrent, UrlAdds, type AddHost } from './add-torrent.js';
import { TorrentParser } from './torrent-parser.js';
import { removeTorrent } from './remove.js';
import { detailsWithSeeding } from './details.js';
import { DhtScheduler } from './dht-scheduler.js';
import { openFileStream } from './file-stream.js';
import { queryPage } from './list-query.js';
import { stopAll, stopEntryBounded, type DaemonCounters, type RunContext } from './runner.js';
import { ServiceEvents, TICK_MS, tick, type TickHost } from './tick.js';
import { DownloadQueue } from './queue.js';
import { prepareSavePath } from './save-path.js';
import { defaultSettings, loadSettings } from './settings.js';
import { localTimeOf, type LocalTime } from '../alt-speed.js';
import { SessionLimits } from './session-limits.js';
import { SettingsLayers } from './settings-layers.js';
import { loadReputation, saveReputation } from './reputation-file.js';
import { StateStore, type TorrentRecord } from './state-store.js';
import { DEFAULT_STOP_TIMEOUT_MS, forcedSettings, type DaemonServiceOptions } from './options.js';
import { metricsSnapshot, sessionStats } from './stats.js';
import { TorrentEntry } from './torrent-entry.js';

export { DEFAULT_MAX_TORRENTS, DEFAULT_STOP_TIMEOUT_MS, type DaemonServiceOptions } from './options.js';

/** Problems nobody is waiting for go to the daemon's log (stderr unless `log` is given). */
function daemonLog(o: DaemonServiceOptions): (message: string) => void {
  return o.log ?? ((m) => console.error(`shoal daemon: ${m}`));
}

export class DaemonService implements TorrentService {
  private readonly entries = new Map<TorrentId, TorrentEntry>();
  private readonly events = new ServiceEvents();
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
  private readonly adding: AddHost;
  private readonly urlAdds: UrlAdds;
  private readonly ticking: TickHost;
  private readonly queue: DownloadQueue;

  private constructor(
    private readonly o: DaemonServiceOptions,
    private readonly store: StateStore,
    readonly client: Client,
    /** Parses large .torrent files off the event loop (adds, saved torrents as they start, magnets' info dicts). */
    readonly parser: TorrentParser,
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
    this.adding = {
      o, store, entries: this.entries, categories: this.categoryList, parser: this.parser,
      closed: () => this.closed, settings: () => this.current, newEntry: (r) => this.newEntry(r),
      emit: (e) => this.events.emit(e), plan: () => this.plan(),
    };
    this.urlAdds = new UrlAdds(this.adding);
    this.ticking = {
      ctx: this.ctx, entries: this.entries, events: this.events, dht: this.dhtScheduler, store,
      settings: () => this.current, stats: () => this.stats(), applyRateLimits: () => this.applyRateLimits(),
      pause: (id) => this.pause(id), remove: (id, opts) => this.remove(id, opts),
    };
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
    const parser = new TorrentParser(o.torrentParser);
    const client = await createClient(o.runtime, {
      // A magnet's info dict (up to 16 MiB) is parsed like an added .torrent: a large one on the worker.
      parseMetadata: (bytes, options) => parser.parse(bytes, options, false),
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
    const s = new DaemonService(o, store, client, parser);
    // Peers' standing from earlier runs (a corrupt file only costs the reputation: logged).
    if (client.session.reputation) loadReputation(o.stateDir, client.session.reputation, o.runtime.clock.now(), o.wallClock(), log);
    s.scheduleTick();
    s.syncPortMapping(); // in the background: never delays start-up
    return s;
  }

  /** Starts the DHT and every torrent that should run, in the background; resolves when the last of them has started. */
  startAll(): Promise<void> {
    this.client.setDhtEnabled(this.current.dht);
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
    return new TorrentEntry(record, this.o.runtime, (t) => resumePathFor(this.o.stateDir, t, record.savePath), () => this.store.readMeta(record.id), this.parser);
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

  addUrl(url: string, input: Omit<AddTorrentInput, 'magnet' | 'torrent'>): Promise<TorrentId> {
    return this.urlAdds.add(url, input);
  }

  add(input: AddTorrentInput): Promise<TorrentId> {
    return addTorrent(this.adding, input);
  }

  /**
   * Parses the saved metainfo of a torrent not loaded yet (an idle one after a restart), a large
   * one on the parse worker (`torrentParser`): the API calls it before what reads the file list,
   * which would otherwise parse inline and hold the event loop (seconds for 700,000 files).
   */
  async loadMetadata(id: TorrentId): Promise<void> {
    await this.get(id).loadMetadata();
  }

  details(id: TorrentId, files?: FilePage): TorrentDetails {
    return detailsWithSeeding(this.get(id), this.o.runtime.clock.now(), this.current, files);
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

  remove(id: TorrentId, options: { deleteData: boolean }): Promise<void> {
    return removeTorrent({ ctx: this.ctx, stateDir: this.o.stateDir, entries: this.entries, queue: this.queue, events: this.events, plan: () => this.plan() }, this.get(id), options);
  }

  setFilePriorities(id: TorrentId, priorities: readonly { readonly index: number; readonly priority: number }[]): void {
    manage.setFilePriorities(this.host, id, priorities);
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
    this.client.setDhtEnabled(this.current.dht);
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
    return this.events.subscribe(listener);
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
    await this.loadMetadata(id);
    manage.recheck(this.host, id);
  }

  async reannounce(id: TorrentId): Promise<void> {
    manage.reannounce(this.host, id);
  }

  trackers(id: TorrentId): TrackerTiers {
    return manage.trackers(this.host, id);
  }

  async setTrackers(id: TorrentId, tiers: TrackerTiers): Promise<TrackerTiers> {
    await this.loadMetadata(id);
    return manage.setTrackers(this.host, id, tiers);
  }

  async move(id: TorrentId, savePath: string): Promise<void> {
    await this.loadMetadata(id);
    return manage.move(this.host, id, savePath);
  }

  async patchTorrent(id: TorrentId, patch: TorrentPatch): Promise<TorrentDetails> {
    await manage.patchTorrent(this.host, id, patch);
    await this.loadMetadata(id);
    return this.details(id);
  }

  async renameFile(id: TorrentId, index: number, path: string): Promise<void> {
    await this.loadMetadata(id);
    return manage.renameFile(this.host, id, index, path);
  }

  categories(): readonly Category[] {
    return this.categoryList.list();
  }

  setCategory(name: string, savePath: string): Promise<Category> {
    return this.categoryList.set(name, savePath);
  }

  deleteCategory(name: string): Promise<void> {
    return manage.deleteCategory(this.host, this.entries.values(), name);
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
    await this.saveReputation().catch((e: unknown) => this.ctx.log(`saving peer reputation failed: ${(e as Error).message}`));
    await this.store.close();
    await this.client.close();
  }

  /** Writes the session's reputation store to the state directory (with each snapshot and at shutdown). */
  private async saveReputation(): Promise<void> {
    const r = this.session.reputation;
    if (r) await saveReputation(this.o.stateDir, r, this.o.runtime.clock.now(), this.o.wallClock());
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

  private scheduleTick(): void {
    this.tickTimer = this.o.runtime.clock.setTimer(TICK_MS, () => {
      if (this.closed) return;
      const now = this.o.runtime.clock.now();
      if (tick(this.ticking, now, this.lastSnapshot)) {
        this.lastSnapshot = now;
        void this.saveReputation().catch((e: unknown) => this.ctx.log(`saving peer reputation failed: ${(e as Error).message}`));
      }
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

  private syncPortMapping(): void {
    const listen = this.session.listenAddress;
    this.portMapping.sync(this.current.portMapping, this.o.listen?.host ?? '0.0.0.0', listen?.port ?? 0);
  }
}
