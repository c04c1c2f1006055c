/**
 * BEP 10 extension protocol: the extended handshake (extended message id 0) and the mapping
 * of extension names to message ids.
 *
 * Frame: <len=2+n><id=20><extended_id=0><bencoded dict:n>
 * The dict's `m` maps extension names to the ids the *sender* wants to receive them under;
 * 0 disables one. Later handshakes update `m` additively. Unknown keys are ignored, and so
 * are known keys of the wrong type (as libtorrent does), so odd clients still interoperate.
 */
import { isBytes, isDict } from '../bencode/access.js';
import { BencodeError, decode } from '../bencode/decode.js';
import { encode } from '../bencode/encode.js';
import { keyText, textKey, type BDict, type BValue, type Encodable } from '../bencode/types.js';
import { copyBytes } from '../util/bytes.js';
import { PeerProtocolError } from './errors.js';

export const EXTENDED_HANDSHAKE_ID = 0;

/** Extension names this layer implements. */
export const UT_METADATA = 'ut_metadata'; // BEP 9
export const UT_PEX = 'ut_pex'; // BEP 11

/** The ids we ask peers to use when sending to us (libtorrent's numbering). */
export const DEFAULT_LOCAL_EXTENSIONS: ReadonlyMap<string, number> = new Map([
  [UT_PEX, 1],
  [UT_METADATA, 2],
]);

export interface ExtendedHandshake {
  /** Extension name -> id (0 = disabled). */
  readonly m: ReadonlyMap<string, number>;
  /** Client name and version. */
  readonly v?: string;
  /** The sender's TCP listen port. */
  readonly p?: number;
  /** How the sender sees the receiver's IP: 4 or 16 bytes. */
  readonly yourip?: Uint8Array;
  readonly ipv4?: Uint8Array;
  readonly ipv6?: Uint8Array;
  /** Requests the sender queues without dropping (libtorrent: 250). */
  readonly reqq?: number;
  /** BEP 9: size of the info dict in bytes. */
  readonly metadataSize?: number;
  /** BEP 21: the sender only uploads (a seed or partial seed). */
  readonly uploadOnly?: boolean;
  /** Every key as decoded (unknown ones included), for extensions built above this layer. */
  readonly raw?: BDict;
}

export interface ExtendedHandshakeLimits {
  /** Largest handshake payload accepted (default 64 KiB; libtorrent sends a few hundred bytes). */
  maxHandshakeSize?: number;
  /** Most entries of `m` kept (default 128); the rest are ignored. */
  maxExtensions?: number;
  /** Longest extension name and `v` kept, in bytes (default 256). */
  maxNameLength?: number;
}

export const EXTENDED_HANDSHAKE_LIMITS: Required<ExtendedHandshakeLimits> = {
  maxHandshakeSize: 64 * 1024,
  maxExtensions: 128,
  maxNameLength: 256,
};

/**
 * The last few handshakes encoded without `yourip` (their fields, `m` copied) and their bytes,
 * most recent first. A swarm sends every peer the same handshake but for `yourip` (how we see
 * that peer, BEP 10), and most of its peers send it one of a few bodies (a leecher's, a seed's
 * with `upload_only`), which are checked by encoding them again: the rest is encoded once
 * and `yourip` appended, the same bytes as a full encode.
 */
const BODY_CACHE_SIZE = 4;
const bodies: { readonly h: ExtendedHandshake; readonly bytes: Uint8Array }[] = [];

function sameBody(a: ExtendedHandshake, b: ExtendedHandshake): boolean {
  if (a.v !== b.v || a.p !== b.p || a.reqq !== b.reqq || a.metadataSize !== b.metadataSize || a.uploadOnly !== b.uploadOnly || a.m.size !== b.m.size) return false;
  for (const [name, id] of b.m) if (a.m.get(name) !== id) return false;
  return true;
}

function bodyOf(h: ExtendedHandshake): Uint8Array {
  for (let i = 0; i < bodies.length; i++) {
    const b = bodies[i];
    if (!sameBody(b.h, h)) continue;
    if (i > 0) {
      bodies.splice(i, 1);
      bodies.unshift(b);
    }
    return b.bytes;
  }
  const body = { ...h, m: new Map(h.m), yourip: undefined };
  const made = { h: body, bytes: encodeAll(body) };
  bodies.unshift(made);
  if (bodies.length > BODY_CACHE_SIZE) bodies.pop();
  return made.bytes;
}

export function encodeExtendedHandshake(h: ExtendedHandshake): Uint8Array {
  // Only the fields a swarm sends (no raw keys, no ipv4/ipv6): then `yourip` sorts after every
  // other key (m, metadata_size, p, reqq, upload_only, v) and is the dict's last entry.
  const ip = h.yourip;
  if (ip === undefined || h.raw !== undefined || h.ipv4 !== undefined || h.ipv6 !== undefined) return encodeAll(h);
  const body = bodyOf(h);
  const len = String(ip.length);
  const out = new Uint8Array(body.length + 8 + len.length + 1 + ip.length);
  out.set(body.subarray(0, body.length - 1)); // without its closing 'e'
  let at = body.length - 1;
  for (const c of `6:yourip${len}:`) out[at++] = c.charCodeAt(0);
  out.set(ip, at);
  out[out.length - 1] = 0x65; // 'e'
  return out;
}

function encodeAll(h: ExtendedHandshake): Uint8Array {
  const m = new Map<string, Encodable>();
  for (const [name, id] of h.m) {
    if (!Number.isInteger(id) || id < 0 || id > 255) throw new RangeError(`extension id for ${name} must be 0..255, got ${id}`);
    m.set(textKey(name), id);
  }
  const out = new Map<string, Encodable | undefined>(h.raw ? [...h.raw] : []);
  out.set('m', m);
  out.set('v', h.v);
  out.set('p', h.p);
  out.set('yourip', h.yourip);
  out.set('ipv4', h.ipv4);
  out.set('ipv6', h.ipv6);
  out.set('reqq', h.reqq);
  out.set('metadata_size', h.metadataSize);
  out.set('upload_only', h.uploadOnly === undefined ? undefined : h.uploadOnly ? 1 : 0);
  return encode(out);
}

const utf8 = new TextDecoder('utf-8');

/**
 * Most of a swarm's peers send the same `m`: one map per content is kept (a connection held
 * two, its peer's handshake's and its registry's, ~430 bytes of a connection end at 300
 * peers). The maps are never written after they are made. A remote peer picks the content,
 * so the table is bounded: when full it is emptied (maps handed out stay valid).
 */
export const EXTENSION_MAP_CACHE_LIMIT = 64;
const sharedMaps = new Map<string, ReadonlyMap<string, number>>();

function sharedMap(m: Map<string, number>): ReadonlyMap<string, number> {
  let key = '';
  for (const [name, id] of m) key += `${name.length}:${name}${id};`;
  const known = sharedMaps.get(key);
  if (known !== undefined) return known;
  if (sharedMaps.size >= EXTENSION_MAP_CACHE_LIMIT) sharedMaps.clear();
  sharedMaps.set(key, m);
  return m;
}

/** Bytes of payload a decoded handshake keeps for `raw` (0 when its fields encode to it; for tests). */
export function keptPayloadBytes(h: ExtendedHandshake): number {
  return h instanceof ReceivedExtendedHandshake ? h.payloadBytes : 0;
}

/** Maps interned now (for tests). */
export function sharedExtensionMaps(): number {
  return sharedMaps.size;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function uint(v: BValue | undefined, max = Number.MAX_SAFE_INTEGER): number | undefined {
  return typeof v === 'number' && v >= 0 && v <= max ? v : undefined;
}

/** How an extended handshake is decoded: lenient on key order (several clients write unsorted dicts), nested at most 16 deep. */
const HANDSHAKE_DECODE = { strict: false, maxDepth: 16 } as const;

/**
 * Decodes an extended handshake payload. Throws `PeerProtocolError`
 * ('bad_extension_message') when it is not a bencoded dict or is over the size limit.
 */
export function decodeExtendedHandshake(payload: Uint8Array, limits?: ExtendedHandshakeLimits): ExtendedHandshake {
  const o = { ...EXTENDED_HANDSHAKE_LIMITS, ...limits };
  if (payload.length > o.maxHandshakeSize) {
    throw new PeerProtocolError('bad_extension_message', `extended handshake of ${payload.length} bytes is over the limit of ${o.maxHandshakeSize}`);
  }
  let d: BValue;
  try {
    // Views into `payload`, not
    // copies: what is kept (`yourip`, `ipv4`, `ipv6`) is copied below, and `raw` is decoded
    // again from a copy of the payload when asked for. A connection keeps its peer's handshake
    // for its lifetime; the decoded dict with its maps and copies was ~850 bytes of that.
    d = decode(payload, { ...HANDSHAKE_DECODE, copy: false });
  } catch (e) {
    if (e instanceof BencodeError) throw new PeerProtocolError('bad_extension_message', `extended handshake: ${e.message}`, { cause: e });
    throw e;
  }
  if (!isDict(d)) throw new PeerProtocolError('bad_extension_message', 'extended handshake is not a dictionary');
  const m = new Map<string, number>();
  const md = d.get('m');
  if (isDict(md)) {
    for (const [key, id] of md) {
      if (m.size >= o.maxExtensions) break;
      if (key.length > o.maxNameLength) continue;
      const n = uint(id, 255);
      if (n !== undefined) m.set(keyText(key), n);
    }
  }
  const v = d.get('v');
  const yourip = d.get('yourip');
  const ipv4 = d.get('ipv4');
  const ipv6 = d.get('ipv6');
  const uploadOnly = uint(d.get('upload_only'));
  const fields: ExtendedHandshake = {
    m: sharedMap(m),
    v: isBytes(v) && v.length <= o.maxNameLength ? utf8.decode(v) : undefined,
    p: uint(d.get('p'), 65535),
    yourip: isBytes(yourip) && (yourip.length === 4 || yourip.length === 16) ? copyBytes(yourip) : undefined,
    ipv4: isBytes(ipv4) && ipv4.length === 4 ? copyBytes(ipv4) : undefined,
    ipv6: isBytes(ipv6) && ipv6.length === 16 ? copyBytes(ipv6) : undefined,
    reqq: uint(d.get('reqq')),
    metadataSize: uint(d.get('metadata_size')),
    uploadOnly: uploadOnly === undefined ? undefined : uploadOnly !== 0,
  };
  // When the fields encode back to the very payload (every key known and kept, canonical
  // order: what Shoal and most clients send), `raw` is decoded from that encoding when asked
  // for, and the payload is not kept (~320 bytes a connection end). Otherwise a copy is kept:
  // copyBytes, not slice(): a Buffer's slice() is a view of what may be a reused receive buffer.
  // encodeExtendedHandshake: most peers of a swarm send the same body but for `yourip`, encoded once.
  return new ReceivedExtendedHandshake(fields, sameBytes(encodeExtendedHandshake(fields), payload) ? undefined : copyBytes(payload));
}

/**
 * A peer's extended handshake as decoded: its fields, and `raw` decoded again from a copy of
 * the payload when first read (a class, so every connection's copy has the same fast shape).
 */
class ReceivedExtendedHandshake implements ExtendedHandshake {
  readonly m: ReadonlyMap<string, number>;
  readonly v: string | undefined;
  readonly p: number | undefined;
  readonly yourip: Uint8Array | undefined;
  readonly ipv4: Uint8Array | undefined;
  readonly ipv6: Uint8Array | undefined;
  readonly reqq: number | undefined;
  readonly metadataSize: number | undefined;
  readonly uploadOnly: boolean | undefined;
  private decoded: BDict | undefined = undefined;

  /** `payload`: the bytes `raw` is decoded from, or undefined when the fields encode to them. */
  constructor(f: ExtendedHandshake, private readonly payload: Uint8Array | undefined) {
    this.m = f.m;
    this.v = f.v;
    this.p = f.p;
    this.yourip = f.yourip;
    this.ipv4 = f.ipv4;
    this.ipv6 = f.ipv6;
    this.reqq = f.reqq;
    this.metadataSize = f.metadataSize;
    this.uploadOnly = f.uploadOnly;
  }

  get payloadBytes(): number {
    return this.payload?.length ?? 0;
  }

  get raw(): BDict {
    if (this.decoded !== undefined) return this.decoded;
    const bytes = this.payload ?? encodeAll({
      m: this.m, v: this.v, p: this.p, yourip: this.yourip, ipv4: this.ipv4, ipv6: this.ipv6,
      reqq: this.reqq, metadataSize: this.metadataSize, uploadOnly: this.uploadOnly,
    });
    return (this.decoded = decode(bytes, { ...HANDSHAKE_DECODE, copy: true }) as BDict);
  }
}

/**
 * The id -> name view of a local map, checked, made once per map: every connection of a
 * client shares the same local map, and a swarm holds thousands of connections.
 */
const idsByLocalMap = new WeakMap<ReadonlyMap<string, number>, ReadonlyMap<number, string>>();
function idsOf(local: ReadonlyMap<string, number>): ReadonlyMap<number, string> {
  let byId = idsByLocalMap.get(local);
  if (byId) return byId;
  const made = new Map<number, string>();
  for (const [name, id] of local) {
    if (!Number.isInteger(id) || id < 1 || id > 255) throw new RangeError(`local extension id for ${name} must be 1..255, got ${id}`);
    if (made.has(id)) throw new RangeError(`local extension id ${id} used twice`);
    made.set(id, name);
  }
  idsByLocalMap.set(local, (byId = made));
  return byId;
}

const NO_EXTENSIONS: ReadonlyMap<string, number> = new Map();

function hasZero(m: ReadonlyMap<string, number>): boolean {
  for (const id of m.values()) if (id === 0) return true;
  return false;
}

/**
 * Extension names <-> message ids for one connection. Incoming extended messages carry *our*
 * ids (those we put in our handshake's `m`); outgoing ones must carry the *peer's* ids.
 */
export class ExtensionRegistry {
  private readonly localByName: ReadonlyMap<string, number>;
  private readonly localById: ReadonlyMap<number, string>;
  /** The peer's ids: its first handshake's `m` itself (shared, never written), copied when a later one changes it. */
  private remote: ReadonlyMap<string, number> = NO_EXTENSIONS;

  /** `local`: the extensions we support and the ids we want them under (1..255, distinct). */
  constructor(local: ReadonlyMap<string, number> = DEFAULT_LOCAL_EXTENSIONS) {
    this.localById = idsOf(local);
    this.localByName = local;
  }

  /** The `m` dict for our handshake. */
  get localMap(): ReadonlyMap<string, number> {
    return this.localByName;
  }

  /** Which extension an incoming extended message id names, if any. */
  localName(id: number): string | undefined {
    return this.localById.get(id);
  }

  localId(name: string): number | undefined {
    return this.localByName.get(name);
  }

  /** Applies a peer's handshake `m` (additive; 0 disables). */
  applyRemote(m: ReadonlyMap<string, number>): void {
    if (this.remote === NO_EXTENSIONS && !hasZero(m)) {
      this.remote = m;
      return;
    }
    const next = new Map(this.remote);
    for (const [name, id] of m) {
      if (id === 0) next.delete(name);
      else next.set(name, id);
    }
    this.remote = next;
  }

  /** The id to send `name` under, or undefined when the peer does not support it. */
  remoteId(name: string): number | undefined {
    return this.remote.get(name);
  }

  /** Whether both sides support `name`. */
  supports(name: string): boolean {
    return this.remote.has(name) && this.localByName.has(name);
  }
}
