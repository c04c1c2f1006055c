/**
 * BEP 3 handshake, with the reserved bits of BEP 5 (DHT), BEP 6 (fast), BEP 10 (extension
 * protocol) and BEP 52 (v2 upgrade).
 *
 * Layout (68 bytes):
 *   <pstrlen=19:1><pstr='BitTorrent protocol':19><reserved:8><info_hash:20><peer_id:20>
 *
 * The first 48 bytes (up to and including the info hash) are the "header": an accepting side
 * reads them, looks the torrent up by its info hash, answers with its own handshake and only
 * then needs the peer id (BEP 3: "they may wait for incoming connections to give a download
 * hash first").
 */
import type { Random } from '../runtime/types.js';
import { PeerProtocolError } from './errors.js';

export const PROTOCOL_STRING = 'BitTorrent protocol';
const PSTR = Uint8Array.from(Buffer.from(PROTOCOL_STRING, 'latin1'));
export const RESERVED_LENGTH = 8;
export const INFO_HASH_LENGTH = 20;
export const PEER_ID_LENGTH = 20;
/** pstrlen + pstr + reserved + info hash. */
export const HANDSHAKE_HEADER_LENGTH = 1 + PSTR.length + RESERVED_LENGTH + INFO_HASH_LENGTH; // 48
export const HANDSHAKE_LENGTH = HANDSHAKE_HEADER_LENGTH + PEER_ID_LENGTH; // 68

/** One bit of the 8 reserved bytes. */
export interface ReservedBit {
  readonly byte: number;
  readonly mask: number;
}
/** BEP 10: `reserved[5] & 0x10`. */
export const RESERVED_EXTENSION_PROTOCOL: ReservedBit = { byte: 5, mask: 0x10 };
/** BEP 6: `reserved[7] & 0x04`. */
export const RESERVED_FAST: ReservedBit = { byte: 7, mask: 0x04 };
/** BEP 5: `reserved[7] & 0x01`. */
export const RESERVED_DHT: ReservedBit = { byte: 7, mask: 0x01 };
/** BEP 52: `reserved[7] & 0x10`, "I also speak v2; answer with the v2 info hash to upgrade". */
export const RESERVED_V2_UPGRADE: ReservedBit = { byte: 7, mask: 0x10 };

export function hasReservedBit(reserved: Uint8Array, bit: ReservedBit): boolean {
  return (reserved[bit.byte] & bit.mask) !== 0;
}

export function setReservedBit(reserved: Uint8Array, bit: ReservedBit, on = true): void {
  if (on) reserved[bit.byte] |= bit.mask;
  else reserved[bit.byte] &= ~bit.mask & 0xff;
}

/** The features a side announces in its reserved bytes. */
export interface WireFeatures {
  /** BEP 10 extension protocol. */
  readonly extensionProtocol: boolean;
  /** BEP 6 fast extension. */
  readonly fast: boolean;
  /** BEP 5 DHT (the peer may send `port`). */
  readonly dht: boolean;
  /** BEP 52 upgrade bit (hybrid torrents). */
  readonly v2Upgrade: boolean;
}

export function makeReserved(f: Partial<WireFeatures>): Uint8Array {
  const r = new Uint8Array(RESERVED_LENGTH);
  if (f.extensionProtocol) setReservedBit(r, RESERVED_EXTENSION_PROTOCOL);
  if (f.fast) setReservedBit(r, RESERVED_FAST);
  if (f.dht) setReservedBit(r, RESERVED_DHT);
  if (f.v2Upgrade) setReservedBit(r, RESERVED_V2_UPGRADE);
  return r;
}

export function featuresOf(reserved: Uint8Array): WireFeatures {
  return wireFeatures(
    hasReservedBit(reserved, RESERVED_EXTENSION_PROTOCOL),
    hasReservedBit(reserved, RESERVED_FAST),
    hasReservedBit(reserved, RESERVED_DHT),
    hasReservedBit(reserved, RESERVED_V2_UPGRADE),
  );
}

/** The 16 feature sets, made once: every connection keeps two (its peer's, the negotiated). */
const FEATURE_SETS: readonly WireFeatures[] = Array.from({ length: 16 }, (_, i) => Object.freeze({
  extensionProtocol: (i & 1) !== 0, fast: (i & 2) !== 0, dht: (i & 4) !== 0, v2Upgrade: (i & 8) !== 0,
}));

/** The shared (frozen) feature set with these flags. */
export function wireFeatures(extensionProtocol: boolean, fast: boolean, dht: boolean, v2Upgrade: boolean): WireFeatures {
  return FEATURE_SETS[(extensionProtocol ? 1 : 0) | (fast ? 2 : 0) | (dht ? 4 : 0) | (v2Upgrade ? 8 : 0)];
}

export interface HandshakeHeader {
  readonly reserved: Uint8Array;
  /** 20 bytes: a v1 info hash, or a v2 info hash truncated to 20 bytes (BEP 52). */
  readonly infoHash: Uint8Array;
}

export interface Handshake extends HandshakeHeader {
  readonly peerId: Uint8Array;
}

function checkLength(what: string, b: Uint8Array, n: number): void {
  if (b.length !== n) throw new RangeError(`${what} must be ${n} bytes, got ${b.length}`);
}

export function encodeHandshake(h: Handshake): Uint8Array {
  checkLength('reserved', h.reserved, RESERVED_LENGTH);
  checkLength('info hash', h.infoHash, INFO_HASH_LENGTH);
  checkLength('peer id', h.peerId, PEER_ID_LENGTH);
  const out = new Uint8Array(HANDSHAKE_LENGTH);
  out[0] = PSTR.length;
  out.set(PSTR, 1);
  out.set(h.reserved, 1 + PSTR.length);
  out.set(h.infoHash, 1 + PSTR.length + RESERVED_LENGTH);
  out.set(h.peerId, HANDSHAKE_HEADER_LENGTH);
  return out;
}

/**
 * Distinct reserved-byte values shared between connections (every handshake of a client
 * carries the same 8 bytes, and most peers send one of a few): one copy each instead of a
 * buffer and a view per connection, which a swarm simulation holds by the hundred thousand.
 * Past this many values (a peer can send any 8 bytes) each header keeps its own copy.
 */
export const MAX_SHARED_RESERVED = 256;
const sharedReserved = new Map<string, Uint8Array>();

/** The 8 reserved bytes at `b[at..]`, as a shared copy (never modify it) while under `MAX_SHARED_RESERVED` values. */
export function sharedReservedBytes(b: Uint8Array, at = 0): Uint8Array {
  const k = String.fromCharCode(b[at], b[at + 1], b[at + 2], b[at + 3], b[at + 4], b[at + 5], b[at + 6], b[at + 7]);
  let r = sharedReserved.get(k);
  if (r === undefined) {
    // A copy whatever `b` is (a Buffer's slice() would be a view of a receive buffer).
    r = new Uint8Array(b.subarray(at, at + RESERVED_LENGTH));
    if (sharedReserved.size < MAX_SHARED_RESERVED) sharedReserved.set(k, r);
  }
  return r;
}

/**
 * Reads the 48-byte header (copies, so the caller may reuse its buffer; the reserved bytes
 * are a shared copy, `sharedReservedBytes`). Throws `PeerProtocolError` ('bad_handshake')
 * when it is not the BitTorrent protocol.
 */
export function decodeHandshakeHeader(b: Uint8Array): HandshakeHeader {
  if (b.length < HANDSHAKE_HEADER_LENGTH) throw new PeerProtocolError('bad_handshake', `handshake shorter than ${HANDSHAKE_HEADER_LENGTH} bytes`);
  if (b[0] !== PSTR.length) throw new PeerProtocolError('bad_handshake', `handshake protocol string length is ${b[0]}, not ${PSTR.length}`);
  for (let i = 0; i < PSTR.length; i++) {
    if (b[1 + i] !== PSTR[i]) throw new PeerProtocolError('bad_handshake', `handshake protocol string is not '${PROTOCOL_STRING}'`);
  }
  const r = 1 + PSTR.length;
  return {
    reserved: sharedReservedBytes(b, r),
    infoHash: b.slice(r + RESERVED_LENGTH, r + RESERVED_LENGTH + INFO_HASH_LENGTH),
  };
}

/** Reads a whole 68-byte handshake. */
export function decodeHandshake(b: Uint8Array): Handshake {
  if (b.length !== HANDSHAKE_LENGTH) throw new PeerProtocolError('bad_handshake', `handshake must be ${HANDSHAKE_LENGTH} bytes, got ${b.length}`);
  const header = decodeHandshakeHeader(b);
  return { ...header, peerId: b.slice(HANDSHAKE_HEADER_LENGTH, HANDSHAKE_LENGTH) };
}

/** Azureus-style client prefix: '-', client code 'SH', version 0.1.0.0, '-'. */
export const PEER_ID_PREFIX = '-SH0100-';
const PEER_ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * A 20-byte peer id: `prefix` (ASCII, at most 20 bytes) followed by random alphanumerics
 * (printable, so it reads well in logs and tracker URLs).
 */
export function generatePeerId(random: Random, prefix: string = PEER_ID_PREFIX): Uint8Array {
  const p = Buffer.from(prefix, 'latin1');
  if (p.length > PEER_ID_LENGTH) throw new RangeError(`peer id prefix longer than ${PEER_ID_LENGTH} bytes`);
  const out = new Uint8Array(PEER_ID_LENGTH);
  out.set(p);
  for (let i = p.length; i < PEER_ID_LENGTH; i++) out[i] = PEER_ID_ALPHABET.charCodeAt(random.int(PEER_ID_ALPHABET.length));
  return out;
}
