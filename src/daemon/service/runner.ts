/**
 * Starting and stopping one torrent inside the daemon's client (`session/client.ts`): storage
 * (with resume data), the torrent's own and the session's rate limiters, its trackers (the
 * client runs them), the shared DHT's scheduled rounds, and the swarm's events turned into
 * record updates.
 */
import { parseMagnet } from '../../metainfo/magnet.js';
import type { Runtime, TimerHandle } from '../../runtime/types.js';
import type { Client } from '../../session/client.js';
import { wrapInfo } from '../../swarm/metadata-exchange.js';
import type { RateLimiter } from '../../swarm/rate-limit.js';
import type { SwarmEvent } from '../../swarm/swarm.js';
import type { Settings } from '../types.js';
import type { DhtScheduler } from './dht-scheduler.js';
import type { StateStore } from './state-store.js';
import type { TorrentEntry } from './torrent-entry.js';
import { onAnnouncerEvent, resetTrackerStatus } from './trackers.js';
import { chokerOf } from './settings.js';

/** Counters behind /metrics that no single swarm keeps. */
export interface DaemonCounters {
  pieceHashFailures: number;
  announceSuccess: number;
  announceFailure: number;
}

export interface RunContext {
  readonly runtime: Runtime;
  readonly client: Client;
  readonly store: StateStore;
  readonly dht: DhtScheduler;
  readonly counters: DaemonCounters;
  readonly limiters: { readonly download: RateLimiter; readonly upload: RateLimiter };
  readonly wallClock: () => number;
  /** How long stopping a swarm may take before the daemon stops waiting for it (ms). */
  readonly stopTimeoutMs: number;
  /** Problems nobody is waiting for (a failed stop, a tracker that fails): logged. */
  log(message: string): void;
  settings(): Settings;
  /** The entry's state or numbers changed (its summary is recomputed). */
  changed(entry: TorrentEntry): void;
  /** Something the download queue depends on changed (a download completed or failed). */
  replan(): void;
}

/** Starts the entry's swarm (opening storage; hashing only what resume data does not vouch for). Never rejects: failures put the entry in 'error'. */
export async function startEntry(ctx: RunContext, entry: TorrentEntry): Promise<void> {
  if (entry.running) return entry.starting;
  let finish: () => void = () => undefined;
  // The previous swarm may still be writing its resume data and closing files.
  const previous = entry.stopping;
  entry.starting = new Promise<void>((r) => (finish = r));
  entry.touch();
  try {
    await previous;
    const torrent = await entry.loadMetadata();
    if (entry.loadError !== undefined) throw new Error(entry.loadError);
    const magnet = entry.record.magnet ? parseMagnet(entry.record.magnet) : undefined;
    // Trackers are the torrent's own, or the magnet's (whose peers are tried too).
    const handle = await ctx.client.addTorrent({
      torrent,
      magnet: torrent ? undefined : magnet,
      downloadDir: entry.record.savePath,
      onEvent: (e) => onSwarmEvent(ctx, entry, e),
      onTrackerEvent: (e) => onAnnouncerEvent(ctx, entry, e),
      trackers: entry.record.trackers,
      limits: { get maxPeers() { return ctx.settings().maxConnectionsPerTorrent; }, get pex() { return ctx.settings().pex; } },
      rateLimiters: { download: [ctx.limiters.download, entry.limiters.download], upload: [ctx.limiters.upload, entry.limiters.upload] },
      choker: chokerOf(ctx.settings(), ctx.limiters.upload.bytesPerSecond),
    });
    const swarm = handle.swarm;
    if (torrent) for (const p of magnet?.peers ?? []) swarm.addPeer(p, 'magnet');
    entry.swarm = swarm;
    entry.folded = { downloaded: 0, uploaded: 0 };
    entry.error = undefined;
    const status = swarm.status();
    if (entry.record.priorities && status.ready) swarm.setFilePriorities(entry.record.priorities);
    if (entry.record.complete && status.ready && !swarm.status().complete) {
      // The data changed on disk since it completed (the start-up check found pieces missing):
      // it downloads again instead of showing "seeding" with pieces missing.
      entry.record.complete = false;
      void ctx.store.put(entry.record).catch(() => undefined);
      ctx.log(`torrent ${entry.id}: pieces missing on disk since it completed; downloading them again`);
    }
    entry.wakeAll();
    resetTrackerStatus(entry, handle.tiers, 'updating');
    entry.announcer = handle;
    ctx.dht.add(entry, ctx.runtime.clock.now());
  } catch (e) {
    entry.error = (e as Error).message;
    ctx.replan();
  } finally {
    entry.starting = undefined;
    finish();
    ctx.changed(entry);
    if (entry.record.paused) ctx.replan(); // paused while it was starting
  }
}

/** Folds the running swarm's transfer counters into the record and the session's lifetime totals (which only grow). */
export function foldTotals(ctx: Pick<RunContext, 'store'>, entry: TorrentEntry): void {
  const d = entry.fold();
  ctx.store.totals.downloaded += d.downloaded;
  ctx.store.totals.uploaded += d.uploaded;
}

/**
 * Stops the entry's swarm: counters folded, resume data written clean, trackers told
 * 'stopped'. Never rejects (a failure is logged); concurrent calls share one stop. It may
 * take as long as the disk does: callers that owe someone an answer use `stopEntryBounded`.
 */
export function stopEntry(ctx: RunContext, entry: TorrentEntry): Promise<void> {
  if (entry.stopping) return entry.stopping;
  const stopping = stopSwarm(ctx, entry)
    .catch((e: unknown) => ctx.log(`torrent ${entry.id}: stopping failed: ${e instanceof Error ? e.message : String(e)}`))
    .finally(() => {
      if (entry.stopping === stopping) entry.stopping = undefined;
      ctx.changed(entry);
    });
  entry.stopping = stopping;
  return stopping;
}

/** `stopEntry`, resolved after `stopTimeoutMs` at the latest (a disk that hangs): a DELETE or a pause always gets its answer. The stop goes on. */
export async function stopEntryBounded(ctx: RunContext, entry: TorrentEntry): Promise<void> {
  let timer: TimerHandle | undefined;
  const timedOut = new Promise<boolean>((resolve) => (timer = ctx.runtime.clock.setTimer(ctx.stopTimeoutMs, () => resolve(true))));
  const late = await Promise.race([stopEntry(ctx, entry).then(() => false), timedOut]);
  timer?.cancel();
  if (late) ctx.log(`torrent ${entry.id}: its swarm did not stop within ${ctx.stopTimeoutMs} ms (a disk operation hangs?); going on without it`);
}

/**
 * Stops every entry (shutdown). Waits as long as stops keep completing, so thousands of
 * resume files on a slow disk are all written; gives up on the rest once none has completed
 * for `stopTimeoutMs`.
 */
export function stopAll(ctx: RunContext, entries: readonly TorrentEntry[]): Promise<void> {
  let pending = entries.length;
  if (pending === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    let timer: TimerHandle | undefined;
    const arm = () => {
      timer?.cancel();
      timer = ctx.runtime.clock.setTimer(ctx.stopTimeoutMs, () => {
        ctx.log(`${pending} swarm(s) did not stop within ${ctx.stopTimeoutMs} ms of the last one that did (a disk operation hangs?); shutting down without them`);
        resolve();
      });
    };
    arm();
    for (const e of entries) {
      void stopEntry(ctx, e).then(() => {
        pending--;
        if (pending > 0) return arm();
        timer?.cancel();
        resolve();
      });
    }
  });
}

async function stopSwarm(ctx: RunContext, entry: TorrentEntry): Promise<void> {
  await entry.starting;
  const swarm = entry.swarm;
  if (!swarm) return;
  entry.keepHave();
  foldTotals(ctx, entry);
  ctx.dht.remove(entry);
  const handle = entry.announcer;
  entry.announcer = undefined;
  entry.swarm = undefined;
  entry.touch();
  // Trackers told 'stopped' (bounded) while the swarm writes its resume data.
  await (handle ? handle.stop() : ctx.client.session.removeTorrent(swarm));
}

function onSwarmEvent(ctx: RunContext, entry: TorrentEntry, e: SwarmEvent): void {
  const r = entry.record;
  switch (e.type) {
    case 'metadata': {
      const t = e.torrent;
      entry.torrent = t;
      if (!r.customName) r.name = t.name;
      r.size = t.length;
      const bytes = wrapInfo(t.infoBytes, t.pieceLayers.size > 0 ? new Map(t.pieceLayers) : undefined);
      void ctx.store.writeMeta(r.id, bytes).then(() => {
        r.hasMetadata = true;
        return ctx.store.put(r);
      }).catch((err: unknown) => (entry.error = `cannot save metadata: ${(err as Error).message}`));
      entry.touch();
      ctx.changed(entry);
      return;
    }
    case 'ready':
      // A magnet's torrent just became known: apply the priorities set meanwhile.
      if (r.priorities && entry.swarm?.status().ready) entry.swarm.setFilePriorities(r.priorities);
      return;
    case 'piece-verified':
      entry.pieceVerified(e.piece);
      return;
    case 'piece-failed':
      ctx.counters.pieceHashFailures++;
      return;
    case 'complete':
      if (!r.complete) {
        r.complete = true;
        foldTotals(ctx, entry); // the bytes stay in the session's totals
        void ctx.store.put(r).catch(() => undefined);
      }
      // The client tells the trackers (BEP 3 'completed').
      ctx.changed(entry);
      ctx.replan();
      return;
    case 'error':
      entry.error = e.error.message;
      ctx.changed(entry);
      ctx.replan();
      void stopEntry(ctx, entry);
      return;
    default:
      return;
  }
}
