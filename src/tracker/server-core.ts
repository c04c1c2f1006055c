/**
 * The tracker server's swarm logic. It sees only the shared `AnnounceRequest` shape (the
 * HTTP and UDP front ends normalise to it) and reads time and randomness from the runtime.
 *
 * Memory: one small record per peer (compact address bytes, flags, last-seen time) held in
 * an array per torrent plus a Map from peer id to index, so sampling `numwant` peers is a
 * contiguous slice from a random offset and removal is swap-with-last.
 */
import { isIP } from 'node:net';
import type { Clock, Random, TimerHandle } from '../runtime/types.js';
import { decodeCompact4, decodeCompact6, ipv4Bytes, ipv6Bytes } from './compact.js';
import type { AnnounceRequest, AnnounceResponse, ScrapeStats, TrackerPeer } from './types.js';

export interface TrackerCoreOptions {
  readonly clock: Clock;
  readonly random: Random;
  /** Announce interval sent to clients, seconds (default 1800). */
  readonly intervalSeconds?: number;
  /** `min interval`, seconds (default interval / 2). */
  readonly minIntervalSeconds?: number;
  /** Peers returned when the client does not say (default 50). */
  readonly defaultNumwant?: number;
  /** The most peers ever returned (default 200). */
  readonly maxNumwant?: number;
  /** A peer that has not announced for this long is dropped (default 1.5 × interval). */
  readonly peerTimeoutSeconds?: number;
  /** Cap on torrents tracked (default 1,000,000); new ones beyond it are refused. */
  readonly maxTorrents?: number;
}

interface PeerRecord {
  /** peer id as a binary string (map key). */
  readonly id: string;
  /** 6 (IPv4) or 18 (IPv6) compact bytes. */
  addr: Uint8Array;
  seed: boolean;
  lastSeen: number;
}

interface TorrentRecord {
  readonly peers: PeerRecord[];
  readonly index: Map<string, number>;
  seeders: number;
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
}

/** `raw` holds the listed peers' compact bytes (6 or 18 each), for front ends that write compact replies. */
export type AnnounceOutcome = { readonly ok: true; readonly response: AnnounceResponse; readonly raw: readonly Uint8Array[] } | { readonly ok: false; readonly reason: string };

export class TrackerCore {
  readonly interval: number;
  readonly minInterval: number;
  private readonly o: TrackerCoreOptions;
  private readonly torrents = new Map<string, TorrentRecord>();
  private allow: ReadonlySet<string> | undefined;
  private sweepTimer: TimerHandle | undefined;
  private readonly counters = { announces: 0, scrapes: 0, rejected: 0, expired: 0 };
  private peerCount = 0;
  private seederCount = 0;

  constructor(options: TrackerCoreOptions) {
    this.o = options;
    this.interval = options.intervalSeconds ?? 1800;
    this.minInterval = options.minIntervalSeconds ?? Math.max(1, Math.floor(this.interval / 2));
  }

  /** Restricts tracked torrents to these hex info hashes (lower case); undefined = all. */
  setAllowList(hexHashes: ReadonlySet<string> | undefined): void {
    this.allow = hexHashes;
    if (!hexHashes) return;
    for (const [key, t] of this.torrents) {
      if (!hexHashes.has(Buffer.from(key, 'latin1').toString('hex'))) {
        this.peerCount -= t.peers.length;
        this.seederCount -= t.seeders;
        this.torrents.delete(key);
      }
    }
  }

  /** Starts the periodic expiry sweep. */
  start(): void {
    const every = Math.max(1000, (this.timeoutMs() / 4) | 0);
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

  private timeoutMs(): number {
    return (this.o.peerTimeoutSeconds ?? this.interval * 1.5) * 1000;
  }

  /** Drops peers not seen for the timeout; returns how many. */
  expire(): number {
    const cutoff = this.o.clock.now() - this.timeoutMs();
    let n = 0;
    for (const [key, t] of this.torrents) {
      for (let i = t.peers.length - 1; i >= 0; i--) {
        if (t.peers[i].lastSeen < cutoff) {
          this.removeAt(t, i);
          n++;
        }
      }
      if (t.peers.length === 0 && t.downloaded === 0) this.torrents.delete(key);
    }
    this.counters.expired += n;
    return n;
  }

  private removeAt(t: TorrentRecord, i: number): void {
    const p = t.peers[i];
    const last = t.peers.pop();
    t.index.delete(p.id);
    if (last && last !== p) {
      t.peers[i] = last;
      t.index.set(last.id, i);
    }
    if (p.seed) {
      t.seeders--;
      this.seederCount--;
    }
    this.peerCount--;
  }

  /**
   * Handles one announce. `source` is the address the request came from (the peer is listed
   * at its host and the announced port).
   */
  announce(r: AnnounceRequest, sourceHost: string, family: 4 | 6 | 'both' = 'both', decodePeers = true): AnnounceOutcome {
    const key = latin1(r.infoHash);
    if (this.allow && !this.allow.has(Buffer.from(r.infoHash).toString('hex'))) {
      this.counters.rejected++;
      return { ok: false, reason: 'info hash not allowed' };
    }
    this.counters.announces++;
    let t = this.torrents.get(key);
    if (!t) {
      if (r.event === 'stopped') return { ok: true, raw: [], response: { interval: this.interval, minInterval: this.minInterval, complete: 0, incomplete: 0, peers: [] } };
      if (this.torrents.size >= (this.o.maxTorrents ?? 1_000_000)) {
        this.counters.rejected++;
        return { ok: false, reason: 'tracker full' };
      }
      t = { peers: [], index: new Map(), seeders: 0, downloaded: 0 };
      this.torrents.set(key, t);
    }
    const id = latin1(r.peerId);
    const at = t.index.get(id);
    const ip = ipv4Bytes(sourceHost) ?? ipv6Bytes(sourceHost);
    if (r.event === 'stopped') {
      if (at !== undefined) this.removeAt(t, at);
    } else if (ip) {
      const addr = new Uint8Array(ip.length + 2);
      addr.set(ip);
      addr[ip.length] = r.port >> 8;
      addr[ip.length + 1] = r.port & 0xff;
      const seed = r.left === 0;
      const now = this.o.clock.now();
      if (at === undefined) {
        t.index.set(id, t.peers.length);
        t.peers.push({ id, addr, seed, lastSeen: now });
        this.peerCount++;
        if (seed) {
          t.seeders++;
          this.seederCount++;
        }
      } else {
        const p = t.peers[at];
        if (!sameBytes(p.addr, addr)) p.addr = addr;
        p.lastSeen = now;
        if (p.seed !== seed) {
          const d = seed ? 1 : -1;
          t.seeders += d;
          this.seederCount += d;
          p.seed = seed;
        }
      }
      if (r.event === 'completed') t.downloaded++;
    }
    const want = Math.min(r.numwant ?? this.o.defaultNumwant ?? 50, this.o.maxNumwant ?? 200);
    const raw = this.sample(t, id, want, family, r.left === 0);
    const peers: TrackerPeer[] = [];
    if (decodePeers) {
      for (const a of raw) {
        if (a.length === 6) decodeCompact4(a, peers);
        else decodeCompact6(a, peers);
      }
    }
    return {
      ok: true,
      raw,
      response: { interval: this.interval, minInterval: this.minInterval, complete: t.seeders, incomplete: t.peers.length - t.seeders, peers },
    };
  }

  private sample(t: TorrentRecord, self: string, want: number, family: 4 | 6 | 'both', askerIsSeed: boolean): Uint8Array[] {
    const out: Uint8Array[] = [];
    const n = t.peers.length;
    if (n === 0 || want <= 0) return out;
    const start = this.o.random.int(n);
    for (let k = 0; k < n && out.length < want; k++) {
      const p = t.peers[(start + k) % n];
      if (p.id === self) continue;
      if (askerIsSeed && p.seed) continue;
      const len = p.addr.length;
      if (family === 4 && len !== 6) continue;
      if (family === 6 && len !== 18) continue;
      out.push(p.addr);
    }
    return out;
  }

  scrape(infoHashes: readonly Uint8Array[]): ScrapeStats[] {
    this.counters.scrapes++;
    return infoHashes.map((h) => {
      const t = this.torrents.get(latin1(h));
      if (!t || (this.allow && !this.allow.has(Buffer.from(h).toString('hex')))) return { complete: 0, downloaded: 0, incomplete: 0 };
      return { complete: t.seeders, downloaded: t.downloaded, incomplete: t.peers.length - t.seeders };
    });
  }

  /** Every tracked torrent's counts (a full scrape), keyed by hex info hash. */
  scrapeAll(limit = 1000): Map<string, ScrapeStats> {
    const out = new Map<string, ScrapeStats>();
    for (const [k, t] of this.torrents) {
      if (out.size >= limit) break;
      out.set(Buffer.from(k, 'latin1').toString('hex'), { complete: t.seeders, downloaded: t.downloaded, incomplete: t.peers.length - t.seeders });
    }
    return out;
  }

  stats(): TrackerStats {
    return { torrents: this.torrents.size, peers: this.peerCount, seeders: this.seederCount, leechers: this.peerCount - this.seederCount, ...this.counters };
  }
}

/** True for an IPv4 or IPv6 literal. */
export function isIpLiteral(s: string): boolean {
  return isIP(s) !== 0;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Bytes as a binary string, without copying them first. */
function latin1(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}
