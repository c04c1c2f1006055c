/**
 * A torrent's trackers in the daemon: the tiers in force (set through the API, else the
 * torrent's or magnet's own, BEP 12), their status from the announcer's events, and
 * restarting the announcer when the list changes or a reannounce is asked for.
 */
import { magnetTiers, type Magnet } from '../../metainfo/magnet.js';
import type { Torrent } from '../../metainfo/torrent.js';
import type { AnnouncerEvent } from '../../tracker/announcer.js';
import { ServiceError, type TrackerTiers } from '../types.js';
import type { RunContext } from './runner.js';
import type { TorrentEntry } from './torrent-entry.js';

/** Tracker URLs one torrent may have (all tiers together), and the longest URL. */
export const MAX_TRACKER_URLS = 200;
export const MAX_TRACKER_URL_LENGTH = 2048;

/** Checks tiers from a client: http, https and udp URLs, bounded; empty tiers dropped, duplicates kept once. */
export function checkTiers(tiers: unknown): string[][] {
  if (!Array.isArray(tiers)) throw new ServiceError(400, 'trackers must be a list of tiers, each a list of URLs');
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const tier of tiers as unknown[]) {
    const urls = typeof tier === 'string' ? [tier] : tier;
    if (!Array.isArray(urls)) throw new ServiceError(400, 'each tier must be a list of URLs');
    const kept: string[] = [];
    for (const u of urls as unknown[]) {
      if (typeof u !== 'string' || u.length === 0 || u.length > MAX_TRACKER_URL_LENGTH) throw new ServiceError(400, `a tracker URL is a string of 1 to ${MAX_TRACKER_URL_LENGTH} characters`);
      let url: URL;
      try {
        url = new URL(u);
      } catch {
        throw new ServiceError(400, `not a URL: ${JSON.stringify(u.slice(0, 200))}`);
      }
      if (!['http:', 'https:', 'udp:'].includes(url.protocol) || url.hostname === '') throw new ServiceError(400, `a tracker URL is http://, https:// or udp:// with a host: ${JSON.stringify(u.slice(0, 200))}`);
      if (seen.has(u)) continue;
      seen.add(u);
      kept.push(u);
      if (seen.size > MAX_TRACKER_URLS) throw new ServiceError(400, `a torrent may have at most ${MAX_TRACKER_URLS} tracker URLs`);
    }
    if (kept.length > 0) out.push(kept);
  }
  return out;
}

/** The tiers in force: the record's (set through the API), else the torrent's, else the magnet's `tr`. */
export function tiersOf(entry: TorrentEntry, torrent: Torrent | undefined, magnet: Magnet | undefined): TrackerTiers {
  return entry.record.trackers ?? torrent?.trackers ?? (magnet ? magnetTiers(magnet) : []);
}

/** Resets the status list to `tiers` (idle), keeping what is known of URLs that stay. */
export function resetTrackerStatus(entry: TorrentEntry, tiers: TrackerTiers, status: 'idle' | 'updating'): void {
  const old = new Map(entry.trackers);
  entry.trackers.clear();
  for (const [tier, urls] of tiers.entries()) {
    for (const url of urls) entry.trackers.set(url, { ...old.get(url), tier, status });
  }
}

/** Announces to the tiers in force from now on (a new list): `stopped` to the old trackers, `started` to the new. */
export async function restartAnnouncer(entry: TorrentEntry): Promise<void> {
  const handle = entry.announcer;
  if (!handle) return;
  const tiers = tiersOf(entry, entry.torrent, undefined);
  resetTrackerStatus(entry, tiers, 'updating');
  await handle.setTrackers(tiers);
}

/** A reannounce: a regular announce now, as qBittorrent's "force reannounce". */
export function announceNow(entry: TorrentEntry): void {
  const handle = entry.announcer;
  if (!handle) return;
  for (const t of entry.trackers.values()) t.status = 'updating';
  handle.announceNow();
}

export function onAnnouncerEvent(ctx: RunContext, entry: TorrentEntry, e: AnnouncerEvent): void {
  if (e.type === 'all-failed') return;
  const t = entry.trackers.get(e.url) ?? { tier: 0, status: 'idle' as const };
  const now = ctx.wallClock();
  if (e.type === 'announced') {
    ctx.counters.announceSuccess++;
    voteTrackerAddress(ctx, e.url, e.response.externalIp);
    if (t.status === 'error') ctx.log(`torrent ${entry.id}: tracker ${e.url} works again`);
    const every = Math.max(e.response.interval, e.response.minInterval ?? 0);
    const stopped = e.event === 'stopped';
    entry.trackers.set(e.url, {
      tier: t.tier, status: stopped ? 'idle' : 'working', peers: e.response.peers.length, seeders: e.response.complete, leechers: e.response.incomplete,
      lastAnnounce: now, nextAnnounce: stopped ? undefined : now + every * 1000,
    });
  } else if (e.type === 'tracker-error') {
    ctx.counters.announceFailure++;
    // Said once when a tracker starts failing, not on every retry.
    if (t.status !== 'error') ctx.log(`torrent ${entry.id}: tracker ${e.url}: ${e.error.message}`);
    entry.trackers.set(e.url, { ...t, status: 'error', message: e.error.message, lastAnnounce: now, nextAnnounce: undefined });
  } else if (e.type === 'warning') {
    entry.trackers.set(e.url, { ...t, message: e.message });
  }
}

/** An HTTP tracker's `external ip` is a vote on our external address (docs/nat.md), one per tracker host. */
function voteTrackerAddress(ctx: RunContext, url: string, externalIp: string | undefined): void {
  if (!externalIp) return;
  let reporter: string;
  try {
    reporter = new URL(url).hostname;
  } catch {
    return;
  }
  ctx.client.session.voteExternalAddress({ source: 'tracker', reporter, host: externalIp });
}
