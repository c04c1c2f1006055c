/**
 * BEP 44 items: immutable ones stored under SHA-1 of their bencoded value, mutable ones
 * under SHA-1(public key + salt), signed over "4:salt<len>:<salt>3:seqi<seq>e1:v<value>"
 * (the salt part only when the salt is not empty). The store keeps at most `maxItems`
 * items for `itemTtlMs` each and checks everything BEP 44 asks of a storing node.
 */
import { createHash } from 'node:crypto';
import { KRPC_ERROR } from './krpc.js';
import { ed25519Sign, ed25519Verify } from './ed25519.js';
import { idFromBytes, type NodeId } from './node-id.js';

export const MAX_VALUE_BYTES = 1000;
export const MAX_SALT_BYTES = 64;
const MAX_SEQ = (1n << 63n) - 1n;

export interface StoredItem {
  /** Bencoded value. */
  readonly v: Uint8Array;
  /** Mutable items only. */
  readonly k?: Uint8Array;
  readonly seq?: bigint;
  readonly sig?: Uint8Array;
  readonly salt?: Uint8Array;
  refreshed: number;
  /** Who stored it (`sourceKey` of the putter's IP), counted against `maxItemsPerSource`. */
  source?: string;
}

export function sha1(...parts: Uint8Array[]): Uint8Array {
  const h = createHash('sha1');
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

export function immutableTarget(v: Uint8Array): NodeId {
  return idFromBytes(sha1(v));
}

export function mutableTarget(k: Uint8Array, salt?: Uint8Array): NodeId {
  return idFromBytes(salt !== undefined && salt.length > 0 ? sha1(k, salt) : sha1(k));
}

/** The bytes a mutable item's signature covers. */
export function signedBytes(v: Uint8Array, seq: number | bigint, salt?: Uint8Array): Uint8Array {
  const head = salt !== undefined && salt.length > 0
    ? Buffer.concat([Buffer.from(`4:salt${salt.length}:`), salt, Buffer.from(`3:seqi${seq}e1:v`)])
    : Buffer.from(`3:seqi${seq}e1:v`);
  return Buffer.concat([head, v]);
}

export function signItem(seed: Uint8Array, v: Uint8Array, seq: number | bigint, salt?: Uint8Array): Uint8Array {
  return ed25519Sign(seed, signedBytes(v, seq, salt));
}

export function verifyItem(k: Uint8Array, sig: Uint8Array, v: Uint8Array, seq: number | bigint, salt?: Uint8Array): boolean {
  return ed25519Verify(k, signedBytes(v, seq, salt), sig);
}

export interface ItemStoreOptions {
  /** Most items stored. Default 700 (libtorrent's default). */
  maxItems?: number;
  /** How long an item lives without a new put, ms. Default 2 hours. */
  itemTtlMs?: number;
  /**
   * Most items one source (an IPv4 address, an IPv6 /64) holds; its next put replaces its own
   * least recently refreshed one. Default: a tenth of `maxItems` (70), so one address with
   * tokens cannot evict what everyone else stored.
   */
  maxItemsPerSource?: number;
}

export const ITEM_STORE_DEFAULTS = { maxItems: 700, itemTtlMs: 2 * 3600_000 } as const satisfies Omit<Required<ItemStoreOptions>, 'maxItemsPerSource'>;

export interface PutRequest {
  readonly v: Uint8Array;
  readonly k?: Uint8Array;
  readonly seq?: number | bigint;
  readonly sig?: Uint8Array;
  readonly salt?: Uint8Array;
  readonly cas?: number | bigint;
}

/** Why a put was refused: a KRPC error code and message. */
export interface PutRefusal {
  readonly code: number;
  readonly message: string;
}

const NO_ITEMS = new Map<NodeId, StoredItem>();

export class ItemStore {
  private readonly o: Omit<Required<ItemStoreOptions>, 'maxItemsPerSource'>;
  private readonly maxPerSource: number;
  /** Shared empty map until the first item (most nodes of a big simulation never store one). */
  private items: Map<NodeId, StoredItem> = NO_ITEMS;
  /** Items held per source; made with the first counted put. */
  private perSource: Map<string, number> | undefined;

  constructor(options: ItemStoreOptions = {}) {
    this.o = Object.keys(options).length === 0 ? ITEM_STORE_DEFAULTS : { ...ITEM_STORE_DEFAULTS, ...options };
    this.maxPerSource = options.maxItemsPerSource ?? Math.max(1, Math.floor(this.o.maxItems / 10));
  }

  get size(): number {
    return this.items.size;
  }

  get(target: NodeId, now: number): StoredItem | undefined {
    const it = this.items.get(target);
    if (it !== undefined && now - it.refreshed > this.o.itemTtlMs) {
      this.remove(target, it);
      return undefined;
    }
    return it;
  }

  /** Drops the items whose last put is older than the item lifetime. */
  expire(now: number): void {
    for (const [t, it] of this.items) if (now - it.refreshed > this.o.itemTtlMs) this.remove(t, it);
  }

  has(target: NodeId, now: number): boolean {
    return this.get(target, now) !== undefined;
  }

  /** The target a put request addresses (SHA-1 of the value, or of key + salt). */
  static targetOf(req: PutRequest): NodeId {
    return req.k !== undefined ? mutableTarget(req.k, req.salt) : immutableTarget(req.v);
  }

  /** Validates and stores a put from `source` (`sourceKey` of its IP; undefined: not counted). Returns a refusal, or undefined when stored. */
  put(req: PutRequest, now: number, source?: string): PutRefusal | undefined {
    if (req.v.length > MAX_VALUE_BYTES) return { code: KRPC_ERROR.messageTooBig, message: 'message (v field) too big' };
    if (req.k === undefined) {
      const target = immutableTarget(req.v);
      const existing = this.items.get(target);
      if (existing !== undefined) existing.refreshed = now;
      else this.insert(target, { v: new Uint8Array(req.v), refreshed: now, source }, now);
      return undefined;
    }
    if (req.salt !== undefined && req.salt.length > MAX_SALT_BYTES) return { code: KRPC_ERROR.saltTooBig, message: 'salt (salt field) too big' };
    if (req.k.length !== 32 || req.sig === undefined || req.sig.length !== 64 || req.seq === undefined) {
      return { code: KRPC_ERROR.protocol, message: 'mutable put needs k (32 bytes), sig (64 bytes) and seq' };
    }
    const seq = BigInt(req.seq);
    if (seq < 0n || seq > MAX_SEQ) return { code: KRPC_ERROR.protocol, message: 'seq out of range' };
    if (!verifyItem(req.k, req.sig, req.v, seq, req.salt)) return { code: KRPC_ERROR.invalidSignature, message: 'invalid signature' };
    const target = mutableTarget(req.k, req.salt);
    const existing = this.get(target, now);
    if (existing !== undefined && existing.seq !== undefined) {
      if (req.cas !== undefined && BigInt(req.cas) !== existing.seq) return { code: KRPC_ERROR.casMismatch, message: 'the CAS mismatched, re-read value and try again' };
      if (seq < existing.seq) return { code: KRPC_ERROR.seqTooLow, message: 'sequence number less than current' };
      if (seq === existing.seq) {
        if (!sameBytes(existing.v, req.v)) return { code: KRPC_ERROR.seqTooLow, message: 'sequence number not newer than current' };
        existing.refreshed = now;
        return undefined;
      }
    }
    const item: StoredItem = {
      v: new Uint8Array(req.v), k: new Uint8Array(req.k), seq, sig: new Uint8Array(req.sig),
      salt: req.salt !== undefined && req.salt.length > 0 ? new Uint8Array(req.salt) : undefined, refreshed: now, source,
    };
    this.insert(target, item, now);
    return undefined;
  }

  private insert(target: NodeId, item: StoredItem, now: number): void {
    const previous = this.items.get(target);
    if (previous !== undefined) this.remove(target, previous);
    const source = item.source;
    if (source !== undefined && (this.perSource?.get(source) ?? 0) >= this.maxPerSource) {
      // At its cap the source replaces its own oldest item, never someone else's.
      this.removeOldest((it) => it.source === source);
    }
    if (this.items.size >= this.o.maxItems) {
      for (const [t, it] of this.items) if (now - it.refreshed > this.o.itemTtlMs) this.remove(t, it);
      if (this.items.size >= this.o.maxItems) this.removeOldest(() => true);
    }
    if (this.items === NO_ITEMS) this.items = new Map();
    this.items.set(target, item);
    if (source !== undefined) (this.perSource ??= new Map()).set(source, (this.perSource.get(source) ?? 0) + 1);
  }

  /** Drops the least recently refreshed item that `which` accepts. */
  private removeOldest(which: (it: StoredItem) => boolean): void {
    let victim: NodeId | undefined;
    let oldest = Infinity;
    for (const [t, it] of this.items) if (it.refreshed < oldest && which(it)) {
      oldest = it.refreshed;
      victim = t;
    }
    if (victim !== undefined) this.remove(victim, this.items.get(victim)!);
  }

  private remove(target: NodeId, it: StoredItem): void {
    this.items.delete(target);
    const source = it.source;
    if (source === undefined || this.perSource === undefined) return;
    const n = (this.perSource.get(source) ?? 1) - 1;
    if (n <= 0) this.perSource.delete(source);
    else this.perSource.set(source, n);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
