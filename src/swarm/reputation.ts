/**
 * What we remember of peers across the torrents of one session: bytes each peer gave us
 * and bytes we gave it while it could have paid us back (we were downloading and wanted
 * its pieces), decaying
 * with a half-life, in a store of bounded size (the least recently updated entry goes first).
 * The choker consults it: a peer that gave us data in another torrent is preferred when
 * rates tie and is drawn more often for the optimistic unchoke; a known free rider (it took
 * from us and gave almost nothing back) is drawn less often. Nobody unknown is penalised:
 * a newcomer gets the ordinary chances.
 *
 * Keyed by IP, not peer id or port, since a peer chooses those freely at every connection
 * (a free rider would take a fresh identity each time). An IPv4 address is its own key
 * (IPv4-mapped IPv6 counts as IPv4): a /24 would lump strangers behind one ISP pool
 * together, letting a free rider inherit a neighbour's credit. IPv6 is keyed by its /64:
 * one host controls a whole /64 (privacy addresses rotate within it). What this cannot
 * stop: a peer that moves to a new address starts as a newcomer (whitewashing), which is
 * why known free riders are only drawn less often and never shut out, and peers behind one
 * NAT share a standing.
 *
 * Sans-I/O: every call takes `now` (the runtime clock's milliseconds).
 */
import { sourceKey } from '../util/source-key.js';

export interface ReputationOptions {
  /** Peers (keys) remembered at most; past it the least recently updated is forgotten (default 10,000). */
  readonly maxEntries?: number;
  /** Bytes remembered halve every this long (default 24 h). */
  readonly halfLifeMs?: number;
  /**
   * A peer counts as a free rider only once we gave it at least this much (decayed; default
   * 64 KiB, 4 blocks: with the send buffer watermark a choke stops a peer after the block on
   * its way, so an optimistic unchoke gives a free rider less than the 128 KiB this was).
   */
  readonly freeRiderMinBytes?: number;
  /** ...and it gave back less than this share of it (default 0.05). */
  readonly freeRiderRatio?: number;
  /** A peer counts as a contributor once it gave us at least this much (decayed; default 1 MiB). */
  readonly contributorMinBytes?: number;
}

export const REPUTATION_DEFAULTS: Readonly<Required<ReputationOptions>> = {
  maxEntries: 10_000,
  halfLifeMs: 24 * 3600_000,
  freeRiderMinBytes: 64 * 1024,
  freeRiderRatio: 0.05,
  contributorMinBytes: 1024 * 1024,
};

/** A saved key longer than this is not a key we made (an IPv6 /64 takes 26 characters). */
const MAX_KEY_LENGTH = 64;

/** How the choker sees a peer it has history with. */
export type Standing = 'contributor' | 'unknown' | 'free-rider';

/** What the choker reads (a store, or a view over one). */
export interface ReputationView {
  standing(host: string, now: number): Standing;
  /** Decayed bytes the peer gave us (a tie-break: more first). */
  given(host: string, now: number): number;
  /** Counts bytes exchanged with a peer: `given` it sent us, `taken` we sent it while it could have paid us back. */
  record(host: string, given: number, taken: number, now: number): void;
}

/** One remembered peer; byte counts as of `at`. */
interface Entry {
  given: number;
  taken: number;
  at: number;
}

/** A saved entry: its age at the time of saving, so a restore keeps the decay going. */
export interface ReputationRecord {
  readonly key: string;
  readonly given: number;
  readonly taken: number;
  readonly ageMs: number;
}

/** The key a peer's address is remembered under: the IPv4 address or the IPv6 /64 (util/source-key.ts). */
export const reputationKey = sourceKey;

export class ReputationStore implements ReputationView {
  private readonly o: Required<ReputationOptions>;
  /** Least recently updated first: `record` moves an entry to the end. */
  private readonly entries = new Map<string, Entry>();

  constructor(options: ReputationOptions = {}) {
    this.o = { ...REPUTATION_DEFAULTS, ...options };
    if (!(Number.isSafeInteger(this.o.maxEntries) && this.o.maxEntries >= 1)) throw new RangeError(`reputation maxEntries must be a whole number >= 1, got ${this.o.maxEntries}`);
    if (!(this.o.halfLifeMs > 0)) throw new RangeError(`reputation halfLifeMs must be > 0, got ${this.o.halfLifeMs}`);
  }

  get size(): number {
    return this.entries.size;
  }

  record(host: string, given: number, taken: number, now: number): void {
    if (!(given > 0) && !(taken > 0)) return;
    const key = reputationKey(host);
    const e = this.decayed(key, now) ?? { given: 0, taken: 0, at: now };
    if (given > 0) e.given += given;
    if (taken > 0) e.taken += taken;
    this.entries.delete(key);
    this.entries.set(key, e);
    while (this.entries.size > this.o.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** Decayed bytes given and taken, or undefined for a peer we do not know. */
  get(host: string, now: number): { readonly given: number; readonly taken: number } | undefined {
    const e = this.decayed(reputationKey(host), now);
    return e && { given: e.given, taken: e.taken };
  }

  standing(host: string, now: number): Standing {
    const e = this.decayed(reputationKey(host), now);
    if (!e) return 'unknown';
    if (e.given >= this.o.contributorMinBytes) return 'contributor';
    if (e.taken >= this.o.freeRiderMinBytes && e.given < e.taken * this.o.freeRiderRatio) return 'free-rider';
    return 'unknown';
  }

  given(host: string, now: number): number {
    return this.decayed(reputationKey(host), now)?.given ?? 0;
  }

  /** Every entry with its age, oldest use first (to carry the store over a restart). */
  save(now: number): ReputationRecord[] {
    return [...this.entries].map(([key, e]) => ({ key, given: e.given, taken: e.taken, ageMs: Math.max(0, now - e.at) }));
  }

  /** Adds saved entries (as saved, in their order), aged as they were; bad records are skipped. */
  restore(records: readonly ReputationRecord[], now: number): void {
    for (const r of records) {
      if (typeof r !== 'object' || r === null || typeof r.key !== 'string' || r.key.length > MAX_KEY_LENGTH) continue;
      if (![r.given, r.taken, r.ageMs].every((x) => typeof x === 'number' && Number.isFinite(x) && x >= 0)) continue;
      this.entries.delete(r.key);
      this.entries.set(r.key, { given: r.given, taken: r.taken, at: now - r.ageMs });
      while (this.entries.size > this.o.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    }
  }

  /** The entry brought up to `now` (its counts decayed), without touching its place in the LRU order. */
  private decayed(key: string, now: number): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const dt = now - e.at;
    if (dt > 0) {
      const f = Math.pow(0.5, dt / this.o.halfLifeMs);
      e.given *= f;
      e.taken *= f;
      e.at = now;
    }
    return e;
  }
}
