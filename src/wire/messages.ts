/**
 * Peer wire messages of BEP 3, BEP 6 (fast extension), BEP 10 (extended) and BEP 52 (hash
 * messages): the typed union and its encoder. The streaming decoder is in `decoder.ts`.
 *
 * Every message after the handshake is `<length:4 big-endian><id:1><payload>`, except the
 * keep-alive which is a bare `<length=0>`. Layouts below name the whole frame.
 */
import {
  HASH_REQUEST_PAYLOAD_LENGTH, decodeHashRequestPayload, decodeHashesPayload, writeHashRequestPayload, type HashRequest,
} from './hash-messages.js';
import { PeerProtocolError } from './errors.js';

export { PeerProtocolError } from './errors.js';
export type { PeerViolation } from './errors.js';

/** Message ids (the byte after the length prefix). */
export const MESSAGE_ID = {
  choke: 0, // BEP 3
  unchoke: 1,
  interested: 2,
  not_interested: 3,
  have: 4,
  bitfield: 5,
  request: 6,
  piece: 7,
  cancel: 8,
  port: 9, // BEP 5
  suggest: 13, // BEP 6
  have_all: 14,
  have_none: 15,
  reject: 16,
  allowed_fast: 17,
  extended: 20, // BEP 10
  hash_request: 21, // BEP 52
  hashes: 22,
  hash_reject: 23,
} as const;

/** Standard block size; BEP 52: "All current implementations use 2^14 (16 kiB)". */
export const BLOCK_LENGTH = 16 * 1024;
/** `<len><id=7><index><begin>`: the bytes before a piece message's block. */
export const PIECE_HEADER_LENGTH = 13;

/** A block of a piece: what `request`, `cancel` and `reject` name. */
export interface BlockRef {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}

export type WireMessage =
  /** <len=0> */
  | { readonly type: 'keep_alive' }
  /** <len=1><id=0> */
  | { readonly type: 'choke' }
  /** <len=1><id=1> */
  | { readonly type: 'unchoke' }
  /** <len=1><id=2> */
  | { readonly type: 'interested' }
  /** <len=1><id=3> */
  | { readonly type: 'not_interested' }
  /** <len=5><id=4><index:4> */
  | { readonly type: 'have'; readonly index: number }
  /** <len=1+n><id=5><bitfield:n>  high bit of byte 0 is piece 0; spare bits zero */
  | { readonly type: 'bitfield'; readonly bitfield: Uint8Array }
  /** <len=13><id=6><index:4><begin:4><length:4> */
  | ({ readonly type: 'request' } & BlockRef)
  /** <len=9+n><id=7><index:4><begin:4><block:n>  `block` is a view into the received bytes */
  | { readonly type: 'piece'; readonly index: number; readonly begin: number; readonly block: Uint8Array }
  /** <len=13><id=8><index:4><begin:4><length:4> */
  | ({ readonly type: 'cancel' } & BlockRef)
  /** <len=3><id=9><port:2>  BEP 5: the peer's DHT port */
  | { readonly type: 'port'; readonly port: number }
  /** <len=5><id=13><index:4>  BEP 6 */
  | { readonly type: 'suggest'; readonly index: number }
  /** <len=1><id=14>  BEP 6 */
  | { readonly type: 'have_all' }
  /** <len=1><id=15>  BEP 6 */
  | { readonly type: 'have_none' }
  /** <len=13><id=16><index:4><begin:4><length:4>  BEP 6 */
  | ({ readonly type: 'reject' } & BlockRef)
  /** <len=5><id=17><index:4>  BEP 6 */
  | { readonly type: 'allowed_fast'; readonly index: number }
  /** <len=2+n><id=20><extended_id:1><payload:n>  BEP 10: id 0 is the extended handshake */
  | { readonly type: 'extended'; readonly id: number; readonly payload: Uint8Array }
  /** <len=49><id=21><pieces_root:32><base_layer:4><index:4><length:4><proof_layers:4>  BEP 52 */
  | ({ readonly type: 'hash_request' } & HashRequest)
  /** <len=49+32n><id=22><pieces_root:32><base_layer:4><index:4><length:4><proof_layers:4><hashes:32n>  BEP 52 */
  | ({ readonly type: 'hashes'; readonly hashes: Uint8Array } & HashRequest)
  /** <len=49><id=23><pieces_root:32><base_layer:4><index:4><length:4><proof_layers:4>  BEP 52 */
  | ({ readonly type: 'hash_reject' } & HashRequest)
  /** Any other id: ignored by the connection (for future compatibility), bounded by maxMessageLength. */
  | { readonly type: 'unknown'; readonly id: number; readonly payload: Uint8Array };

export type WireMessageType = WireMessage['type'];

function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) | (b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]) >>> 0;
}
function putU32(b: Uint8Array, o: number, v: number): void {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`wire: ${v} is not a 32-bit unsigned integer`);
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** Bytes `m` takes on the wire, length prefix included. */
export function encodedLength(m: WireMessage): number {
  switch (m.type) {
    case 'keep_alive':
      return 4;
    case 'choke': case 'unchoke': case 'interested': case 'not_interested': case 'have_all': case 'have_none':
      return 5;
    case 'have': case 'suggest': case 'allowed_fast':
      return 9;
    case 'request': case 'cancel': case 'reject':
      return 17;
    case 'port':
      return 7;
    case 'bitfield':
      return 5 + m.bitfield.length;
    case 'piece':
      return PIECE_HEADER_LENGTH + m.block.length;
    case 'extended':
      return 6 + m.payload.length;
    case 'hash_request': case 'hash_reject':
      return 5 + HASH_REQUEST_PAYLOAD_LENGTH;
    case 'hashes':
      return 5 + HASH_REQUEST_PAYLOAD_LENGTH + m.hashes.length;
    case 'unknown':
      return 5 + m.payload.length;
  }
}

/** Writes `m` at `offset` of `target` (which must have `encodedLength(m)` bytes free); returns the new offset. */
export function writeMessage(m: WireMessage, target: Uint8Array, offset: number): number {
  const n = encodedLength(m);
  putU32(target, offset, n - 4);
  if (m.type === 'keep_alive') return offset + 4;
  const p = offset + 5;
  target[offset + 4] = m.type === 'unknown' ? m.id : MESSAGE_ID[m.type];
  switch (m.type) {
    case 'have': case 'suggest': case 'allowed_fast':
      putU32(target, p, m.index);
      break;
    case 'request': case 'cancel': case 'reject':
      putU32(target, p, m.index);
      putU32(target, p + 4, m.begin);
      putU32(target, p + 8, m.length);
      break;
    case 'port':
      if (!Number.isInteger(m.port) || m.port < 0 || m.port > 0xffff) throw new RangeError(`wire: bad port ${m.port}`);
      target[p] = m.port >>> 8;
      target[p + 1] = m.port & 0xff;
      break;
    case 'bitfield':
      target.set(m.bitfield, p);
      break;
    case 'piece':
      putU32(target, p, m.index);
      putU32(target, p + 4, m.begin);
      target.set(m.block, p + 8);
      break;
    case 'extended':
      if (!Number.isInteger(m.id) || m.id < 0 || m.id > 255) throw new RangeError(`wire: bad extended message id ${m.id}`);
      target[p] = m.id;
      target.set(m.payload, p + 1);
      break;
    case 'hash_request': case 'hash_reject':
      writeHashRequestPayload(m, target, p);
      break;
    case 'hashes':
      writeHashRequestPayload(m, target, p);
      target.set(m.hashes, p + HASH_REQUEST_PAYLOAD_LENGTH);
      break;
    case 'unknown':
      if (!Number.isInteger(m.id) || m.id < 0 || m.id > 255) throw new RangeError(`wire: bad message id ${m.id}`);
      target.set(m.payload, p);
      break;
  }
  return offset + n;
}

export function encodeMessage(m: WireMessage): Uint8Array {
  const out = new Uint8Array(encodedLength(m));
  writeMessage(m, out, 0);
  return out;
}

/**
 * The 13 bytes that precede a block in a piece message. Send them, then the block itself, so
 * the block is never copied into a message buffer.
 */
export function encodePieceHeader(index: number, begin: number, blockLength: number): Uint8Array {
  const out = new Uint8Array(PIECE_HEADER_LENGTH);
  writePieceHeader(out, 0, index, begin, blockLength);
  return out;
}

export function writePieceHeader(target: Uint8Array, offset: number, index: number, begin: number, blockLength: number): void {
  putU32(target, offset, 9 + blockLength);
  target[offset + 4] = MESSAGE_ID.piece;
  putU32(target, offset + 5, index);
  putU32(target, offset + 9, begin);
}

/** A have message's length on the wire. */
export const HAVE_LENGTH = 9;

/** Writes a have message (`writeMessage` of `{ type: 'have', index }`, without the object). */
export function writeHave(target: Uint8Array, offset: number, index: number): void {
  putU32(target, offset, HAVE_LENGTH - 4);
  target[offset + 4] = MESSAGE_ID.have;
  putU32(target, offset + 5, index);
}

function expectLength(name: string, payload: Uint8Array, n: number): void {
  if (payload.length !== n) throw new PeerProtocolError('malformed_message', `${name} payload must be ${n} bytes, got ${payload.length}`);
}

const FIXED = new Map<number, WireMessage>([
  [MESSAGE_ID.choke, { type: 'choke' }],
  [MESSAGE_ID.unchoke, { type: 'unchoke' }],
  [MESSAGE_ID.interested, { type: 'interested' }],
  [MESSAGE_ID.not_interested, { type: 'not_interested' }],
  [MESSAGE_ID.have_all, { type: 'have_all' }],
  [MESSAGE_ID.have_none, { type: 'have_none' }],
]);

/**
 * The exact payload length a message id requires, `-1` for variable-length ids. Lets the
 * decoder reject a bad length prefix before it buffers the body.
 */
export function fixedPayloadLength(id: number): number {
  if (FIXED.has(id)) return 0;
  switch (id) {
    case MESSAGE_ID.have: case MESSAGE_ID.suggest: case MESSAGE_ID.allowed_fast:
      return 4;
    case MESSAGE_ID.request: case MESSAGE_ID.cancel: case MESSAGE_ID.reject:
      return 12;
    case MESSAGE_ID.port:
      return 2;
    case MESSAGE_ID.hash_request: case MESSAGE_ID.hash_reject:
      return HASH_REQUEST_PAYLOAD_LENGTH;
  }
  return -1;
}

/**
 * Decodes one message from its id and payload (the bytes after the id). Byte fields are views
 * into `payload`. Throws `PeerProtocolError` ('malformed_message') on a bad payload.
 */
export function decodeMessageBody(id: number, payload: Uint8Array): WireMessage {
  const fixed = FIXED.get(id);
  if (fixed) {
    expectLength(fixed.type, payload, 0);
    return fixed;
  }
  switch (id) {
    case MESSAGE_ID.have:
      expectLength('have', payload, 4);
      return { type: 'have', index: u32(payload, 0) };
    case MESSAGE_ID.suggest:
      expectLength('suggest', payload, 4);
      return { type: 'suggest', index: u32(payload, 0) };
    case MESSAGE_ID.allowed_fast:
      expectLength('allowed_fast', payload, 4);
      return { type: 'allowed_fast', index: u32(payload, 0) };
    case MESSAGE_ID.bitfield:
      return { type: 'bitfield', bitfield: payload };
    case MESSAGE_ID.request: case MESSAGE_ID.cancel: case MESSAGE_ID.reject: {
      const type = id === MESSAGE_ID.request ? 'request' : id === MESSAGE_ID.cancel ? 'cancel' : 'reject';
      expectLength(type, payload, 12);
      return { type, index: u32(payload, 0), begin: u32(payload, 4), length: u32(payload, 8) };
    }
    case MESSAGE_ID.piece:
      if (payload.length < 8) throw new PeerProtocolError('malformed_message', `piece payload must be at least 8 bytes, got ${payload.length}`);
      return { type: 'piece', index: u32(payload, 0), begin: u32(payload, 4), block: payload.subarray(8) };
    case MESSAGE_ID.port:
      expectLength('port', payload, 2);
      return { type: 'port', port: (payload[0] << 8) | payload[1] };
    case MESSAGE_ID.extended:
      if (payload.length < 1) throw new PeerProtocolError('malformed_message', 'extended message without an extended id');
      return { type: 'extended', id: payload[0], payload: payload.subarray(1) };
    case MESSAGE_ID.hash_request:
      return { type: 'hash_request', ...decodeHashRequestPayload(payload) };
    case MESSAGE_ID.hash_reject:
      return { type: 'hash_reject', ...decodeHashRequestPayload(payload) };
    case MESSAGE_ID.hashes:
      return { type: 'hashes', ...decodeHashesPayload(payload) };
  }
  return { type: 'unknown', id, payload };
}
