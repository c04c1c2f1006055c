/**
 * KRPC (BEP 5): the DHT's bencoded messages over UDP, decoded into typed values with limits.
 * A codec leaf: it imports only bencode and the compact encodings, and is fuzzed on its own
 * (test/fuzz/krpc.fuzz.test.ts). Extensions read here: BEP 32 (`nodes6`, `want`), BEP 42
 * (top-level `ip`), BEP 43 (`ro`), BEP 44 (`get` / `put`), BEP 51 (`sample_infohashes`).
 *
 *   query:    {"t": <tid>, "y": "q", "q": <method>, "a": {"id": <20 bytes>, ...}, ["ro": 1], ["v": <client>]}
 *   response: {"t": <tid>, "y": "r", "r": {"id": <20 bytes>, ...}, ["ip": <compact peer>]}
 *   error:    {"t": <tid>, "y": "e", "e": [<code>, <message>]}
 */
import type { Address } from '../runtime/types.js';
import { KrpcDecodeError } from './errors.js';
import { KrpcReader, type Fields } from './krpc-reader.js';
import { decodeNodes, decodePeer, ipFromBytes, type Contact, type Family } from './compact.js';
import { ID_BYTES, idFromBytes, type NodeId } from './node-id.js';

/** BEP 5 error codes, plus BEP 44's. */
export const KRPC_ERROR = {
  generic: 201,
  server: 202,
  protocol: 203,
  methodUnknown: 204,
  messageTooBig: 205,
  invalidSignature: 206,
  saltTooBig: 207,
  casMismatch: 301,
  seqTooLow: 302,
} as const;

export interface KrpcLimits {
  /** Largest datagram decoded, bytes. BEP 32 asks nodes to send at most 1024; BEP 44 puts run larger. */
  maxMessageBytes?: number;
  /** Deepest nesting (a BEP 44 value may nest). */
  maxDepth?: number;
  /** Most entries read from `values`. */
  maxValues?: number;
  /** Most contacts read from `nodes` (and from `nodes6`). */
  maxNodes?: number;
  /** Longest transaction id accepted, bytes. */
  maxTransactionIdBytes?: number;
}

export const KRPC_LIMITS = {
  maxMessageBytes: 2048,
  maxDepth: 16,
  maxValues: 200,
  maxNodes: 32,
  maxTransactionIdBytes: 16,
} as const satisfies Required<KrpcLimits>;

interface Common {
  /** Transaction id, echoed in the reply. */
  readonly t: Uint8Array;
  /** Top-level `v`: the sender's client version, if given. */
  readonly client?: Uint8Array;
  /** BEP 42 top-level `ip`: the address the sender saw us at. */
  readonly ip?: Address;
}

interface QueryCommon extends Common {
  readonly kind: 'query';
  readonly id: NodeId;
  /** BEP 43: the sender is read-only (do not add it to the routing table). */
  readonly ro: boolean;
  /** BEP 32 `want`: which families' nodes to return (empty: the one the query came over). */
  readonly want: readonly Family[];
}

export type KrpcQuery =
  | (QueryCommon & { readonly q: 'ping' })
  | (QueryCommon & { readonly q: 'find_node'; readonly target: NodeId })
  | (QueryCommon & { readonly q: 'get_peers'; readonly infoHash: NodeId; readonly noseed: boolean })
  | (QueryCommon & {
      readonly q: 'announce_peer'; readonly infoHash: NodeId; readonly port: number;
      readonly impliedPort: boolean; readonly token: Uint8Array; readonly seed: boolean;
    })
  | (QueryCommon & { readonly q: 'get'; readonly target: NodeId; readonly seq?: number | bigint })
  | (QueryCommon & { readonly q: 'put'; readonly token: Uint8Array; readonly item: PutArgs })
  | (QueryCommon & { readonly q: 'sample_infohashes'; readonly target: NodeId })
  /** A method we do not know: answered like find_node when it carries a target (libtorrent's forward compatibility), else error 204. */
  | (QueryCommon & { readonly q: 'unknown'; readonly method: string; readonly target?: NodeId });

/** The item of a BEP 44 `put`, as received. `v` is the bencoded value; `canonical` false means the message was not canonical bencode. */
export interface PutArgs {
  readonly v: Uint8Array;
  readonly canonical: boolean;
  readonly k?: Uint8Array;
  readonly seq?: number | bigint;
  readonly sig?: Uint8Array;
  readonly salt?: Uint8Array;
  readonly cas?: number | bigint;
}

export interface KrpcResponse extends Common {
  readonly kind: 'response';
  readonly id: NodeId;
  readonly nodes?: Contact[];
  readonly nodes6?: Contact[];
  readonly values?: Address[];
  readonly token?: Uint8Array;
  /** BEP 44: the bencoded value (only from a canonical message). */
  readonly v?: Uint8Array;
  readonly k?: Uint8Array;
  readonly seq?: number | bigint;
  readonly sig?: Uint8Array;
  /** BEP 51. */
  readonly samples?: NodeId[];
  readonly num?: number;
  readonly interval?: number;
}

export interface KrpcErrorReply extends Common {
  readonly kind: 'error';
  readonly code: number;
  readonly message: string;
}

export type KrpcMessage = KrpcQuery | KrpcResponse | KrpcErrorReply;

const reader = new KrpcReader();

/** The last client version seen (the top-level `v`), shared by the messages that carry the same one: most carry one of a few. */
let lastClient: Uint8Array = new Uint8Array(0);

/**
 * Decodes one datagram. Throws `KrpcDecodeError` (with the transaction id when readable).
 * The message holds no view into `data`: ids are strings, `t`, `token` and `client` are
 * copies (a view would keep the datagram, or the pool slab it was cut from, alive), and
 * only BEP 44's and BEP 51's rarer fields are views.
 */
export function decodeKrpc(data: Uint8Array, limits: KrpcLimits = {}): KrpcMessage {
  const maxBytes = limits.maxMessageBytes ?? KRPC_LIMITS.maxMessageBytes;
  if (data.length > maxBytes) throw new KrpcDecodeError(`message of ${data.length} bytes is over the limit (${maxBytes})`);
  const f = reader.read(data, limits.maxDepth ?? KRPC_LIMITS.maxDepth, limits.maxValues ?? KRPC_LIMITS.maxValues);
  if (f.tS < 0) throw new KrpcDecodeError("missing transaction id 't'");
  const t = copy(data, f.tS, f.tE);
  const maxT = limits.maxTransactionIdBytes ?? KRPC_LIMITS.maxTransactionIdBytes;
  if (t.length > maxT) throw new KrpcDecodeError(`transaction id longer than ${maxT} bytes`);
  const ip = f.ipS < 0 ? undefined : peerAt(data, f.ipS, f.ipE);
  const client = f.clientS < 0 ? undefined : clientAt(data, f.clientS, f.clientE);
  if (f.y === 0x71 /* q */) return decodeQuery(f, data, t, ip, client);
  if (f.y === 0x72 /* r */) return decodeResponse(f, data, t, ip, client, limits.maxNodes ?? KRPC_LIMITS.maxNodes);
  if (f.y === 0x65 /* e */) {
    return {
      kind: 'error', t, client, ip, code: f.errCode,
      message: f.errMessage === undefined ? '' : Buffer.from(f.errMessage.subarray(0, 200)).toString('utf8'),
    };
  }
  throw new KrpcDecodeError("'y' must be 'q', 'r' or 'e'", t);
}

/** A copy of `b[s, e)` as a plain `Uint8Array` (a `subarray` of a `Buffer` is a `Buffer` view, more to allocate and it pins the datagram). */
function copy(b: Uint8Array, s: number, e: number): Uint8Array {
  const out = new Uint8Array(e - s);
  for (let i = s; i < e; i++) out[i - s] = b[i];
  return out;
}

function clientAt(b: Uint8Array, s: number, e: number): Uint8Array {
  const last = lastClient;
  if (last.length === e - s) {
    let same = true;
    for (let i = s; i < e; i++) if (b[i] !== last[i - s]) {
      same = false;
      break;
    }
    if (same) return last;
  }
  return (lastClient = copy(b, s, e));
}

/** A compact peer (BEP 42 `ip`) at `b[s, e)`, as `decodePeer` reads it. */
function peerAt(b: Uint8Array, s: number, e: number): Address | undefined {
  const len = e - s;
  if (len !== 6 && len !== 18) return undefined;
  const port = (b[e - 2] << 8) | b[e - 1];
  if (port === 0) return undefined;
  return { host: ipFromBytes(b, s, len === 6 ? 4 : 6), port };
}

/** The 20-byte id at `b[s, e)` as a `NodeId`; a range of another length is a decode error. */
function idAt(b: Uint8Array, s: number, e: number, key: string, t: Uint8Array): NodeId {
  if (s < 0 || e - s !== ID_BYTES) throw new KrpcDecodeError(`'${key}' must be ${ID_BYTES} bytes`, t);
  return String.fromCharCode(b[s], b[s + 1], b[s + 2], b[s + 3], b[s + 4], b[s + 5], b[s + 6], b[s + 7], b[s + 8], b[s + 9],
    b[s + 10], b[s + 11], b[s + 12], b[s + 13], b[s + 14], b[s + 15], b[s + 16], b[s + 17], b[s + 18], b[s + 19]);
}

function decodeQuery(f: Fields, b: Uint8Array, t: Uint8Array, ip: Address | undefined, c: Uint8Array | undefined): KrpcQuery {
  if (f.qS < 0 || f.qE - f.qS > 64) throw new KrpcDecodeError("query without method 'q'", t);
  if (!f.hasA) throw new KrpcDecodeError("query without arguments 'a'", t);
  const id = idAt(b, f.idS, f.idE, 'id', t);
  const want: Family[] = f.want === 0 ? NO_WANT : f.want === 1 ? WANT4 : f.want === 2 ? WANT6 : WANT46;
  const method = methodName(b, f.qS, f.qE);
  const ro = f.ro;
  switch (method) {
    case 'ping':
      return { kind: 'query', t, client: c, ip, id, ro, want, q: 'ping' };
    case 'find_node':
      return { kind: 'query', t, client: c, ip, id, ro, want, q: 'find_node', target: idAt(b, f.targetS, f.targetE, 'target', t) };
    case 'get_peers':
      return { kind: 'query', t, client: c, ip, id, ro, want, q: 'get_peers', infoHash: idAt(b, f.infoHashS, f.infoHashE, 'info_hash', t), noseed: f.noseed };
    case 'announce_peer': {
      const port = f.port;
      if (!f.impliedPort && (typeof port !== 'number' || port < 1 || port > 65535)) throw new KrpcDecodeError("announce_peer needs a 'port' in 1-65535", t);
      if (f.tokenS < 0) throw new KrpcDecodeError("'token' must be a byte string", t);
      return {
        kind: 'query', t, client: c, ip, id, ro, want, q: 'announce_peer', infoHash: idAt(b, f.infoHashS, f.infoHashE, 'info_hash', t),
        port: typeof port === 'number' && port >= 1 && port <= 65535 ? port : 0, impliedPort: f.impliedPort, token: copy(b, f.tokenS, f.tokenE), seed: f.seed,
      };
    }
    case 'get':
      return { kind: 'query', t, client: c, ip, id, ro, want, q: 'get', target: idAt(b, f.targetS, f.targetE, 'target', t), seq: f.seq };
    case 'put': {
      if (f.v === undefined) throw new KrpcDecodeError("put without value 'v'", t);
      if (f.tokenS < 0) throw new KrpcDecodeError("'token' must be a byte string", t);
      const item: PutArgs = { v: f.v, canonical: f.canonical, k: f.k, seq: f.seq, sig: f.sig, salt: f.salt, cas: f.cas };
      return { kind: 'query', t, client: c, ip, id, ro, want, q: 'put', token: copy(b, f.tokenS, f.tokenE), item };
    }
    case 'sample_infohashes':
      return { kind: 'query', t, client: c, ip, id, ro, want, q: 'sample_infohashes', target: idAt(b, f.targetS, f.targetE, 'target', t) };
    default: {
      const [ts, te] = f.targetS >= 0 ? [f.targetS, f.targetE] : [f.infoHashS, f.infoHashE];
      const target = ts >= 0 && te - ts === ID_BYTES ? idAt(b, ts, te, 'target', t) : undefined;
      return { kind: 'query', t, client: c, ip, id, ro, want, q: 'unknown', method, target };
    }
  }
}

function decodeResponse(f: Fields, b: Uint8Array, t: Uint8Array, ip: Address | undefined, client: Uint8Array | undefined, maxNodes: number): KrpcResponse {
  if (!f.hasR) throw new KrpcDecodeError("response without 'r'", t);
  let values: Address[] | undefined;
  if (f.values !== undefined) {
    values = [];
    for (const v of f.values) {
      const peer = decodePeer(v);
      if (peer !== undefined) values.push(peer);
    }
  }
  let samples: NodeId[] | undefined;
  if (f.samples !== undefined) {
    if (f.samples.length % ID_BYTES !== 0) throw new KrpcDecodeError("'samples' must be a multiple of 20 bytes", t);
    samples = [];
    for (let o = 0; o < f.samples.length; o += ID_BYTES) samples.push(idFromBytes(f.samples.subarray(o, o + ID_BYTES)));
  }
  return {
    kind: 'response', t, client, ip, id: idAt(b, f.idS, f.idE, 'id', t),
    nodes: f.nodesS < 0 ? undefined : decodeNodes(b, 4, maxNodes, f.nodesS, f.nodesE),
    nodes6: f.nodes6S < 0 ? undefined : decodeNodes(b, 6, maxNodes, f.nodes6S, f.nodes6E),
    // A copy: lookups keep tokens until they announce.
    values, token: f.tokenS < 0 ? undefined : copy(b, f.tokenS, f.tokenE),
    v: f.v !== undefined && f.canonical ? f.v : undefined,
    k: f.k, seq: f.seq, sig: f.sig, samples,
    num: typeof f.num === 'number' ? f.num : undefined, interval: typeof f.interval === 'number' ? f.interval : undefined,
  };
}

const NO_WANT: Family[] = [];
const WANT4: Family[] = [4];
const WANT6: Family[] = [6];
const WANT46: Family[] = [4, 6];

const METHODS = ['ping', 'find_node', 'get_peers', 'announce_peer', 'get', 'put', 'sample_infohashes'];

function methodName(b: Uint8Array, s: number, e: number): string {
  for (const m of METHODS) {
    if (m.length !== e - s) continue;
    let same = true;
    for (let i = 0; i < m.length; i++) if (b[s + i] !== m.charCodeAt(i)) {
      same = false;
      break;
    }
    if (same) return m;
  }
  return Buffer.from(b.subarray(s, e)).toString('latin1');
}
