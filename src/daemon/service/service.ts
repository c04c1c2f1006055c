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
  type AddTorrentInput, type FileRangeStream, type ListQuery, type MetricsSnapshot, type ServiceEvent, type SessionStats,
  type Settings, type TorrentDetails, type TorrentId, type TorrentLimits, type TorrentPage, type TorrentService,
} from '../types.js';
import { parseInput } from './add-input.js';
import { deleteTorrentData } from './delete-data.js';
import { torrentDetails } from './details.js';
import { DhtScheduler } from './dht-scheduler.js';
import { openFileStream } from './file-stream.js';
import { queryPage } from './list-query.js';
import { foldTotals, startEntry, stopAll, stopEntry, stopEntryBounded, type DaemonCounters, type RunContext } from './runner.js';
import { prepareSavePath } from './save-path.js';
import { defaultSettings, loadSettings } from './settings.js';
import { localTimeOf, type LocalTime } from '../alt-speed.js';
import { SessionLimits } from './session-limits.js';
import { SettingsLayers } from './settings-layers.js';
import { StateStore, type TorrentRecord } from './state-store.js';
import { DEFAULT_MAX_TORRENTS, DEFAULT_STOP_TIMEOUT_MS, type DaemonServiceOptions } from './options.js';
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
  private tickTimer: TimerHandle | undefined;
  private lastSnapshot: number;
  private closed = false;
  private planning = false;
  private planTimer: TimerHandle | undefined;
  /** Entries waiting for a background start, in order. */
  private startQueue: TorrentEntry[] = [];
  private starters = 0;
  /** Called once the start queue first runs empty (startAll's promise). */
  private onIdle: (() => void) | undefined;

  private constructor(
    private readonly o: DaemonServiceOptions,
    private readonly store: StateStore,
    readonly client: Client,
  ) {
    const session = client.session;
    const rt = o.runtime;
    this.layers = new SettingsLayers(loadSettings(defaultSettings(o.downloadDir), o.settingsStore ? o.settingsStore.read() : store.readSettings()), o.settingsOverrides);
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
      cacheBytesPerTorrent: o.cacheBytesPerTorrent ?? 4 * 1024 * 1024, maxOpenFiles: o.maxOpenFiles ?? 512,
      // MSE private keys from the OS's random source (the runtime's is seeded, for replays).
      encryption: { policy: DEFAULT_ENCRYPTION_POLICY, secretBytes: (n) => randomBytes(n) },
    });
    const s = new DaemonService(o, store, client);
    s.scheduleTick();
    return s;
  }

  /** Starts the DHT and every torrent that should run, in the background; resolves when the last of them has started. */
  startAll(): Promise<void> {
    this.syncDht();
    this.plan();
    return new Promise((resolve) => {
      this.onIdle = resolve;
      this.drainStarts();
    });
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

  async add(input: AddTorrentInput): Promise<TorrentId> {
    if (this.closed) throw new ServiceError(409, 'the daemon is shutting down');
    const maxTorrents = this.o.maxTorrents ?? DEFAULT_MAX_TORRENTS;
    if (this.entries.size >= maxTorrents) throw new ServiceError(409, `the daemon holds its maximum of ${maxTorrents} torrents (--max-torrents); remove one first`);
    const { torrent, magnet, bytes } = parseInput(input);
    const id = Buffer.from((torrent?.infoHashV1 ?? torrent?.infoHashV2 ?? magnet?.infoHashV1 ?? magnet?.infoHashV2)!).toString('hex');
    if (this.entries.has(id)) throw new ServiceError(409, `torrent ${id} is already added`);
    if (input.savePath !== undefined && (typeof input.savePath !== 'string' || input.savePath === '')) throw new ServiceError(400, 'savePath must be a directory path');
    const savePath = await prepareSavePath(input.savePath ?? this.current.downloadDir, input.savePath !== undefined ? 'savePath' : 'downloadDir');
    if (this.entries.has(id)) throw new ServiceError(409, `torrent ${id} is already added`); // added while we checked the path
    const record: TorrentRecord = {
      id, name: torrent?.name ?? magnet?.name ?? id, savePath,
      addedAt: this.o.wallClock(), paused: input.paused === true, magnet: input.magnet, hasMetadata: torrent !== undefined,
      size: torrent?.length ?? 0, bytesHave: 0, complete: false, downloaded: 0, uploaded: 0,
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
    return torrentDetails(this.get(id), this.o.runtime.clock.now());
  }

  async pause(id: TorrentId): Promise<void> {
    const e = this.get(id);
    if (!e.record.paused) {
      e.record.paused = true;
      e.forced = false;
      this.startQueue = this.startQueue.filter((q) => q !== e);
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
    this.entries.delete(e.id);
    this.startQueue = this.startQueue.filter((q) => q !== e);
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

  settings(): Settings {
    return this.current;
  }

  async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    const change = this.layers.plan(patch);
    const next = change.current;
    if (patch.downloadDir !== undefined) await prepareSavePath(next.downloadDir, 'downloadDir'); // refused now, not at the next add
    await (this.o.settingsStore ? this.o.settingsStore.write(change.changed) : this.store.writeSettings(change.stored));
    this.layers.commit(change);
    this.applyRateLimits();
    this.session.setMaxConnections(next.maxConnections);
    this.session.setEncryptionPolicy(next.encryption);
    this.syncDht();
    this.plan();
    return next;
  }

  stats(): SessionStats {
    const s = sessionStats(this.entries.values(), this.store.totals, this.o.runtime.clock.now(), this.session.listenAddress, { node: this.client.dht, lookups: this.dhtScheduler.lookups });
    return { ...s, altRateLimits: this.globalLimiters.alt };
  }

  metrics(): MetricsSnapshot {
    return metricsSnapshot(this.stats(), this.entries.values(), this.counters);
  }

  openFile(id: TorrentId, fileIndex: number): FileRangeStream {
    const e = this.get(id);
    return openFileStream({ ensureRunning: (entry) => this.ensureRunning(entry) }, e, fileIndex);
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

  /** The running swarm's storage counters (pieces hashed, disk reads); undefined while it does not run. For tests and diagnostics. */
  storageStats(id: TorrentId): StorageStats | undefined {
    return this.get(id).swarm?.status().storage;
  }

  /** Stops every swarm (resume data written clean), snapshots the state, closes the port. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.tickTimer?.cancel();
    this.planTimer?.cancel();
    this.startQueue = [];
    this.dhtScheduler.close();
    await stopAll(this.ctx, [...this.entries.values()]);
    await this.store.close();
    await this.client.close();
  }

  // --- the queue --------------------------------------------------------------------------

  /** Should this entry's swarm run? Seeds always; downloads while a slot is theirs. */
  private wantsToRun(e: TorrentEntry, slots: Set<TorrentEntry>): boolean {
    if (e.record.paused || e.error !== undefined) return false;
    return e.record.complete || e.forced || slots.has(e);
  }

  /** Re-plans which swarms run: starts and stops to match the queue. Cheap enough to call on every change (one pass). */
  private plan(): void {
    if (this.closed || this.planning) return;
    this.planning = true;
    try {
      // Download slots go to running downloads first (no churn), then in addition order.
      const slots = new Set<TorrentEntry>();
      const max = this.current.maxActiveDownloads;
      const candidates = [...this.entries.values()].filter((e) => !e.record.paused && e.error === undefined && !e.record.complete && !e.forced);
      for (const e of candidates) if (e.running && slots.size < max) slots.add(e);
      for (const e of candidates) if (!e.running && slots.size < max) slots.add(e);
      const queued = new Set(this.startQueue);
      for (const e of this.entries.values()) {
        const want = this.wantsToRun(e, slots);
        if (want && !e.running && !queued.has(e)) {
          // Downloads jump the queue of seeds waiting for their background start.
          if (e.record.complete) this.startQueue.push(e);
          else this.startQueue.unshift(e);
        } else if (!want && e.running) void stopEntry(this.ctx, e);
      }
      this.startQueue = this.startQueue.filter((e) => this.entries.has(e.id) && this.wantsToRun(e, slots) && !e.running);
    } finally {
      this.planning = false;
    }
    this.drainStarts();
  }

  private drainStarts(): void {
    const max = this.o.startConcurrency ?? 16;
    while (this.starters < max && this.startQueue.length > 0 && !this.closed) {
      const e = this.startQueue.shift()!;
      if (e.running) continue;
      this.starters++;
      void startEntry(this.ctx, e).finally(() => {
        this.starters--;
        this.drainStarts();
      });
    }
    if (this.starters === 0 && this.startQueue.length === 0 && this.onIdle) {
      this.onIdle();
      this.onIdle = undefined;
    }
  }

  private async ensureRunning(e: TorrentEntry): Promise<void> {
    if (e.record.paused) throw new ServiceError(409, 'the torrent is paused');
    if (e.error !== undefined) throw new ServiceError(409, `the torrent failed: ${e.error}`);
    if (!e.running) {
      e.forced = true;
      this.startQueue = this.startQueue.filter((q) => q !== e);
      await startEntry(this.ctx, e);
    }
    await e.starting;
  }

  private changed(e: TorrentEntry): void {
    e.touch();
    this.requestPlan();
  }

  /** Plans once soon, however many changes ask for it meanwhile. */
  private requestPlan(): void {
    if (this.planTimer || this.closed) return;
    this.planTimer = this.o.runtime.clock.setTimer(0, () => {
      this.planTimer = undefined;
      this.plan();
    });
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
