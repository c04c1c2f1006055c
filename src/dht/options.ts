/** The DHT node's options, defaults and typed events. */
import type { Address } from '../runtime/types.js';
import type { KrpcLimits } from './krpc.js';
import type { ItemStoreOptions } from './items.js';
import type { PeerStoreOptions } from './peer-store.js';
import type { RateLimitOptions } from './rate-limiter.js';
import type { RpcOptions } from './rpc.js';

/** BEP 42 enforcement: accept any id, prefer compliant ids when a bucket is full, or only accept compliant ones. */
export type Bep42Mode = 'off' | 'prefer' | 'require';

export interface DhtNodeOptions {
  /** Our node id (20 bytes). Default: random, and BEP 42 compliant once our external IP is known (see `bep42.adoptCompliantId`). */
  id?: Uint8Array;
  /** Kademlia's k: bucket size and lookup width. Default 8. */
  k?: number;
  /**
   * Contacts in one `nodes` reply when it carries no values. Default 16: twice BEP 5's eight,
   * which keeps lookups exact when many nodes left at once (replies with peers or a BEP 44
   * value carry k, to stay near 1 KB).
   */
  nodesPerReply?: number;
  /** Queries in flight per find_node lookup (bootstrap, refresh). Default 4. */
  alpha?: number;
  /** Queries in flight per get_peers / BEP 44 get lookup: wider, for latency. Default 8. */
  dataAlpha?: number;
  /** Contacts heard about in replies fill a bucket up to this many entries, unverified (0: never). Default k. */
  unverifiedFill?: number;
  /**
   * Unknown queriers are pinged at once (to verify them) while their bucket holds fewer
   * verified nodes than this; past it they are kept unverified until housekeeping pings them.
   * Default 8 (k).
   */
  verifyQueriers?: number;
  /** Bigger far buckets (libtorrent's extended routing table). Default true. */
  extendedBuckets?: boolean;
  /** Nodes to bootstrap from (routers or known nodes; host must be an IP literal). */
  bootstrap?: readonly Address[];
  /** BEP 43: answer no queries and flag ours `ro`. Default false. */
  readOnly?: boolean;
  /** Called with each reply's BEP 42 `ip` field (where `from` saw us, port included); the session's external-address vote. */
  onIpReport?: (from: Address, seen: Address) => void;
  /**
   * An extra admission check on node ids (e.g. S/Kademlia crypto-puzzle ids, ./puzzle.ts):
   * ids it rejects never enter the routing table and are skipped in lookups. Default: none.
   */
  acceptNodeId?: (id: Uint8Array) => boolean;
  bep42?: {
    /** Default 'off'. */
    enforce?: Bep42Mode;
    /** Switch to a compliant id when the vote on our external IP says ours is not. Default: true unless `id` was given. */
    adoptCompliantId?: boolean;
    /** Votes needed to decide our external IP. Default 10. */
    minVotes?: number;
  };
  /** Query timeouts and the pending-query cap. Defaults: soft 500 ms, hard 4000 ms, 1024 pending. */
  rpc?: RpcOptions;
  /**
   * A lookup that waits only on slow queries (soft timeout passed) among its k closest stops
   * waiting for each this long after it went slow, instead of until its hard timeout, ms.
   * Default: twice the soft timeout in use (adaptive; at most 1 s with the default RPC options).
   */
  lookupStallGraceMs?: number;
  /** Per-source query rate limit; `false` turns it off. */
  rateLimit?: RateLimitOptions | false;
  peers?: PeerStoreOptions;
  items?: ItemStoreOptions;
  /** Size limits on incoming messages. */
  krpc?: KrpcLimits;
  /** BEP 51 `interval`, seconds. Default 21600 (6 h). */
  sampleIntervalSec?: number;
  /** A bucket that has not changed for this long is refreshed with a lookup, ms. Default 15 min. */
  refreshIntervalMs?: number;
  /** How often housekeeping runs (refresh, pings, expiry, republishing), ms. Default 60 s. */
  maintenanceIntervalMs?: number;
  /**
   * Staleness repair: each housekeeping tick pings up to this many verified nodes that have
   * been quiet for `livenessQuietMs` (failed once included: a live node behind one lost
   * datagram answers and is handed out again), nearest buckets first (libtorrent sends one refresh
   * query every 5 s to its least recently queried node, biased to near buckets). A departed
   * node is then out of our replies within about two minutes instead of staying in them
   * until a bucket refresh or a lookup happens to ask it. 0 turns it off. Default 12.
   */
  livenessPings?: number;
  /** A verified node quiet for this long is due a liveness ping, ms. Default 60 s. */
  livenessQuietMs?: number;
  /** BEP 44 items we put (and keep) are put again this often, ms. Default 1 hour (items live 2 hours). */
  republishIntervalMs?: number;
  /** After the bootstrap lookup, refresh this many of the farthest buckets that are not full. Default 0 (contacts heard about during the lookup fill them). */
  bootstrapRefreshBuckets?: number;
  /** Top-level `v` in our messages. Default "SH" + version 0.1. */
  client?: Uint8Array;
  /** Source of secret bytes (token secrets). Default: the runtime's random; pass `crypto.randomBytes` on real networks. */
  randomBytes?: (n: number) => Uint8Array;
  /** Typed events. */
  onEvent?: (event: DhtEvent) => void;
  /** Saved state (`DhtNode.saveState()`): our id and nodes to start from. */
  state?: Uint8Array;
  /**
   * The address object a query to an IPv4 contact goes to (`ip` a signed 32-bit number), or
   * undefined for the default, a new `{ host, port }`. The simulator hands back its endpoints'
   * own address objects, which it routes without looking the host string up (a fresh string
   * per query: 4% of a 20,000-node run's CPU with the pending-reply check); the datagrams are the same.
   */
  addressOf?: (ip: number, port: number) => Address | undefined;
}

export const DHT_DEFAULTS = {
  k: 8,
  alpha: 4,
  dataAlpha: 8,
  nodesPerReply: 16,
  verifyQueriers: 8,
  extendedBuckets: true,
  sampleIntervalSec: 21600,
  refreshIntervalMs: 15 * 60_000,
  maintenanceIntervalMs: 60_000,
  livenessPings: 12,
  livenessQuietMs: 60_000,
  bootstrapRefreshBuckets: 0,
} as const;

export const DEFAULT_CLIENT = Uint8Array.of(0x53, 0x48, 0x00, 0x01); // "SH" 0.1

export type DhtEvent =
  /** Bootstrap finished; `nodes` in the routing table. */
  | { readonly type: 'ready'; readonly nodes: number }
  /** No bootstrap node answered and the table is empty. */
  | { readonly type: 'bootstrap-failed' }
  /** BEP 42: the vote on our external IP decided. */
  | { readonly type: 'external-address'; readonly host: string }
  /** Our id changed (BEP 42 compliance). */
  | { readonly type: 'id-changed'; readonly id: Uint8Array }
  /** Someone announced a peer for an info hash to us. */
  | { readonly type: 'announce'; readonly infoHash: Uint8Array; readonly peer: Address }
  /** Someone stored a BEP 44 item with us. */
  | { readonly type: 'item-stored'; readonly target: Uint8Array }
  /** We put one of our kept BEP 44 items again (`superseded`: a newer seq was found, so we stopped keeping it). */
  | { readonly type: 'item-republished'; readonly target: Uint8Array; readonly storedAt: number; readonly superseded: boolean };
