/**
 * The daemon's once-a-second round: rate limits (the alternative ones may switch on the
 * schedule), DHT lookups, seeding limits, `torrent-updated` and `stats` events for
 * subscribers, and the state snapshot every minute.
 */
import type { ServiceEvent, SessionStats, Settings } from '../types.js';
import type { DhtScheduler } from './dht-scheduler.js';
import { foldTotals, type RunContext } from './runner.js';
import { enforceSeedLimits } from './seed-limits.js';
import type { StateStore } from './state-store.js';
import { sameSummary } from './stats.js';
import type { TorrentEntry } from './torrent-entry.js';

export const TICK_MS = 1000;
export const SNAPSHOT_EVERY_MS = 60_000;

/** Subscribers to the service's events; one's failure is its own. */
export class ServiceEvents {
  private readonly listeners = new Set<(e: ServiceEvent) => void>();

  get size(): number {
    return this.listeners.size;
  }

  subscribe(listener: (event: ServiceEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(e: ServiceEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A listener's failure is its own.
      }
    }
  }
}

/** What the round needs of the service. */
export interface TickHost {
  readonly ctx: RunContext;
  readonly entries: Map<string, TorrentEntry>;
  readonly events: ServiceEvents;
  readonly dht: DhtScheduler;
  readonly store: StateStore;
  settings(): Settings;
  stats(): SessionStats;
  applyRateLimits(): void;
  pause(id: string): Promise<void>;
  remove(id: string, options: { deleteData: boolean }): Promise<void>;
}

/** One round at `now`; returns whether a snapshot was taken (`lastSnapshot` is the previous one's time). */
export function tick(h: TickHost, now: number, lastSnapshot: number): boolean {
  h.applyRateLimits();
  h.dht.tick(now);
  checkSeedLimits(h, now);
  if (h.events.size > 0) {
    for (const e of h.entries.values()) {
      if (!e.running && e.lastSent !== undefined && e.lastSent.state === e.state) continue;
      const s = e.summary(now, 0);
      if (e.lastSent && sameSummary(e.lastSent, s)) continue;
      e.lastSent = s;
      h.events.emit({ type: 'torrent-updated', torrent: s });
    }
    h.events.emit({ type: 'stats', stats: h.stats() });
  }
  if (now - lastSnapshot < SNAPSHOT_EVERY_MS) return false;
  for (const e of h.entries.values()) foldTotals(h.ctx, e);
  void h.store.snapshot().catch(() => undefined);
  return true;
}

/** Counts seeding time and takes the seeding-limit action on torrents that reached one. */
function checkSeedLimits(h: TickHost, now: number): void {
  const s = h.settings();
  enforceSeedLimits(h.entries.values(), s, now, (e, why) => {
    h.ctx.log(`torrent ${e.id} (${e.record.name}): ${why}; ${s.seedLimitAction === 'remove' ? 'removing it (data kept)' : 'pausing it'}`);
    const act = s.seedLimitAction === 'remove' ? h.remove(e.id, { deleteData: false }) : h.pause(e.id);
    void act.catch((err: unknown) => h.ctx.log(`torrent ${e.id}: seeding limit action failed: ${(err as Error).message}`));
  });
}
