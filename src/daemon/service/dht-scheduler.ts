/**
 * The daemon's one DHT node serves every torrent, so lookups are scheduled instead of each
 * torrent running its own timer: a few rounds (lookup + announce) at a time, downloading
 * torrents first and every 5 minutes (sooner while lookups find nobody: 15 s, doubling, as for
 * `shoal get`), seeding ones every 30 minutes, spread out so that thousands of seeds starting
 * together do not flood the network.
 */
import { dhtRound } from '../../session/dht-peers.js';
import type { Dht } from '../../dht/dht.js';
import type { Random } from '../../runtime/types.js';
import { reaskDelay } from '../../util/backoff.js';
import type { TorrentEntry } from './torrent-entry.js';

const DOWNLOADING_EVERY_MS = 5 * 60_000;
const SEEDING_EVERY_MS = 30 * 60_000;
const CONCURRENT_ROUNDS = 2;

export class DhtScheduler {
  /** Rounds started (each is one get_peers traversal and one announce). */
  lookups = 0;
  private readonly due = new Map<TorrentEntry, number>();
  private readonly inFlight = new Map<TorrentEntry, AbortController>();
  /** Downloading torrents whose last lookups in a row found nobody, and how many. */
  private readonly emptyRuns = new Map<TorrentEntry, number>();

  constructor(
    private readonly dht: () => Dht | undefined,
    private readonly port: () => number,
    private readonly random: Random,
  ) {}

  /** Starts looking the torrent up: at once when downloading, at a random time within the seeding period otherwise. */
  add(entry: TorrentEntry, now: number): void {
    if (entry.torrent?.private) return;
    this.due.set(entry, entry.record.complete ? now + this.random.int(SEEDING_EVERY_MS) : now);
  }

  /** A lookup for this torrent at the next tick (a reannounce asked for); nothing for a private torrent or one not running. */
  now(entry: TorrentEntry, now: number): void {
    if (this.due.has(entry)) this.due.set(entry, now);
  }

  remove(entry: TorrentEntry): void {
    this.due.delete(entry);
    this.emptyRuns.delete(entry);
    this.inFlight.get(entry)?.abort();
    this.inFlight.delete(entry);
  }

  /** Called about once a second. */
  tick(now: number): void {
    const dht = this.dht();
    if (!dht || this.inFlight.size >= CONCURRENT_ROUNDS) return;
    const ready: TorrentEntry[] = [];
    for (const [e, at] of this.due) if (at <= now && !this.inFlight.has(e)) ready.push(e);
    // Downloads first, then the longest overdue.
    ready.sort((a, b) => Number(a.record.complete) - Number(b.record.complete) || this.due.get(a)! - this.due.get(b)!);
    for (const entry of ready.slice(0, CONCURRENT_ROUNDS - this.inFlight.size)) {
      const swarm = entry.swarm;
      if (!swarm) continue;
      const controller = new AbortController();
      this.inFlight.set(entry, controller);
      this.due.set(entry, now + (entry.record.complete ? SEEDING_EVERY_MS : DOWNLOADING_EVERY_MS));
      this.lookups++;
      void dhtRound(dht, swarm, this.port(), controller.signal).then((found) => {
        if (this.inFlight.get(entry) !== controller) return;
        this.inFlight.delete(entry);
        if (found > 0 || entry.record.complete || controller.signal.aborted) return void this.emptyRuns.delete(entry);
        // Nobody yet (a fresh magnet whose seeder announces seconds later): ask again soon.
        const runs = (this.emptyRuns.get(entry) ?? 0) + 1;
        this.emptyRuns.set(entry, runs);
        if (this.due.has(entry)) this.due.set(entry, now + reaskDelay(runs, DOWNLOADING_EVERY_MS));
      });
    }
  }

  close(): void {
    for (const c of this.inFlight.values()) c.abort();
    this.inFlight.clear();
    this.due.clear();
    this.emptyRuns.clear();
  }
}
