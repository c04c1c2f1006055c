/**
 * Peers announced to us (BEP 5 `announce_peer`), by info hash, with expiry and limits:
 * at most `maxInfoHashes` torrents and `maxPeersPerInfoHash` peers each. `get_peers` answers
 * with a random subset.
 *
 * One source cannot own the store: a torrent keeps one entry per IP (a new port replaces the
 * old, as libtorrent's dht storage does), one IP (IPv6: its /64) is stored under at most
 * `maxInfoHashesPerIp` info hashes and one /24 (IPv6: /48, the prefixes BEP 42 reasons in)
 * holds at most `maxEntriesPerPrefix` entries; past them its new announces are not stored.
 * A token only proves the announcer's own address, which is exactly what these count.
 *
 * When the store is full, room goes by fair share, not by count: each prefix has one unit of
 * support, spread over its entries, and a torrent's support is the sum over its entries.
 * A newcomer takes the place of the least supported torrent only when it is better supported
 * itself; otherwise it is refused (libtorrent drops every announce at capacity). Ten /24s
 * announcing 2000 made-up info hashes give each 1/200: a torrent announced by a few honest
 * prefixes outweighs hundreds of them. A full torrent list makes room the same way: the
 * prefix with the most entries in it gives one up, and a newcomer from that prefix is refused.
 */
import type { Random } from '../runtime/types.js';
import { prefixKey, sourceKey } from '../util/source-key.js';
import type { NodeId } from './node-id.js';

export interface PeerStoreOptions {
  /** How long an announce lasts, ms. Default 30 minutes. */
  peerTtlMs?: number;
  /** Most info hashes stored. Default 2000. */
  maxInfoHashes?: number;
  /** Most peers per info hash. Default 200. */
  maxPeersPerInfoHash?: number;
  /** Most peers returned in one `values` list. Default 50 (keeps replies under ~1 KB). */
  maxValues?: number;
  /** Most info hashes one IP (IPv6: one /64) is stored under. Default 50 (a client announces each torrent to the 8 closest of millions of nodes: one node sees one or two of its torrents). */
  maxInfoHashesPerIp?: number;
  /** Most entries, over all info hashes, from one /24 (IPv6: one /48). Default 200 (a tenth of the store's torrents, or one torrent's whole list). */
  maxEntriesPerPrefix?: number;
}

export const PEER_STORE_DEFAULTS = {
  peerTtlMs: 30 * 60_000,
  maxInfoHashes: 2000,
  maxPeersPerInfoHash: 200,
  maxValues: 50,
  maxInfoHashesPerIp: 50,
  maxEntriesPerPrefix: 200,
} as const satisfies Required<PeerStoreOptions>;

interface StoredPeer {
  /** Compact peer info (6 or 18 bytes). */
  compact: Uint8Array;
  expires: number;
  seed: boolean;
  /** util/source-key.ts's keys of its address: the IP (IPv6 /64) and the /24 (IPv6 /48). */
  readonly source: string;
  readonly prefix: string;
}

const NO_TORRENTS = new Map<NodeId, Map<string, StoredPeer>>();
/** A full store sweeps expired entries before making room at most this often (ms). */
const SWEEP_EVERY_MS = 1000;
/** Support sums of 1/n compare equal within this. */
const EPSILON = 1e-9;

/** The first `n` bytes of `b` as a map key. */
const keyOf = (b: Uint8Array, n: number): string => String.fromCharCode.apply(null, Array.from(b.subarray(0, n)));
/** A stored peer's address without its port: one entry per IP per torrent. */
const ipKey = (compact: Uint8Array): string => keyOf(compact, compact.length - 2);

function bump(counts: Map<string, number>, key: string, by: number): void {
  const n = (counts.get(key) ?? 0) + by;
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}

export class PeerStore {
  private readonly o: Required<PeerStoreOptions>;
  /** Shared empty map until the first announce (most nodes of a big simulation never get one). */
  private torrents: Map<NodeId, Map<string, StoredPeer>> = NO_TORRENTS;
  /** Stored entries per source (IPv4 address / IPv6 /64) and per prefix (/24, /48). */
  private readonly perSource = new Map<string, number>();
  private readonly perPrefix = new Map<string, number>();
  /** Bumped by every entry stored or dropped: the least supported torrent is known until it moves. */
  private version = 0;
  private least: { version: number; victim: NodeId | undefined; support: number } | undefined;
  /** When a full store last swept out expired entries. */
  private sweptAt = -Infinity;
  /** Walks of every entry to find the least supported torrent (for tests). */
  fullScans = 0;

  constructor(options: PeerStoreOptions = {}) {
    this.o = Object.keys(options).length === 0 ? PEER_STORE_DEFAULTS : { ...PEER_STORE_DEFAULTS, ...options };
  }

  get infoHashCount(): number {
    return this.torrents.size;
  }

  /**
   * Stores (or refreshes) a peer. Returns false when it is not stored: its IP or prefix holds
   * its share already, or the store (the torrent's list) is full and it has no better claim
   * than what is there.
   */
  add(infoHash: NodeId, compact: Uint8Array, seed: boolean, now: number): boolean {
    const key = ipKey(compact);
    const existing = this.torrents.get(infoHash)?.get(key);
    if (existing !== undefined) {
      // The same IP again (another port, too): refreshed in place, counted once.
      if (existing.compact.length !== compact.length || existing.compact.some((b, i) => b !== compact[i])) existing.compact = new Uint8Array(compact);
      existing.expires = now + this.o.peerTtlMs;
      existing.seed = seed;
      return true;
    }
    const source = sourceKey(compact), prefix = prefixKey(compact);
    // No sweep here (a flood at its cap would make each announce a walk of the store): expired
    // entries leave the counts at the node's housekeeping (`expireStores`) or a `get`.
    if ((this.perSource.get(source) ?? 0) >= this.o.maxInfoHashesPerIp || (this.perPrefix.get(prefix) ?? 0) >= this.o.maxEntriesPerPrefix) return false;
    let peers = this.torrents.get(infoHash);
    if (peers === undefined) {
      if (this.torrents.size >= this.o.maxInfoHashes) {
        // A flood of new info hashes at a full store sweeps at most once a second.
        if (now - this.sweptAt >= SWEEP_EVERY_MS) {
          this.sweptAt = now;
          this.expire(now);
        }
        if (this.torrents.size >= this.o.maxInfoHashes && !this.evictTorrent(prefix)) return false;
      }
      peers = new Map();
      if (this.torrents === NO_TORRENTS) this.torrents = new Map();
      this.torrents.set(infoHash, peers);
    } else if (peers.size >= this.o.maxPeersPerInfoHash && !this.makeRoom(peers, prefix, now)) return false;
    peers.set(key, { compact: new Uint8Array(compact), expires: now + this.o.peerTtlMs, seed, source, prefix });
    bump(this.perSource, source, 1);
    bump(this.perPrefix, prefix, 1);
    this.version++;
    return true;
  }

  /** Removes one entry and its counts. */
  private drop(peers: Map<string, StoredPeer>, key: string): void {
    const p = peers.get(key);
    if (p === undefined) return;
    peers.delete(key);
    bump(this.perSource, p.source, -1);
    bump(this.perPrefix, p.prefix, -1);
    this.version++;
  }

  /**
   * Frees a place in a full torrent list for an entry from `prefix`: an expired entry if there
   * is one, else the oldest entry of the prefix holding the most entries in this torrent, unless
   * that is `prefix` itself (or one as large): then false, and the newcomer is not stored.
   */
  private makeRoom(peers: Map<string, StoredPeer>, prefix: string, now: number): boolean {
    const counts = new Map<string, number>();
    for (const [k, p] of peers) {
      if (p.expires <= now) {
        this.drop(peers, k);
        return true;
      }
      counts.set(p.prefix, (counts.get(p.prefix) ?? 0) + 1);
    }
    let largest = 0;
    for (const n of counts.values()) largest = Math.max(largest, n);
    if ((counts.get(prefix) ?? 0) >= largest) return false;
    let victim: string | undefined;
    let oldest = Infinity;
    for (const [k, p] of peers) if (counts.get(p.prefix) === largest && p.expires < oldest) {
      oldest = p.expires;
      victim = k;
    }
    if (victim !== undefined) this.drop(peers, victim);
    return victim !== undefined;
  }

  /** Up to `maxValues` live peers (a random subset when there are more); `noSeeds` leaves seeds out; `size` keeps one family (6: IPv4, 18: IPv6). */
  get(infoHash: NodeId, now: number, random: Random, noSeeds = false, size = 0): Uint8Array[] {
    const peers = this.torrents.get(infoHash);
    if (peers === undefined) return [];
    const live: Uint8Array[] = [];
    for (const [k, p] of peers) {
      if (p.expires <= now) this.drop(peers, k);
      else if (!(noSeeds && p.seed) && (size === 0 || p.compact.length === size)) live.push(p.compact);
    }
    if (peers.size === 0) this.torrents.delete(infoHash);
    const max = this.o.maxValues;
    if (live.length <= max) return live;
    // Partial Fisher-Yates: the first `max` slots become a uniform random subset.
    for (let i = 0; i < max; i++) {
      const j = i + random.int(live.length - i);
      const tmp = live[i];
      live[i] = live[j];
      live[j] = tmp;
    }
    live.length = max;
    return live;
  }

  /** Up to `count` random info hashes that have peers (BEP 51 samples). */
  sample(count: number, random: Random): NodeId[] {
    const all = [...this.torrents.keys()];
    for (let i = 0; i < Math.min(count, all.length); i++) {
      const j = i + random.int(all.length - i);
      const tmp = all[i];
      all[i] = all[j];
      all[j] = tmp;
    }
    return all.slice(0, count);
  }

  /** Drops expired peers and empty torrents. */
  expire(now: number): void {
    for (const [ih, peers] of this.torrents) {
      for (const [k, p] of peers) if (p.expires <= now) this.drop(peers, k);
      if (peers.size === 0) this.torrents.delete(ih);
    }
  }

  /**
   * Frees a torrent's place for a newcomer announced from `prefix`: the torrent with the least
   * support (each prefix's one unit spread over its entries) goes, if it has less than the
   * newcomer would. Finding it walks every entry, once per change of the store: a flood of
   * refused announces changes nothing and walks nothing.
   */
  private evictTorrent(prefix: string): boolean {
    if (this.least?.version !== this.version) {
      this.fullScans++;
      let victim: NodeId | undefined;
      let support = Infinity;
      for (const [ih, peers] of this.torrents) {
        let s = 0;
        for (const p of peers.values()) s += 1 / (this.perPrefix.get(p.prefix) ?? 1);
        if (s < support) {
          support = s;
          victim = ih;
        }
      }
      this.least = { version: this.version, victim, support };
    }
    const { victim, support } = this.least;
    if (victim === undefined || support >= 1 / ((this.perPrefix.get(prefix) ?? 0) + 1) - EPSILON) return false;
    const peers = this.torrents.get(victim) as Map<string, StoredPeer>;
    for (const k of [...peers.keys()]) this.drop(peers, k);
    this.torrents.delete(victim);
    return true;
  }
}
