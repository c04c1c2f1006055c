/**
 * KRPC encoders (BEP 5 and extensions). Messages have fixed key sets, so each encoder
 * writes its keys in sorted byte order by hand instead of sorting at run time; the unit
 * tests decode every message strictly, which rejects unsorted keys.
 */
import type { BencodeWriter as Writer } from '../bencode/writer.js';
import type { Address } from '../runtime/types.js';
import { encodedNodesLength, encodeNodesInto, encodePeer, parseIPv4, type Contact, type Family } from './compact.js';
import type { NodeId } from './node-id.js';
import { KrpcPoolWriter } from './krpc-pool-writer.js';

/** One writer for every message: encoding is synchronous, and each message is written straight into a pool slab. */
const shared = new KrpcPoolWriter();

/** Settings that go into every outgoing message of a node. */
export interface EnvelopeOptions {
  /** BEP 43: mark our queries read-only. */
  readonly readOnly?: boolean;
  /** Our client version, top-level `v` (4 bytes by convention). */
  readonly client?: Uint8Array;
}

/** The arguments of an outgoing query (`a`), by method. Keys are written in sorted order. */
export type QuerySpec =
  | { readonly q: 'ping' }
  | { readonly q: 'find_node'; readonly target: NodeId; readonly want?: readonly ('n4' | 'n6')[] }
  | { readonly q: 'get_peers'; readonly infoHash: NodeId; readonly want?: readonly ('n4' | 'n6')[] }
  | {
      readonly q: 'announce_peer'; readonly infoHash: NodeId; readonly port: number;
      readonly impliedPort: boolean; readonly token: Uint8Array; readonly seed?: boolean;
    }
  | { readonly q: 'get'; readonly target: NodeId; readonly seq?: number | bigint }
  | {
      readonly q: 'put'; readonly token: Uint8Array; readonly v: Uint8Array; readonly k?: Uint8Array;
      readonly seq?: number | bigint; readonly sig?: Uint8Array; readonly salt?: Uint8Array; readonly cas?: number | bigint;
    }
  | { readonly q: 'sample_infohashes'; readonly target: NodeId };

/** A query; `t` is the transaction id, as bytes or as a 16-bit number (written as two bytes, big-endian). */
export function encodeQuery(t: Uint8Array | number, id: NodeId, spec: QuerySpec, env: EnvelopeOptions = {}): Uint8Array {
  const w = shared.reset();
  w.ascii('d1:ad');
  switch (spec.q) {
    case 'ping':
      w.str('id'); w.str(id);
      break;
    case 'find_node':
      w.str('id'); w.str(id);
      w.str('target'); w.str(spec.target);
      writeWant(w, spec.want);
      break;
    case 'get_peers':
      w.str('id'); w.str(id);
      w.str('info_hash'); w.str(spec.infoHash);
      writeWant(w, spec.want);
      break;
    case 'announce_peer':
      w.str('id'); w.str(id);
      w.str('implied_port'); w.int(spec.impliedPort ? 1 : 0);
      w.str('info_hash'); w.str(spec.infoHash);
      w.str('port'); w.int(spec.port);
      if (spec.seed) {
        w.str('seed'); w.int(1);
      }
      w.str('token'); w.bytes(spec.token);
      break;
    case 'get':
      w.str('id'); w.str(id);
      if (spec.seq !== undefined) {
        w.str('seq'); w.int(spec.seq);
      }
      w.str('target'); w.str(spec.target);
      break;
    case 'put':
      if (spec.cas !== undefined) {
        w.str('cas'); w.int(spec.cas);
      }
      w.str('id'); w.str(id);
      if (spec.k !== undefined) {
        w.str('k'); w.bytes(spec.k);
      }
      if (spec.salt !== undefined && spec.salt.length > 0) {
        w.str('salt'); w.bytes(spec.salt);
      }
      if (spec.seq !== undefined) {
        w.str('seq'); w.int(spec.seq);
      }
      if (spec.sig !== undefined) {
        w.str('sig'); w.bytes(spec.sig);
      }
      w.str('token'); w.bytes(spec.token);
      w.str('v'); w.raw(spec.v);
      break;
    case 'sample_infohashes':
      w.str('id'); w.str(id);
      w.str('target'); w.str(spec.target);
      break;
  }
  w.ascii('e1:q');
  w.str(spec.q);
  if (env.readOnly) w.ascii('2:roi1e');
  w.ascii('1:t');
  if (typeof t === 'number') {
    w.ascii('2:');
    w.ensure(2);
    w.buf[w.len++] = (t >>> 8) & 0xff;
    w.buf[w.len++] = t & 0xff;
  } else w.bytes(t);
  if (env.client !== undefined) {
    w.ascii('1:v');
    w.bytes(env.client);
  }
  w.ascii('1:y1:qe');
  return w.done();
}

/** A reply's `t`: the usual two bytes written by hand (`bytes` calls `TypedArray.prototype.set`, a builtin call for two bytes). */
function writeTransactionId(w: Writer, t: Uint8Array): void {
  if (t.length !== 2) {
    w.bytes(t);
    return;
  }
  w.ascii('2:');
  w.ensure(2);
  w.buf[w.len++] = t[0];
  w.buf[w.len++] = t[1];
}

/**
 * BEP 42's top-level `ip`: the requester's address as a compact peer. IPv4 is written
 * straight into the writer (every response carries it; two small arrays each before).
 */
function writeRequesterIp(w: Writer, a: Address): void {
  const v4 = parseIPv4(a.host);
  if (v4 < 0 || !(Number.isInteger(a.port) && a.port >= 0 && a.port < 65536)) {
    const ip = encodePeer(a);
    if (ip !== undefined) {
      w.ascii('2:ip');
      w.bytes(ip);
    }
    return;
  }
  w.ascii('2:ip6:');
  w.ensure(6);
  const b = w.buf;
  b[w.len++] = v4 >>> 24;
  b[w.len++] = (v4 >>> 16) & 0xff;
  b[w.len++] = (v4 >>> 8) & 0xff;
  b[w.len++] = v4 & 0xff;
  b[w.len++] = a.port >>> 8;
  b[w.len++] = a.port & 0xff;
}

/** Compact node info as a byte string, encoded straight into the writer (no temporary array); given as bytes, written as they are. */
function writeNodes(w: Writer, contacts: readonly Contact[] | Uint8Array, family: Family): void {
  if (contacts instanceof Uint8Array) {
    w.bytes(contacts);
    return;
  }
  const n = encodedNodesLength(contacts, family);
  w.decimal(n);
  w.ensure(n + 1);
  w.buf[w.len++] = 58; // ':'
  w.len = encodeNodesInto(contacts, family, w.buf, w.len);
}

function writeWant(w: Writer, want: readonly ('n4' | 'n6')[] | undefined): void {
  if (want === undefined || want.length === 0) return;
  w.str('want');
  w.ascii('l');
  for (const x of want) w.str(x);
  w.ascii('e');
}

/** The body of a response (`r`). Everything but `id` is optional. */
export interface ResponseSpec {
  readonly interval?: number;
  readonly k?: Uint8Array;
  /** Contacts, or compact node info already encoded (BEP 5: 26 bytes a node; BEP 32 `nodes6`: 38). */
  readonly nodes?: readonly Contact[] | Uint8Array;
  readonly nodes6?: readonly Contact[] | Uint8Array;
  readonly num?: number;
  /** Concatenated 20-byte info hashes (BEP 51). */
  readonly samples?: Uint8Array;
  readonly seq?: number | bigint;
  readonly sig?: Uint8Array;
  readonly token?: Uint8Array;
  /** Bencoded value (BEP 44). */
  readonly v?: Uint8Array;
  /** Compact peers. */
  readonly values?: readonly Uint8Array[];
}

/** A response; `requester` (when given) goes into the top-level BEP 42 `ip` field. */
export function encodeResponse(t: Uint8Array, id: NodeId, spec: ResponseSpec, requester?: Address, env: EnvelopeOptions = {}): Uint8Array {
  const w = shared.reset();
  w.ascii('d');
  if (requester !== undefined) writeRequesterIp(w, requester);
  w.ascii('1:rd');
  w.str('id'); w.str(id);
  if (spec.interval !== undefined) {
    w.str('interval'); w.int(spec.interval);
  }
  if (spec.k !== undefined) {
    w.str('k'); w.bytes(spec.k);
  }
  if (spec.nodes !== undefined) {
    w.str('nodes'); writeNodes(w, spec.nodes, 4);
  }
  if (spec.nodes6 !== undefined) {
    w.str('nodes6'); writeNodes(w, spec.nodes6, 6);
  }
  if (spec.num !== undefined) {
    w.str('num'); w.int(spec.num);
  }
  if (spec.samples !== undefined) {
    w.str('samples'); w.bytes(spec.samples);
  }
  if (spec.seq !== undefined) {
    w.str('seq'); w.int(spec.seq);
  }
  if (spec.sig !== undefined) {
    w.str('sig'); w.bytes(spec.sig);
  }
  if (spec.token !== undefined) {
    w.str('token'); w.bytes(spec.token);
  }
  if (spec.v !== undefined) {
    w.str('v'); w.raw(spec.v);
  }
  if (spec.values !== undefined) {
    w.str('values');
    w.ascii('l');
    for (const p of spec.values) w.bytes(p);
    w.ascii('e');
  }
  w.ascii('e1:t');
  writeTransactionId(w, t);
  if (env.client !== undefined) {
    w.ascii('1:v');
    w.bytes(env.client);
  }
  w.ascii('1:y1:re');
  return w.done();
}

export function encodeError(t: Uint8Array, code: number, message: string, requester?: Address, env: EnvelopeOptions = {}): Uint8Array {
  const w = shared.reset();
  w.ascii('d1:eli');
  w.ascii(String(code));
  w.ascii('e');
  w.bytes(Buffer.from(message, 'utf8'));
  w.ascii('e');
  if (requester !== undefined) {
    const ip = encodePeer(requester);
    if (ip !== undefined) {
      w.ascii('2:ip');
      w.bytes(ip);
    }
  }
  w.ascii('1:t');
  w.bytes(t);
  if (env.client !== undefined) {
    w.ascii('1:v');
    w.bytes(env.client);
  }
  w.ascii('1:y1:ee');
  return w.done();
}
