/**
 * BEP 44 lookups: `get` traverses toward the target and keeps the best valid item seen
 * (immutable: SHA-1 of the value must be the target; mutable: SHA-1(k + salt) must be the
 * target and the signature must verify; the highest `seq` wins). `put` first runs a `get`
 * (for write tokens, and for mutable items the current `seq`), then sends `put` to the
 * closest nodes that gave a token.
 */
import type { Contact } from './compact.js';
import { KrpcRemoteError } from './errors.js';
import { immutableTarget, mutableTarget, signItem, verifyItem } from './items.js';
import type { LookupHost, LookupStats } from './lookups.js';
import { startTraversal } from './lookups.js';
import type { NodeId } from './node-id.js';
import type { Ed25519KeyPair } from './ed25519.js';

export interface FoundItem {
  /** The bencoded value. */
  readonly v: Uint8Array;
  /** Mutable items: public key, sequence number, signature. */
  readonly k?: Uint8Array;
  readonly seq?: bigint;
  readonly sig?: Uint8Array;
}

interface ItemReply {
  readonly token?: Uint8Array;
  readonly item?: FoundItem;
  /** A `seq` without a value (the node has seq <= the one we asked about). */
  readonly seq?: bigint;
}

export interface GetItemResult {
  readonly target: NodeId;
  /** The best valid item found, if any. */
  readonly item?: FoundItem;
  /** Nodes that answered with the item (at its best seq). */
  readonly copies: number;
  readonly tokens: readonly { readonly contact: Contact; readonly token: Uint8Array }[];
  readonly stats: LookupStats;
}

export interface GetItemOptions {
  /** Mutable items: the salt the target was made with (needed to check the signature). */
  readonly salt?: Uint8Array;
  /** Only want items with a higher seq than this. */
  readonly seq?: bigint;
}

export function getItemLookup(host: LookupHost, target: NodeId, opts: GetItemOptions, onDone: (r: GetItemResult) => void): { cancel(): void } {
  const started = host.now();
  let best: FoundItem | undefined;
  let copies = 0;
  const valid = (r: ItemReply['item']): r is FoundItem => {
    if (r === undefined) return false;
    if (r.k === undefined) return immutableTarget(r.v) === target;
    if (r.sig === undefined || r.seq === undefined) return false;
    return mutableTarget(r.k, opts.salt) === target && verifyItem(r.k, r.sig, r.v, r.seq, opts.salt);
  };
  const t = startTraversal<ItemReply>(host, target, { q: 'get', target, seq: opts.seq }, (m) => ({
    token: m.token,
    seq: m.seq === undefined ? undefined : BigInt(m.seq),
    // Copies: plain Uint8Arrays that do not keep the datagram's (pooled) buffer alive.
    item: m.v === undefined ? undefined : {
      v: new Uint8Array(m.v), k: m.k && new Uint8Array(m.k), seq: m.seq === undefined ? undefined : BigInt(m.seq), sig: m.sig && new Uint8Array(m.sig),
    },
  }), {
    alpha: host.dataAlpha,
    onReply: (c) => {
      const it = c.reply?.item;
      if (!valid(it)) return;
      if (best === undefined || (it.seq !== undefined && best.seq !== undefined && it.seq > best.seq)) {
        best = it;
        copies = 1;
      } else if (it.seq === best.seq) copies++;
    },
    onDone: (r) => {
      const tokens: { contact: Contact; token: Uint8Array }[] = [];
      for (const c of r.closest) if (c.reply?.token !== undefined) tokens.push({ contact: c.contact, token: c.reply.token });
      onDone({
        target, item: best, copies, tokens,
        stats: { queried: r.queried, responded: r.responded, failed: r.failed, hops: r.hops, durationMs: host.now() - started },
      });
    },
  });
  return { cancel: () => t.cancel() };
}

/** What is put: the value and, for mutable items, everything but the token. */
export interface PutItem {
  readonly v: Uint8Array;
  readonly k?: Uint8Array;
  readonly seq?: bigint;
  readonly sig?: Uint8Array;
  readonly salt?: Uint8Array;
  readonly cas?: bigint;
}

export interface PutResult {
  readonly target: NodeId;
  /** What was put (signed, for mutable items): enough to put it again unchanged. */
  readonly item: PutItem;
  /** The seq that was stored (mutable items). */
  readonly seq?: bigint;
  /** Nodes that stored it. */
  readonly storedAt: number;
  /** KRPC errors from nodes that refused it. */
  readonly errors: readonly KrpcRemoteError[];
  readonly stats: LookupStats;
}

function sendPuts(host: LookupHost, target: NodeId, item: PutItem, get: GetItemResult, onDone: (r: PutResult) => void): void {
  let pending = get.tokens.length;
  let storedAt = 0;
  const errors: KrpcRemoteError[] = [];
  const done = (): void => onDone({ target, item, seq: item.seq, storedAt, errors, stats: get.stats });
  if (pending === 0) {
    done();
    return;
  }
  const settle = (): void => {
    if (--pending === 0) done();
  };
  for (const { contact, token } of get.tokens) {
    host.queryNode(contact, { q: 'put', token, v: item.v, k: item.k, seq: item.seq, sig: item.sig, salt: item.salt, cas: item.cas }, {
      response: () => {
        storedAt++;
        settle();
      },
      error: (m) => {
        errors.push(new KrpcRemoteError(m.code, m.message));
        settle();
      },
      timeout: settle,
    });
  }
}

/** Stores an immutable item (the bencoded value `v`). */
export function putImmutableLookup(host: LookupHost, v: Uint8Array, onDone: (r: PutResult) => void): { cancel(): void } {
  const target = immutableTarget(v);
  return getItemLookup(host, target, {}, (get) => sendPuts(host, target, { v }, get, onDone));
}

export interface PutMutableOptions {
  readonly keyPair: Ed25519KeyPair;
  /** The bencoded value. */
  readonly v: Uint8Array;
  readonly salt?: Uint8Array;
  /** Sequence number; default: one more than the highest found, or 1. */
  readonly seq?: bigint;
  /** Compare-and-swap: only replace this seq (default: the seq found, when one was found and `seq` was not given). */
  readonly cas?: bigint;
}

/** Stores a mutable item signed with `keyPair`. */
export function putMutableLookup(host: LookupHost, o: PutMutableOptions, onDone: (r: PutResult) => void): { cancel(): void } {
  const salt = o.salt !== undefined && o.salt.length > 0 ? o.salt : undefined;
  const target = mutableTarget(o.keyPair.publicKey, salt);
  return getItemLookup(host, target, { salt }, (get) => {
    const found = get.item?.seq;
    const seq = o.seq ?? (found !== undefined ? found + 1n : 1n);
    const cas = o.cas ?? (o.seq === undefined ? found : undefined);
    const sig = signItem(o.keyPair.seed, o.v, seq, salt);
    sendPuts(host, target, { v: o.v, k: o.keyPair.publicKey, seq, sig, salt, cas }, get, onDone);
  });
}

export interface RepublishResult extends PutResult {
  /** The network holds a newer seq of this mutable item than ours: it was not put. */
  readonly superseded: boolean;
}

/**
 * Puts an item again exactly as it was put before (BEP 44 items expire two hours after
 * their last put): a get for fresh write tokens, then the same value, seq and signature,
 * unless the network already holds a newer seq.
 */
export function republishLookup(host: LookupHost, target: NodeId, item: PutItem, onDone: (r: RepublishResult) => void): { cancel(): void } {
  const again: PutItem = { v: item.v, k: item.k, seq: item.seq, sig: item.sig, salt: item.salt };
  return getItemLookup(host, target, { salt: item.salt }, (get) => {
    const found = get.item?.seq;
    if (found !== undefined && item.seq !== undefined && found > item.seq) {
      onDone({ target, item, seq: item.seq, storedAt: 0, errors: [], stats: get.stats, superseded: true });
      return;
    }
    sendPuts(host, target, again, get, (r) => onDone({ ...r, superseded: false }));
  });
}
