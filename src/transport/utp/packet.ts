/**
 * BEP 29 uTP packet codec (header version 1 and its extension chain). A leaf: it imports
 * nothing from the engine and is fuzzed on its own (test/fuzz/utp-packet.fuzz.test.ts).
 *
 *  0       4       8               16              24              32
 *  +-------+-------+---------------+---------------+---------------+
 *  | type  | ver   | extension     | connection_id                 |
 *  +-------+-------+---------------+---------------+---------------+
 *  | timestamp_microseconds                                        |
 *  | timestamp_difference_microseconds                             |
 *  | wnd_size                                                      |
 *  | seq_nr                        | ack_nr                        |
 *  +---------------+---------------+---------------+---------------+
 *  then extensions: [next type (1), len (1), len bytes]..., then the payload.
 */
import { InputError } from '../../errors.js';

export const UTP_VERSION = 1;
export const UTP_HEADER_BYTES = 20;

/** Packet types (BEP 29 "type"). */
export const ST_DATA = 0;
export const ST_FIN = 1;
export const ST_STATE = 2;
export const ST_RESET = 3;
export const ST_SYN = 4;
export type UtpPacketType = 0 | 1 | 2 | 3 | 4;
export const PACKET_TYPE_NAMES = ['DATA', 'FIN', 'STATE', 'RESET', 'SYN'] as const;

/** Extension 1: selective ACK, a bitmask (BEP 29: >= 4 bytes in multiples of 4; libtorrent also sends shorter ones); bit 0 is ack_nr + 2. */
export const EXT_SELECTIVE_ACK = 1;

/** A remote sent a datagram that is not a valid uTP packet. */
export class UtpPacketError extends InputError {}

export interface UtpPacket {
  type: UtpPacketType;
  connectionId: number;
  /** Sender's clock, microseconds modulo 2^32. */
  timestamp: number;
  /** The sender's latest one-way delay sample of our packets, microseconds (0 = none yet). */
  timestampDiff: number;
  /** Bytes the sender can still receive. */
  windowSize: number;
  seqNr: number;
  ackNr: number;
  /** Selective ACK bitmask (extension 1), when present. */
  selectiveAck?: Uint8Array;
  /** Payload: bytes of the stream (ST_DATA only; empty otherwise). */
  payload: Uint8Array;
  /** Encoding only: this many bytes of padding in extensions receivers skip (an MTU probe, mtu.ts). */
  padding?: number;
}

export interface PacketLimits {
  /** Most extensions in one packet's chain; a longer chain is rejected. */
  maxExtensions: number;
  /** Longest selective ACK bitmask accepted, in bytes (a multiple of 4). */
  maxSelectiveAckBytes: number;
}

export const PACKET_LIMITS: PacketLimits = { maxExtensions: 8, maxSelectiveAckBytes: 128 };

const EMPTY = new Uint8Array(0);

/**
 * Cheap first-byte test used by the shared UDP socket to tell uTP from the DHT ('d') and
 * anything else, as libtorrent does: version 1 and a known type.
 */
export function looksLikeUtp(data: Uint8Array): boolean {
  if (data.length < UTP_HEADER_BYTES) return false;
  const b = data[0];
  return (b & 0x0f) === UTP_VERSION && b >> 4 <= ST_SYN;
}

/** Decodes one datagram; throws `UtpPacketError` on anything malformed. The payload is a view into `data`. */
export function decodePacket(data: Uint8Array, limits: PacketLimits = PACKET_LIMITS): UtpPacket {
  if (data.length < UTP_HEADER_BYTES) throw new UtpPacketError(`uTP packet of ${data.length} bytes is shorter than the 20-byte header`);
  const b0 = data[0];
  const version = b0 & 0x0f;
  const type = b0 >> 4;
  if (version !== UTP_VERSION) throw new UtpPacketError(`uTP version ${version} is not supported (only 1)`);
  if (type > ST_SYN) throw new UtpPacketError(`unknown uTP packet type ${type}`);
  let ext = data[1];
  let offset = UTP_HEADER_BYTES;
  let selectiveAck: Uint8Array | undefined;
  let count = 0;
  while (ext !== 0) {
    if (++count > limits.maxExtensions) throw new UtpPacketError(`uTP packet has more than ${limits.maxExtensions} extensions`);
    if (offset + 2 > data.length) throw new UtpPacketError('uTP extension header runs past the end of the packet');
    const next = data[offset];
    const len = data[offset + 1];
    offset += 2;
    if (offset + len > data.length) throw new UtpPacketError(`uTP extension of ${len} bytes runs past the end of the packet`);
    if (ext === EXT_SELECTIVE_ACK) {
      if (selectiveAck) throw new UtpPacketError('uTP packet has two selective ACK extensions');
      // BEP 29 asks for multiples of 4, but libtorrent sends as few bytes as the mask needs: take any non-empty length.
      if (len === 0) throw new UtpPacketError('uTP selective ACK of 0 bytes');
      if (len > limits.maxSelectiveAckBytes) throw new UtpPacketError(`uTP selective ACK of ${len} bytes exceeds the limit of ${limits.maxSelectiveAckBytes}`);
      selectiveAck = data.subarray(offset, offset + len);
    }
    // Unknown extensions are skipped by their length (BEP 29).
    offset += len;
    ext = next;
  }
  const payload = offset === data.length ? EMPTY : data.subarray(offset);
  if (type === ST_DATA && payload.length === 0) throw new UtpPacketError('uTP DATA packet without payload');
  if (type !== ST_DATA && payload.length !== 0) throw new UtpPacketError(`uTP ${PACKET_TYPE_NAMES[type]} packet carries ${payload.length} payload bytes`);
  const p: UtpPacket = {
    type: type as UtpPacketType,
    connectionId: (data[2] << 8) | data[3],
    timestamp: u32(data, 4),
    timestampDiff: u32(data, 8),
    windowSize: u32(data, 12),
    seqNr: (data[16] << 8) | data[17],
    ackNr: (data[18] << 8) | data[19],
    payload,
  };
  if (selectiveAck) p.selectiveAck = selectiveAck;
  return p;
}

/** Big-endian uint32 at `o` (no DataView per packet on the hot path). */
function u32(d: Uint8Array, o: number): number {
  return ((d[o] << 24) | (d[o + 1] << 16) | (d[o + 2] << 8) | d[o + 3]) >>> 0;
}

/** The padding extension's type (mtu.ts): unknown to every receiver, so skipped by its length. */
export const EXT_PADDING = 0x7f;

/** The header fields `encodeHeader` writes: a packet without its payload, whose length is given apart. */
export type UtpHeader = Omit<UtpPacket, 'payload'>;

/**
 * Bytes of the padding extensions for `requested` padding bytes (2 header bytes per
 * extension of at most 255), including the empty selective ACK that leads them when the
 * packet has none (see `encodePacket`).
 */
function paddingBytes(requested: number): number {
  return requested > 0 ? Math.ceil(requested / 255) * 2 + requested : 0;
}

/** Bytes before the payload: the 20-byte header and the extension chain. */
export function headerLength(h: UtpHeader): number {
  const sack = h.selectiveAck;
  return UTP_HEADER_BYTES + (sack ? 2 + sack.length : 0) + paddingBytes(h.padding ?? 0);
}

/**
 * Writes `h`'s header and extension chain at the start of `out` (at least `headerLength(h)`
 * bytes); the payload goes after it, written by the caller (a DATA packet's payload is copied
 * from the send queue straight into its datagram). Returns the payload's offset.
 */
export function encodeHeader(h: UtpHeader, out: Uint8Array): number {
  const sack = h.selectiveAck;
  if (sack && (sack.length === 0 || sack.length % 4 !== 0 || sack.length > 252)) {
    throw new RangeError(`selective ACK of ${sack.length} bytes is not a multiple of 4 in 4..252`);
  }
  let padBytes = paddingBytes(h.padding ?? 0);
  let emptySack = 0;
  if (padBytes > 0 && !sack) {
    // An empty selective ACK first (4 bytes, or all the room when the padding is under 8 bytes).
    emptySack = padBytes <= 7 ? padBytes - 2 : 4;
    padBytes -= 2 + emptySack;
  }
  const sackLen = sack ? sack.length : emptySack;
  const padExts = padBytes > 0 ? Math.ceil(padBytes / 257) : 0;
  let padding = padBytes - 2 * padExts;
  out[0] = (h.type << 4) | UTP_VERSION;
  out[1] = sackLen > 0 ? EXT_SELECTIVE_ACK : padExts > 0 ? EXT_PADDING : 0;
  put16(out, 2, h.connectionId);
  put32(out, 4, h.timestamp);
  put32(out, 8, h.timestampDiff);
  put32(out, 12, Math.max(0, Math.min(h.windowSize, 0xffffffff)));
  put16(out, 16, h.seqNr);
  put16(out, 18, h.ackNr);
  let o = UTP_HEADER_BYTES;
  if (sackLen > 0) {
    out[o] = padExts > 0 ? EXT_PADDING : 0;
    out[o + 1] = sackLen;
    if (sack) out.set(sack, o + 2);
    else out.fill(0, o + 2, o + 2 + sackLen);
    o += 2 + sackLen;
  }
  for (let i = 0; i < padExts; i++) {
    const len = Math.min(255, padding);
    out[o] = i + 1 < padExts ? EXT_PADDING : 0;
    out[o + 1] = len;
    out.fill(0, o + 2, o + 2 + len);
    o += 2 + len;
    padding -= len;
  }
  return o;
}

/**
 * Encodes a packet into a fresh datagram. `padding` (an MTU probe) goes in extensions of type
 * `EXT_PADDING` after the selective ACK. Without a selective ACK to lead the chain, an empty
 * one (all bits clear: it acks nothing) leads it in the same bytes: libutp (Transmission,
 * uTorrent) takes a packet whose first extension type is 3 or more for a version 0 packet,
 * drops it and answers with a version 0 RESET, so a probe led by the padding never arrived.
 */
export function encodePacket(p: UtpPacket): Uint8Array {
  const out = new Uint8Array(headerLength(p) + p.payload.length);
  out.set(p.payload, encodeHeader(p, out));
  return out;
}

function put16(d: Uint8Array, o: number, v: number): void {
  d[o] = (v >>> 8) & 0xff;
  d[o + 1] = v & 0xff;
}

function put32(d: Uint8Array, o: number, v: number): void {
  d[o] = (v >>> 24) & 0xff;
  d[o + 1] = (v >>> 16) & 0xff;
  d[o + 2] = (v >>> 8) & 0xff;
  d[o + 3] = v & 0xff;
}

/** Sequence numbers are 16 bits and wrap (BEP 29): `a - b` as a signed distance in [-32768, 32767]. */
export function seqDiff(a: number, b: number): number {
  return ((((a - b) & 0xffff) ^ 0x8000) - 0x8000);
}
