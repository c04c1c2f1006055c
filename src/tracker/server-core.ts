/**
 * The tracker server's swarm logic. It sees only the shared `AnnounceRequest` shape (the
 * HTTP and UDP front ends normalise to it) and reads time and randomness from the runtime.
 *
 * A peer is its address and port, as listed. Each torrent keeps its peers packed per address
 * family (`PeerTable`): compact bytes back to back, so the peers in a reply are one or two
 * slices copied out. Torrents are found by a keyed 30-bit hash of the info hash (a small
 * integer Map key; equal keys chain), so an announce builds no strings and no per-peer
 * objects. Memory is bounded by caps on torrents, peers per torrent and peers overall, and
 * one source address cannot take more than its share of them: the peer entries it holds
 * (over all torrents) are capped, and a source at its cap cannot create torrents, so a flood
 * of announces for made-up info hashes from one address never makes the tracker full for
 * everyone else. A source is an IPv4 address or an IPv6 /64 (one host usually holds a whole
 * /64, so counting single IPv6 addresses would cap nothing).
 */
import type { TimerHandle } from '../runtime/types.js';
import { decodeCompact4, decodeCompact6, ipInto } from './compact.js';
import { PeerTable } from './peer-table.js';
import { TRACKER_DEFAULTS, type TrackerCoreOptions } from './server-options.js';
import { SourceCounts } from './source-counts.js';
import type { AnnounceRequest, AnnounceResponse, ScrapeStats, TrackerPeer } from './types.js';

export { TRACKER_DEFAULTS, type TrackerCoreOptions } from './server-options.js';

interface TorrentRecord {
  /** The info hash as five big-endian 32-bit words (a typed array per torrent costs far more). */
  readonly h0: number;
  readonly h1: number;
  readonly h2: number;
  readonly h3: number;
  readonly h4: number;
  /** The next torrent with the same map key. */
  next: TorrentRecord | undefined;
  readonly v4: PeerTable;
  v6: PeerTable | undefined;
  downloaded: number;
}

export interface TrackerStats {
  torrents: number;
  peers: number;
  seeders: number;
  leechers: number;
  announces: number;
  scrapes: number;
  rejected: number;
  expired: number;
  /** Announces answered but not stored because a peer cap was reached. */
  notStored: number;
  /** Announces not stored or refused because their source held `maxEntriesPerIp` entries, or `maxEntriesPerIpPerTorrent` in that torrent. */
  sourceLimited: number;
  /** Sources (IPv4 addresses, IPv6 /64s) holding at least one entry. */
  sources: number;
  /** Full scrapes built (the others were answered from the last one). */
  fullScrapesBuilt: number;
  /** Info hashes left unanswered because a scrape named more than `maxScrapeHashes`. */
  scrapeHashesDropped: number;
}

/**
 * `compact4` / `compact6` hold the listed peers' compact bytes (6 or 18 each) for front ends
 * that write compact replies; they are views of a buffer the next announce overwrites.
 * `response.peers` is filled only when decoding was asked for.
 */
export type AnnounceOutcome =
  | { readonly ok: true; readonly response: AnnounceResponse; readonly compact4: Uint8Array; readonly compact6: Uint8Array }
  | { readonly ok: false; readonly reason: string };

export class TrackerCore {
  readonly interval: number;
  readonly minInterval: number;
  private readonly o: TrackerCoreOptions;
  private readonly torrents = new Map<number, TorrentRecord>();
  private torrentCount = 0;
  private readonly seed: number;
  private allow: ReadonlySet<string> | undefined;
  private sweepTimer: TimerHandle | undefined;
  private readonly counters = { announces: 0, scrapes: 0, rejected: 0, expired: 0, notStored: 0, sourceLimited: 0, fullScrapesBuilt: 0, scrapeHashesDropped: 0 };
  /** The last full scrape and the second it was built. */
  private fullScrape: { readonly at: number; readonly files: ReadonlyMap<string, ScrapeStats> } | undefined;
  /** Entries held per source (IPv4 address, IPv6 /64). */
  private readonly perSource = new SourceCounts();
  private readonly maxPerSource: number;
  private readonly maxPerSourceInTorrent: number;
  private readonly releaseEntry = (entries: Uint8Array, off: number, width: number): void => this.perSource.add(entries, off, width === 6 ? 4 : 16, -1);
  private readonly release4 = (entries: Uint8Array, off: number): void => this.releaseEntry(entries, off, 6);
  private readonly release6 = (entries: Uint8Array, off: number): void => this.releaseEntry(entries, off, 18);
  private peerCount = 0;
  private seederCount = 0;
  private readonly maxNumwant: number;
  /** The announcing peer's compact entry (address, then port). */
  private readonly entry = new Uint8Array(18);
  private readonly out4: Uint8Array;
  private readonly out6: Uint8Array;

  constructor(options: TrackerCoreOptions) {
    this.o = options;
    this.interval = options.intervalSeconds ?? 1800;
    this.minInterval = options.minIntervalSeconds ?? Math.max(1, Math.floor(this.interval / 2));
    this.seed = options.random.int(0x1_0000_0000) | 0;
    this.maxNumwant = options.maxNumwant ?? 200;
    this.maxPerSource = options.maxEntriesPerIp ?? TRACKER_DEFAULTS.maxEntriesPerIp;
    this.maxPerSourceInTorrent = options.maxEntriesPerIpPerTorrent ?? TRACKER_DEFAULTS.maxEntriesPerIpPerTorrent;
    this.out4 = new Uint8Array(this.maxNumwant * 6);
    this.out6 = new Uint8Array(this.maxNumwant * 18);
  }

  /** Restricts tracked torrents to these hex info hashes (lower case); undefined = all. */
  setAllowList(hexHashes: ReadonlySet<string> | undefined): void {
    this.allow = hexHashes;
    this.fullScrape = undefined; // no longer allowed torrents leave the full scrape at once
    if (!hexHashes) return;
    for (const t of [...this.all()]) if (!hexHashes.has(hexOf(t))) this.drop(t);
  }

  /** Starts the periodic expiry sweep. */
  start(): void {
    const every = Math.max(1000, (this.timeoutSeconds() * 250) | 0);
    const tick = (): void => {
      this.expire();
      this.sweepTimer = this.o.clock.setTimer(every, tick);
    };
    this.sweepTimer = this.o.clock.setTimer(every, tick);
  }

  stop(): void {
    this.sweepTimer?.cancel();
    this.sweepTimer = undefined;
  }

  private timeoutSeconds(): number {
    return this.o.peerTimeoutSeconds ?? this.interval * 1.5;
  }

  private nowSeconds(): number {
    return Math.floor(this.o.clock.now() / 1000);
  }

  /** Drops peers not seen for the timeout (and torrents left empty); returns how many peers. */
  expire(): number {
    const cutoff = this.nowSeconds() - this.timeoutSeconds();
    let n = 0;
    for (const t of [...this.all()]) {
      for (const table of [t.v4, t.v6]) {
        if (!table) continue;
        const [removed, seeds] = table.expire(cutoff, table.width === 6 ? this.release4 : this.release6);
        n += removed;
        this.peerCount -= removed;
        this.seederCount -= seeds;
      }
      if (t.v4.count === 0 && (t.v6?.count ?? 0) === 0 && t.downloaded === 0) this.drop(t);
    }
    this.counters.expired += n;
    return n;
  }

  /**
   * Handles one announce. `sourceHost` is the address the request came from (the peer is
   * listed at that host and the announced port); `family` says which peers to list.
   */
  announce(r: AnnounceRequest, sourceHost: string, family: 4 | 6 | 'both' = 'both', decodePeers = true): AnnounceOutcome {
    let t = this.find(r.infoHash);
    if (t === undefined && this.allow && !this.allow.has(hex(r.infoHash))) {
      this.counters.rejected++;
      return { ok: false, reason: 'info hash not allowed' };
    }
    this.counters.announces++;
    const entry = this.entry;
    const ipLen = ipInto(sourceHost, entry);
    if (t === undefined) {
      if (r.event === 'stopped') return this.outcome(0, 0, 0, 0, decodePeers);
      if (ipLen !== 0 && this.sourceFull(ipLen)) {
        this.counters.rejected++;
        this.counters.sourceLimited++;
        return { ok: false, reason: `too many torrents announced from your address (limit ${this.maxPerSource} entries)` };
      }
      if (this.torrentCount >= (this.o.maxTorrents ?? TRACKER_DEFAULTS.maxTorrents)) {
        this.counters.rejected++;
        return { ok: false, reason: 'tracker full' };
      }
      t = this.add(r.infoHash);
    }
    let table: PeerTable | undefined;
    let self = -1;
    if (ipLen !== 0) {
      entry[ipLen] = r.port >> 8;
      entry[ipLen + 1] = r.port & 0xff;
      table = ipLen === 4 ? t.v4 : (t.v6 ??= new PeerTable(18, this.seed));
      self = this.update(t, table, r, ipLen);
    }
    const want = Math.min(r.numwant ?? this.o.defaultNumwant ?? 50, this.maxNumwant);
    const asSeed = r.left === 0;
    // Seeds are sent only leechers, which come first in each table.
    const end4 = asSeed ? t.v4.leechers : t.v4.count;
    const end6 = t.v6 === undefined ? 0 : asSeed ? t.v6.leechers : t.v6.count;
    const self4 = table === t.v4 && self < end4 ? self : -1;
    const self6 = table !== undefined && table === t.v6 && self < end6 ? self : -1;
    const avail4 = family === 6 ? 0 : end4 - (self4 >= 0 ? 1 : 0);
    const avail6 = family === 4 ? 0 : end6 - (self6 >= 0 ? 1 : 0);
    let want4 = Math.min(avail4, avail6 === 0 ? want : Math.round((want * avail4) / (avail4 + avail6)));
    const want6 = Math.min(avail6, want - want4);
    want4 = Math.min(avail4, want - want6);
    const random = this.o.random;
    const n4 = want4 > 0 ? t.v4.copyOut(end4, random.int(end4), self4, want4, this.out4, 0) : 0;
    const n6 = want6 > 0 && t.v6 ? t.v6.copyOut(end6, random.int(end6), self6, want6, this.out6, 0) : 0;
    const seeders = t.v4.seeders + (t.v6?.seeders ?? 0);
    const peers = t.v4.count + (t.v6?.count ?? 0);
    return this.outcome(seeders, peers - seeders, n4, n6, decodePeers);
  }

  /** Whether the source of `this.entry` (an address of `ipLen` bytes) holds its cap of entries. */
  private sourceFull(ipLen: 4 | 16): boolean {
    return this.perSource.get(this.entry, 0, ipLen) >= this.maxPerSource;
  }

  /** Stores the announcing peer (`this.entry`); returns its position in `table` or -1. */
  private update(t: TorrentRecord, table: PeerTable, r: AnnounceRequest, ipLen: 4 | 16): number {
    const at = table.find(this.entry, 0);
    const seed = r.left === 0;
    if (r.event === 'completed') t.downloaded++;
    if (r.event === 'stopped') {
      if (at >= 0) {
        this.releaseEntry(this.entry, 0, table.width);
        if (table.removeAt(at)) this.seederCount--;
        this.peerCount--;
      }
      return -1;
    }
    if (at >= 0) {
      const wasSeed = at >= table.leechers;
      if (wasSeed !== seed) this.seederCount += seed ? 1 : -1;
      return table.touch(at, seed, this.nowSeconds());
    }
    const inTorrent = t.v4.count + (t.v6?.count ?? 0);
    if (this.peerCount >= (this.o.maxPeers ?? TRACKER_DEFAULTS.maxPeers) || inTorrent >= (this.o.maxPeersPerTorrent ?? TRACKER_DEFAULTS.maxPeersPerTorrent)) {
      this.counters.notStored++;
      return -1;
    }
    if (this.perSource.get(this.entry, 0, ipLen) >= this.maxPerSource || table.countSource(this.entry, 0, this.maxPerSourceInTorrent) >= this.maxPerSourceInTorrent) {
      this.counters.notStored++;
      this.counters.sourceLimited++;
      return -1;
    }
    this.perSource.add(this.entry, 0, ipLen, 1);
    this.peerCount++;
    if (seed) this.seederCount++;
    return table.insert(this.entry, 0, seed, this.nowSeconds());
  }

  private outcome(complete: number, incomplete: number, n4: number, n6: number, decodePeers: boolean): AnnounceOutcome {
    const compact4 = this.out4.subarray(0, n4);
    const compact6 = this.out6.subarray(0, n6);
    const peers: TrackerPeer[] = [];
    if (decodePeers) {
      decodeCompact4(compact4, peers);
      decodeCompact6(compact6, peers);
    }
    return { ok: true, compact4, compact6, response: { interval: this.interval, minInterval: this.minInterval, complete, incomplete, peers } };
  }

  /** Counts of the first `maxScrapeHashes` info hashes named (in that order). */
  scrape(infoHashes: readonly Uint8Array[]): ScrapeStats[] {
    this.counters.scrapes++;
    const max = this.o.maxScrapeHashes ?? TRACKER_DEFAULTS.maxScrapeHashes;
    if (infoHashes.length > max) {
      this.counters.scrapeHashesDropped += infoHashes.length - max;
      infoHashes = infoHashes.slice(0, max);
    }
    return infoHashes.map((h) => {
      const t = h.length === 20 ? this.find(h) : undefined;
      return t ? this.counts(t) : { complete: 0, downloaded: 0, incomplete: 0 };
    });
  }

  /**
   * Tracked torrents' counts (a full scrape), keyed by hex info hash: at most
   * `maxFullScrapeTorrents`, and the same map (same object) for `fullScrapeCacheSeconds`, so
   * a front end can keep its encoding too.
   */
  scrapeAll(): ReadonlyMap<string, ScrapeStats> {
    this.counters.scrapes++;
    const now = this.o.clock.now();
    const cached = this.fullScrape;
    if (cached && now - cached.at < (this.o.fullScrapeCacheSeconds ?? TRACKER_DEFAULTS.fullScrapeCacheSeconds) * 1000) return cached.files;
    const limit = this.o.maxFullScrapeTorrents ?? TRACKER_DEFAULTS.maxFullScrapeTorrents;
    const out = new Map<string, ScrapeStats>();
    for (const t of this.all()) {
      if (out.size >= limit) break;
      out.set(hexOf(t), this.counts(t));
    }
    this.counters.fullScrapesBuilt++;
    this.fullScrape = { at: now, files: out };
    return out;
  }

  stats(): TrackerStats {
    return { torrents: this.torrentCount, peers: this.peerCount, seeders: this.seederCount, leechers: this.peerCount - this.seederCount, sources: this.perSource.size, ...this.counters };
  }

  private counts(t: TorrentRecord): ScrapeStats {
    const complete = t.v4.seeders + (t.v6?.seeders ?? 0);
    return { complete, downloaded: t.downloaded, incomplete: t.v4.count + (t.v6?.count ?? 0) - complete };
  }

  /** A keyed 30-bit hash of an info hash's words (a small-integer Map key). */
  private key(h0: number, h1: number, h2: number, h3: number, h4: number): number {
    let x = this.seed;
    x = Math.imul(x ^ h0, 0x9e3779b1);
    x = Math.imul(x ^ (x >>> 15) ^ h1, 0x9e3779b1);
    x = Math.imul(x ^ (x >>> 15) ^ h2, 0x9e3779b1);
    x = Math.imul(x ^ (x >>> 15) ^ h3, 0x9e3779b1);
    x = Math.imul(x ^ (x >>> 15) ^ h4, 0x85ebca6b);
    return (x ^ (x >>> 16)) & 0x3fffffff;
  }

  private find(h: Uint8Array): TorrentRecord | undefined {
    const h0 = word(h, 0);
    const h1 = word(h, 4);
    const h2 = word(h, 8);
    const h3 = word(h, 12);
    const h4 = word(h, 16);
    for (let t = this.torrents.get(this.key(h0, h1, h2, h3, h4)); t !== undefined; t = t.next) {
      if (t.h0 === h0 && t.h1 === h1 && t.h2 === h2 && t.h3 === h3 && t.h4 === h4) return t;
    }
    return undefined;
  }

  private add(h: Uint8Array): TorrentRecord {
    const t: TorrentRecord = { h0: word(h, 0), h1: word(h, 4), h2: word(h, 8), h3: word(h, 12), h4: word(h, 16), next: undefined, v4: new PeerTable(6, this.seed), v6: undefined, downloaded: 0 };
    const k = this.keyOf(t);
    t.next = this.torrents.get(k);
    this.torrents.set(k, t);
    this.torrentCount++;
    return t;
  }

  private keyOf(t: TorrentRecord): number {
    return this.key(t.h0, t.h1, t.h2, t.h3, t.h4);
  }

  private drop(t: TorrentRecord): void {
    const k = this.keyOf(t);
    let head = this.torrents.get(k);
    if (head === t) head = t.next;
    else for (let p = head; p !== undefined; p = p.next) if (p.next === t) p.next = t.next;
    if (head === undefined) this.torrents.delete(k);
    else this.torrents.set(k, head);
    this.torrentCount--;
    for (const table of [t.v4, t.v6]) {
      if (!table) continue;
      const release = table.width === 6 ? this.release4 : this.release6;
      for (let p = 0; p < table.count; p++) release(table.entries, p * table.width);
    }
    const seeds = t.v4.seeders + (t.v6?.seeders ?? 0);
    this.peerCount -= t.v4.count + (t.v6?.count ?? 0);
    this.seederCount -= seeds;
  }

  private *all(): Generator<TorrentRecord> {
    for (const head of this.torrents.values()) for (let t: TorrentRecord | undefined = head; t !== undefined; t = t.next) yield t;
  }
}

/** Big-endian 32 bits at `o`, as a signed int (a small integer V8 stores unboxed). */
function word(b: Uint8Array, o: number): number {
  return (b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3];
}

function hex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, 20).toString('hex');
}

function hexOf(t: TorrentRecord): string {
  return [t.h0, t.h1, t.h2, t.h3, t.h4].map((w) => (w >>> 0).toString(16).padStart(8, '0')).join('');
}
