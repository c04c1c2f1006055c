/**
 * Seeding limits: a share ratio and a seeding time, global (Settings) and per torrent
 * (null = follow the global one, -1 = none for this torrent). When a seeding torrent reaches
 * one, the service takes `seedLimitAction` (pause or remove) and logs it.
 */
import type { Settings } from '../types.js';
import type { TorrentRecord } from './state-store.js';
import type { TorrentEntry } from './torrent-entry.js';

/** Shown for a torrent that uploaded without downloading anything countable (qBittorrent's MAX_RATIO). */
export const MAX_RATIO = 9999;

/**
 * Uploaded over downloaded. A torrent added complete (downloaded next to nothing) counts its
 * size as downloaded, as qBittorrent does, so seeding a file you made reaches a ratio too.
 */
export function shareRatio(uploaded: number, downloaded: number, size: number): number {
  const base = downloaded < size * 0.01 ? size : downloaded;
  if (base <= 0) return uploaded > 0 ? MAX_RATIO : 0;
  return Math.min(MAX_RATIO, uploaded / base);
}

/** The limit in force: the torrent's own (-1 = none), else the global one. */
export function effectiveLimit(own: number | null | undefined, global: number | null): number | null {
  if (own === undefined || own === null) return global;
  return own < 0 ? null : own;
}

/** Which limit the torrent reached, if any (only while it seeds). */
export function reachedSeedLimit(r: TorrentRecord, uploaded: number, downloaded: number, s: Settings): string | undefined {
  if (!r.complete) return undefined;
  const ratioLimit = effectiveLimit(r.seedRatioLimit, s.seedRatioLimit);
  const timeLimit = effectiveLimit(r.seedTimeLimit, s.seedTimeLimit);
  const ratio = shareRatio(uploaded, downloaded, r.size);
  if (ratioLimit !== null && ratio >= ratioLimit) return `share ratio ${ratio.toFixed(2)} reached its limit ${ratioLimit}`;
  const seconds = Math.floor((r.seedingMs ?? 0) / 1000);
  if (timeLimit !== null && seconds >= timeLimit) return `seeding time ${seconds} s reached its limit ${timeLimit} s`;
  return undefined;
}

/** Counts seeding time (every entry) and calls `act` for each seeding torrent that reached a limit. Called every second. */
export function enforceSeedLimits(entries: Iterable<TorrentEntry>, s: Settings, now: number, act: (e: TorrentEntry, why: string) => void): void {
  for (const e of entries) {
    e.countSeeding(now);
    if (!e.swarm || !e.record.complete || e.record.paused || e.moving || e.rechecking) continue;
    const sum = e.summary(now);
    const why = reachedSeedLimit(e.record, sum.uploaded, sum.downloaded, s);
    if (why) act(e, why);
  }
}
