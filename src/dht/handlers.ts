/**
 * Answers to incoming queries, one handler per KRPC method (BEP 5, 32, 44, 51). A handler
 * states the few things it needs through `ServerContext` and returns a response body or
 * a KRPC error; the node encodes and sends it.
 */
import type { Address, Random } from '../runtime/types.js';
import { encodePeer, type Contact, type Family } from './compact.js';
import { KRPC_ERROR, type KrpcQuery } from './krpc.js';
import type { ResponseSpec } from './krpc-encode.js';
import { ItemStore } from './items.js';
import type { PeerStore } from './peer-store.js';
import type { TokenManager } from './tokens.js';
import { idToBytes, type NodeId } from './node-id.js';
import { sourceKey } from '../util/source-key.js';

/** BEP 51: most samples in one reply (20 x 20 bytes keeps the reply near 1 KB with nodes). */
export const MAX_SAMPLES = 20;

export interface ServerContext {
  readonly family: Family;
  readonly random: Random;
  readonly peers: PeerStore;
  readonly items: ItemStore;
  readonly tokens: TokenManager;
  /** BEP 51 `interval`, seconds. */
  readonly sampleIntervalSec: number;
  now(): number;
  /** Our closest known nodes of `family` to `target`, for `nodes` / `nodes6` (`count` defaults to the node's reply size), as contacts or compact node info; undefined when we have no table of that family. */
  closestIn(family: Family, target: NodeId, count?: number): readonly Contact[] | Uint8Array | undefined;
  readonly k: number;
  /** Someone announced a peer to us / stored an item with us. */
  announced(infoHash: NodeId, peer: Address): void;
  stored(target: NodeId): void;
}

export type Answer = { readonly ok: ResponseSpec } | { readonly error: readonly [number, string] };

type Handler<Q extends KrpcQuery> = (ctx: ServerContext, q: Q, from: Address) => Answer;
type QueryOf<M extends KrpcQuery['q']> = Extract<KrpcQuery, { q: M }>;

/** The family a query came over, as a `want` list (one shared array each, not one a reply). */
const ONLY_4: readonly Family[] = [4];
const ONLY_6: readonly Family[] = [6];

/**
 * `nodes` and/or `nodes6` as the requester wants (BEP 32: `want` n4 / n6; without it, the
 * family the query came over). A dual-stack node answers the other family from its other table.
 */
function withNodes(ctx: ServerContext, target: NodeId, want: readonly Family[], spec: ResponseSpec): ResponseSpec {
  const full = spec.values !== undefined || spec.v !== undefined || spec.samples !== undefined;
  const count = full ? ctx.k : undefined;
  let out = spec;
  for (const fam of want.length === 0 ? (ctx.family === 4 ? ONLY_4 : ONLY_6) : want) {
    const nodes = ctx.closestIn(fam, target, count);
    if (nodes !== undefined) out = fam === 4 ? { ...out, nodes } : { ...out, nodes6: nodes };
  }
  return out;
}

/** Every ping gets the same answer: one shared object (the encoder only reads it). */
const PING_ANSWER: Answer = Object.freeze({ ok: Object.freeze({}) });

const ping: Handler<QueryOf<'ping'>> = () => PING_ANSWER;

const findNode: Handler<QueryOf<'find_node'>> = (ctx, q) => ({ ok: withNodes(ctx, q.target, q.want, {}) });

const getPeers: Handler<QueryOf<'get_peers'>> = (ctx, q, from) => {
  const now = ctx.now();
  const token = ctx.tokens.make(from.host, q.infoHash, now);
  // BEP 32: peers of the family the query came over (6-byte or 18-byte compact peers).
  const values = ctx.peers.get(q.infoHash, now, ctx.random, q.noseed, ctx.family === 4 ? 6 : 18);
  // Nodes always come along: they keep the requester's lookup going toward the closest nodes.
  return { ok: withNodes(ctx, q.infoHash, q.want, values.length > 0 ? { token, values } : { token }) };
};

const announcePeer: Handler<QueryOf<'announce_peer'>> = (ctx, q, from) => {
  const now = ctx.now();
  if (!ctx.tokens.check(q.token, from.host, q.infoHash, now)) return { error: [KRPC_ERROR.protocol, 'bad token'] };
  const peer = { host: from.host, port: q.impliedPort ? from.port : q.port };
  const compact = encodePeer(peer);
  if (compact === undefined) return { error: [KRPC_ERROR.protocol, 'bad address'] };
  if (ctx.peers.add(q.infoHash, compact, q.seed, now)) ctx.announced(q.infoHash, peer);
  return { ok: {} };
};

const get: Handler<QueryOf<'get'>> = (ctx, q, from) => {
  const now = ctx.now();
  const token = ctx.tokens.make(from.host, q.target, now);
  const item = ctx.items.get(q.target, now);
  let spec: ResponseSpec = { token };
  if (item !== undefined) {
    if (item.k === undefined) spec = { token, v: item.v };
    else if (q.seq !== undefined && item.seq !== undefined && BigInt(q.seq) >= item.seq) spec = { token, seq: item.seq };
    else spec = { token, k: item.k, seq: item.seq, sig: item.sig, v: item.v };
  }
  return { ok: withNodes(ctx, q.target, q.want, spec) };
};

const put: Handler<QueryOf<'put'>> = (ctx, q, from) => {
  const it = q.item;
  if (!it.canonical) return { error: [KRPC_ERROR.protocol, 'invalid bencoding in put'] };
  const now = ctx.now();
  const target = ItemStore.targetOf(it);
  if (!ctx.tokens.check(q.token, from.host, target, now)) return { error: [KRPC_ERROR.protocol, 'bad token'] };
  const refusal = ctx.items.put(it, now, sourceKey(from.host));
  if (refusal !== undefined) return { error: [refusal.code, refusal.message] };
  ctx.stored(target);
  return { ok: {} };
};

const sampleInfohashes: Handler<QueryOf<'sample_infohashes'>> = (ctx, q) => {
  const sample = ctx.peers.sample(MAX_SAMPLES, ctx.random);
  const samples = new Uint8Array(sample.length * 20);
  sample.forEach((ih, i) => samples.set(idToBytes(ih), i * 20));
  return { ok: withNodes(ctx, q.target, q.want, { interval: ctx.sampleIntervalSec, num: ctx.peers.infoHashCount, samples }) };
};

const unknown: Handler<QueryOf<'unknown'>> = (ctx, q) => {
  if (q.target === undefined) return { error: [KRPC_ERROR.methodUnknown, 'Method Unknown'] };
  return { ok: withNodes(ctx, q.target, q.want, {}) };
};

const HANDLERS: { readonly [M in KrpcQuery['q']]: Handler<QueryOf<M>> } = {
  ping,
  find_node: findNode,
  get_peers: getPeers,
  announce_peer: announcePeer,
  get,
  put,
  sample_infohashes: sampleInfohashes,
  unknown,
};

export function answerQuery(ctx: ServerContext, q: KrpcQuery, from: Address): Answer {
  return (HANDLERS[q.q] as Handler<KrpcQuery>)(ctx, q, from);
}
