/**
 * Node ids, info hashes and BEP 44 targets (BEP 5): 160-bit keys compared by XOR distance.
 *
 * Inside the DHT a key is a `NodeId`: a 20-char binary string, one char per byte (latin1).
 * Strings are compact (a 20-byte id costs ~40 bytes of heap, a `Uint8Array` over 100), usable
 * as `Map` keys, and compare byte-wise with `<`. The public API takes and returns `Uint8Array`;
 * `idFromBytes` / `idToBytes` convert at the edge.
 */
import type { Random } from '../runtime/types.js';

export type NodeId = string;

export const ID_BYTES = 20;
export const ID_BITS = 160;

/** Bytes -> binary string. `b` must be exactly 20 bytes (checked by callers that parse input). */
export function idFromBytes(b: Uint8Array): NodeId {
  if (b.length !== ID_BYTES) throw new RangeError(`a node id is ${ID_BYTES} bytes, got ${b.length}`);
  return String.fromCharCode(b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9],
    b[10], b[11], b[12], b[13], b[14], b[15], b[16], b[17], b[18], b[19]);
}

/** Any short byte string (<= 256 bytes) as a binary string. */
export function binaryString(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i += 64) s += String.fromCharCode.apply(null, Array.from(b.subarray(i, i + 64)));
  return s;
}

export function idToBytes(id: NodeId): Uint8Array {
  const out = new Uint8Array(id.length);
  for (let i = 0; i < id.length; i++) out[i] = id.charCodeAt(i);
  return out;
}

export function idToHex(id: NodeId): string {
  let s = '';
  for (let i = 0; i < id.length; i++) s += id.charCodeAt(i).toString(16).padStart(2, '0');
  return s;
}

/** 40 hex digits -> id; throws RangeError on anything else. */
export function idFromHex(hex: string): NodeId {
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) throw new RangeError(`expected 40 hex digits, got '${hex}'`);
  return idFromBytes(Uint8Array.from(Buffer.from(hex, 'hex')));
}

/** Negative when `a` is closer to `target` than `b` (XOR metric), 0 when equal. */
export function compareDistance(a: NodeId, b: NodeId, target: NodeId): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const t = target.charCodeAt(i);
    const da = a.charCodeAt(i) ^ t;
    const db = b.charCodeAt(i) ^ t;
    if (da !== db) return da - db;
  }
  return 0;
}

/**
 * The first 24 bits of an id as a number (small enough to stay an unboxed small integer):
 * XOR of two prefixes orders most distances without a full compare.
 */
export function idPrefix(id: NodeId): number {
  return (id.charCodeAt(0) << 16) | (id.charCodeAt(1) << 8) | id.charCodeAt(2);
}

/** Number of leading bits `a` and `b` share (160 when equal). */
export function commonPrefixLength(a: NodeId, b: NodeId): number {
  for (let i = 0; i < ID_BYTES; i++) {
    const x = a.charCodeAt(i) ^ b.charCodeAt(i);
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return ID_BITS;
}

/** The XOR distance as 20 bytes (for tests and reports). */
export function distanceBytes(a: NodeId, b: NodeId): Uint8Array {
  const out = new Uint8Array(ID_BYTES);
  for (let i = 0; i < ID_BYTES; i++) out[i] = a.charCodeAt(i) ^ b.charCodeAt(i);
  return out;
}

export function randomId(random: Random): NodeId {
  return idFromBytes(random.bytes(ID_BYTES));
}

/**
 * A random id that shares exactly `bits` leading bits with `base` and differs at bit `bits`
 * (so it falls in bucket `bits` of a table around `base`). `bits` = 160 returns `base`.
 */
export function randomIdInBucket(base: NodeId, bits: number, random: Random): NodeId {
  if (bits >= ID_BITS) return base;
  const r = random.bytes(ID_BYTES);
  const b = idToBytes(base);
  const byte = bits >>> 3;
  const bit = 7 - (bits & 7);
  for (let i = 0; i < byte; i++) r[i] = b[i];
  const keepMask = (0xff << (bit + 1)) & 0xff; // bits above `bit` come from base
  r[byte] = (b[byte] & keepMask) | ((~b[byte]) & (1 << bit)) | (r[byte] & ((1 << bit) - 1));
  return idFromBytes(r);
}
