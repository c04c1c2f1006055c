/**
 * Peers announced to us (BEP 5 `announce_peer`), by info hash, with expiry and limits:
 * at most `maxInfoHashes` torrents and `maxPeersPerInfoHash` peers each; a full store drops
 * the entry that would expire first. `get_peers` answers with a random subset.
 */
import type { Random } from '../runtime/types.js';
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
}

export const PEER_STORE_DEFAULTS = {
  peerTtlMs: 30 * 60_000,
  maxInfoHashes: 2000,
  maxPeersPerInfoHash: 200,
  maxValues: 50,
} as const satisfies Required<PeerStoreOptions>;

interface StoredPeer {
  /** Compact peer info (6 or 18 bytes). */
  readonly compact: Uint8Array;
  expires: number;
  seed: boolean;
}

const NO_TORRENTS = new Map<NodeId, Map<string, StoredPeer>>();

export class PeerStore {
  private readonly o: Required<PeerStoreOptions>;
  /** Shared empty map until the first announce (most nodes of a big simulation never get one). */
  private torrents: Map<NodeId, Map<string, StoredPeer>> = NO_TORRENTS;

  constructor(options: PeerStoreOptions = {}) {
    this.o = Object.keys(options).length === 0 ? PEER_STORE_DEFAULTS : { ...PEER_STORE_DEFAULTS, ...options };
  }

  get infoHashCount(): number {
    return this.torrents.size;
  }

  /** Stores (or refreshes) a peer. Returns false when the store is full and nothing could be dropped. */
  add(infoHash: NodeId, compact: Uint8Array, seed: boolean, now: number): boolean {
    let peers = this.torrents.get(infoHash);
    if (peers === undefined) {
      if (this.torrents.size >= this.o.maxInfoHashes) {
        this.expire(now);
        if (this.torrents.size >= this.o.maxInfoHashes && !this.evictTorrent()) return false;
      }
      peers = new Map();
      if (this.torrents === NO_TORRENTS) this.torrents = new Map();
      this.torrents.set(infoHash, peers);
    }
    const key = String.fromCharCode.apply(null, Array.from(compact));
    const existing = peers.get(key);
    if (existing !== undefined) {
      existing.expires = now + this.o.peerTtlMs;
      existing.seed = seed;
      return true;
    }
    if (peers.size >= this.o.maxPeersPerInfoHash) {
      let oldestKey: string | undefined;
      let oldest = Infinity;
      for (const [k, p] of peers) if (p.expires < oldest) {
        oldest = p.expires;
        oldestKey = k;
      }
      if (oldestKey !== undefined) peers.delete(oldestKey);
    }
    peers.set(key, { compact: new Uint8Array(compact), expires: now + this.o.peerTtlMs, seed });
    return true;
  }

  /** Up to `maxValues` live peers (a random subset when there are more); `noSeeds` leaves seeds out; `size` keeps one family (6: IPv4, 18: IPv6). */
  get(infoHash: NodeId, now: number, random: Random, noSeeds = false, size = 0): Uint8Array[] {
    const peers = this.torrents.get(infoHash);
    if (peers === undefined) return [];
    const live: Uint8Array[] = [];
    for (const [k, p] of peers) {
      if (p.expires <= now) peers.delete(k);
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
      for (const [k, p] of peers) if (p.expires <= now) peers.delete(k);
      if (peers.size === 0) this.torrents.delete(ih);
    }
  }

  private evictTorrent(): boolean {
    // The torrent with the fewest peers goes first.
    let victim: NodeId | undefined;
    let fewest = Infinity;
    for (const [ih, peers] of this.torrents) if (peers.size < fewest) {
      fewest = peers.size;
      victim = ih;
    }
    if (victim === undefined) return false;
    this.torrents.delete(victim);
    return true;
  }
}
