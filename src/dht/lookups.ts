/**
 * Lookups built on the traversal: find_node, get_peers and announce (BEP 5). Each one is the
 * same iterative traversal with a different query and a different use of the answers.
 * Callback style, so the simulator can run thousands without promises; `Dht` (./dht.ts)
 * wraps them in promises for applications.
 */
import type { Address, Random } from '../runtime/types.js';
import { addressKey, type Contact, type Family } from './compact.js';
import type { KrpcResponse } from './krpc.js';
import type { QuerySpec } from './krpc-encode.js';
import type { QueryHandler } from './rpc.js';
import { Traversal, type Candidate, type QueryCallbacks, type TraversalResult } from './traversal.js';
import type { NodeId } from './node-id.js';

/** What lookups need from the node. */
export interface LookupHost {
  readonly nodeId: NodeId;
  readonly k: number;
  /** Queries in flight for find_node (bootstrap, refresh). */
  readonly alpha: number;
  /** Queries in flight for lookups that fetch data (get_peers, BEP 44 get). */
  readonly dataAlpha: number;
  readonly family: Family;
  readonly random: Random;
  seeds(target: NodeId): Contact[];
  queryNode(c: Contact, spec: QuerySpec, handler: QueryHandler): void;
  acceptContact(c: Contact): boolean;
  /** A contact named in a reply (the routing table may keep it, unverified). */
  heardAbout?(c: Contact): void;
  now(): number;
  /** Arms a timer (a lookup's stall grace). Without it a stalled lookup waits for the hard timeouts. */
  setTimer?(ms: number, fn: () => void): { cancel(): void };
  /** How long after a query went slow a lookup waiting only on slow queries stops waiting for it, ms. */
  lookupStallGraceMs?(): number;
}

export interface LookupStats {
  readonly queried: number;
  readonly responded: number;
  readonly failed: number;
  /** Hop at which the closest answering node was reached. */
  readonly hops: number;
  /** Virtual or real ms from start to end. */
  readonly durationMs: number;
}

export interface FindNodeResult {
  /** The k closest nodes that answered, closest first. */
  readonly closest: readonly Contact[];
  readonly stats: LookupStats;
}

/** A get_peers answer as the traversal keeps it. */
export interface PeersReply {
  readonly token?: Uint8Array;
  readonly values?: readonly Address[];
}

export interface GetPeersResult extends FindNodeResult {
  /** Every distinct peer found. */
  readonly peers: readonly Address[];
  /** When and at which hop the first peers arrived (undefined when none did). */
  readonly firstPeers?: { readonly ms: number; readonly hop: number };
  /** The closest nodes with the write tokens they gave (for announce_peer). */
  readonly tokens: readonly { readonly contact: Contact; readonly token: Uint8Array }[];
}

export interface AnnounceResult extends GetPeersResult {
  /** Nodes that acknowledged our announce_peer. */
  readonly announcedTo: number;
}

/** Starts a traversal whose queries are `spec` and whose answers are `extract`ed. */
export function startTraversal<R>(
  host: LookupHost,
  target: NodeId,
  spec: QuerySpec,
  extract: (msg: KrpcResponse) => R,
  hooks: { seeds?: readonly Contact[]; alpha?: number; aggressive?: boolean; onReply?: (c: Candidate<R>) => void; onDone: (r: TraversalResult<R>) => void },
): Traversal<R> {
  const fam = host.family;
  // One timer at a time: for the first slow query among the k closest to pass its grace.
  let grace: { cancel(): void } | undefined;
  const armGrace = (earliestSlowAt: number): void => {
    if (grace !== undefined || host.setTimer === undefined) return;
    const graceMs = host.lookupStallGraceMs?.() ?? 1000;
    const wait = Math.max(0, earliestSlowAt + graceMs - host.now());
    grace = host.setTimer(wait, () => {
      grace = undefined;
      // At least the one the timer was for (float rounding must not re-arm it at no delay).
      t.giveUpSlow(Math.max(earliestSlowAt, host.now() - graceMs));
    });
  };
  const t = new Traversal<R>({
    target,
    seeds: hooks.seeds ?? host.seeds(target),
    k: host.k,
    alpha: hooks.alpha ?? host.alpha,
    now: () => host.now(),
    aggressive: hooks.aggressive,
    acceptContact: (c) => {
      if (!host.acceptContact(c)) return false;
      host.heardAbout?.(c);
      return true;
    },
    query: (contact, cb) => host.queryNode(contact, spec, new LookupQuery(contact.id, cb, fam, extract)),
    onReply: hooks.onReply,
    onStalled: armGrace,
    onDone: (r) => {
      grace?.cancel();
      grace = undefined;
      hooks.onDone(r);
    },
  });
  t.start();
  return t;
}

const NO_CONTACTS: readonly Contact[] = [];

/** A traversal's query as KRPC sees it: one object per query (methods, not closures). */
class LookupQuery<R> implements QueryHandler {
  constructor(
    private readonly id: NodeId,
    private readonly cb: QueryCallbacks<R>,
    private readonly family: Family,
    private readonly extract: (msg: KrpcResponse) => R,
  ) {}

  response(msg: KrpcResponse): void {
    // An answer from a different id at that address is not trusted.
    if (msg.id !== this.id) this.cb.fail();
    else this.cb.reply(this.extract(msg), (this.family === 4 ? msg.nodes : msg.nodes6) ?? NO_CONTACTS);
  }

  error(): void {
    this.cb.fail();
  }

  timeout(): void {
    this.cb.fail();
  }

  slow(): void {
    this.cb.slow();
  }
}

function statsOf(r: TraversalResult<unknown>, started: number, now: number): LookupStats {
  return { queried: r.queried, responded: r.responded, failed: r.failed, hops: r.hops, durationMs: now - started };
}

const nothing = (): undefined => undefined;

export function findNodeLookup(host: LookupHost, target: NodeId, onDone: (r: FindNodeResult) => void, seeds?: readonly Contact[]): Traversal<undefined> {
  const started = host.now();
  // Joins and refreshes: traffic matters more than speed, so not aggressive.
  return startTraversal(host, target, { q: 'find_node', target }, nothing, {
    seeds,
    aggressive: false,
    onDone: (r) => onDone({ closest: r.closest.map((c) => c.contact), stats: statsOf(r, started, host.now()) }),
  });
}

export interface GetPeersCallbacks {
  /** New peers as they arrive (each peer once). */
  onPeers?: (peers: readonly Address[], from: Contact, hop: number) => void;
  onDone: (r: GetPeersResult) => void;
}

export function getPeersLookup(host: LookupHost, infoHash: NodeId, cb: GetPeersCallbacks): Traversal<PeersReply> {
  const started = host.now();
  const seen = new Set<string>();
  const peers: Address[] = [];
  let firstPeers: { ms: number; hop: number } | undefined;
  return startTraversal<PeersReply>(host, infoHash, { q: 'get_peers', infoHash }, (m) => ({ token: m.token, values: m.values }), {
    alpha: host.dataAlpha,
    onReply: (c) => {
      const values = c.reply?.values;
      if (values === undefined || values.length === 0) return;
      const fresh: Address[] = [];
      for (const v of values) {
        const key = addressKey(v);
        if (seen.has(key)) continue;
        seen.add(key);
        fresh.push(v);
        peers.push(v);
      }
      if (fresh.length === 0) return;
      firstPeers ??= { ms: host.now() - started, hop: c.hop };
      cb.onPeers?.(fresh, c.contact, c.hop);
    },
    onDone: (r) => {
      const tokens: { contact: Contact; token: Uint8Array }[] = [];
      for (const c of r.closest) if (c.reply?.token !== undefined) tokens.push({ contact: c.contact, token: c.reply.token });
      cb.onDone({ closest: r.closest.map((c) => c.contact), stats: statsOf(r, started, host.now()), peers, firstPeers, tokens });
    },
  });
}

export interface AnnounceOptions {
  /** Our listening port; ignored with `impliedPort`. */
  readonly port: number;
  /** BEP 5 implied_port: use the UDP source port instead of `port`. Default false. */
  readonly impliedPort?: boolean;
  /** BEP 33 seed flag. */
  readonly seed?: boolean;
}

/** A get_peers lookup, then announce_peer to the closest nodes that gave a token. */
export function announceLookup(
  host: LookupHost, infoHash: NodeId, opts: AnnounceOptions,
  cb: { onPeers?: GetPeersCallbacks['onPeers']; onDone: (r: AnnounceResult) => void },
): { cancel(): void } {
  let cancelled = false;
  const t = getPeersLookup(host, infoHash, {
    onPeers: cb.onPeers,
    onDone: (r) => {
      if (cancelled) return;
      let pending = r.tokens.length;
      let acked = 0;
      if (pending === 0) {
        cb.onDone({ ...r, announcedTo: 0 });
        return;
      }
      const settle = (ok: boolean): void => {
        if (ok) acked++;
        if (--pending === 0) cb.onDone({ ...r, announcedTo: acked });
      };
      for (const { contact, token } of r.tokens) {
        host.queryNode(contact, { q: 'announce_peer', infoHash, port: opts.port, impliedPort: opts.impliedPort ?? false, token, seed: opts.seed }, {
          response: () => settle(true),
          error: () => settle(false),
          timeout: () => settle(false),
        });
      }
    },
  });
  return {
    cancel: () => {
      cancelled = true;
      t.cancel();
    },
  };
}
