/**
 * Identifiers on a ring of 2^48 points, held as exact doubles. Chord and Pastry both use
 * 48-bit ids: with 10^5 nodes the chance of any collision is about 2 * 10^-5, and double
 * arithmetic stays exact, so ids need no BigInt and fit a `Float64Array`.
 */
import type { Random } from '../../runtime/types.js';

export const ID_BITS = 48;
export const RING_SIZE = 2 ** ID_BITS;
const TWO_POW_24 = 16777216;
const TWO_POW_32 = 4294967296;

/** Clockwise distance from `a` to `b`, in [0, 2^48). */
export function cw(a: number, b: number): number {
  const d = b - a;
  return d < 0 ? d + RING_SIZE : d;
}

/** The shorter way round between `a` and `b`. */
export function gap(a: number, b: number): number {
  const d = cw(a, b);
  return d * 2 > RING_SIZE ? RING_SIZE - d : d;
}

/** x in the clockwise interval (a, b]; when a === b the interval is the whole ring. */
export function inHalfOpen(x: number, a: number, b: number): boolean {
  const db = cw(a, b);
  if (db === 0) return true;
  const dx = cw(a, x);
  return dx > 0 && dx <= db;
}

/** x in the clockwise interval (a, b); when a === b, everything but a. */
export function inOpen(x: number, a: number, b: number): boolean {
  const db = cw(a, b);
  const dx = cw(a, x);
  if (db === 0) return dx !== 0;
  return dx > 0 && dx < db;
}

/** (a + 2^i) mod 2^48. */
export function addPow2(a: number, i: number): number {
  const s = a + 2 ** i;
  return s >= RING_SIZE ? s - RING_SIZE : s;
}

/** A uniformly random 48-bit id from the runtime's random source. */
export function randomId(random: Random): number {
  return random.int(TWO_POW_24) * TWO_POW_24 + random.int(TWO_POW_24);
}

/** The first 48 bits of a digest, big-endian. */
export function idFromDigest(d: Uint8Array): number {
  return ((d[0] << 8) | d[1]) * TWO_POW_32 + (((d[2] << 24) | (d[3] << 16) | (d[4] << 8) | d[5]) >>> 0);
}

/** Digits of base 2^b, most significant first (b divides 48: 1, 2, 3, 4, 6, 8...). */
export function digit(id: number, index: number, b: number): number {
  const shift = ID_BITS - b * (index + 1);
  const mask = (1 << b) - 1;
  const hi = Math.floor(id / TWO_POW_32);
  if (shift >= 32) return (hi >>> (shift - 32)) & mask;
  const lo = (id - hi * TWO_POW_32) >>> 0;
  if (shift === 0) return lo & mask;
  return ((hi << (32 - shift)) | (lo >>> shift)) & mask;
}

/** How many leading base-2^b digits `a` and `c` share (ID_BITS / b when equal). */
export function sharedPrefix(a: number, c: number, b: number): number {
  const ah = Math.floor(a / TWO_POW_32);
  const ch = Math.floor(c / TWO_POW_32);
  const xh = (ah ^ ch) & 0xffff;
  let bits: number;
  if (xh !== 0) bits = Math.clz32(xh) - 16;
  else {
    const xl = ((a - ah * TWO_POW_32) ^ (c - ch * TWO_POW_32)) >>> 0;
    bits = xl === 0 ? ID_BITS : 16 + Math.clz32(xl);
  }
  return Math.floor(bits / b);
}

/** Hex of an id (12 digits), for logs and reports. */
export function idHex(id: number): string {
  return id.toString(16).padStart(12, '0');
}

/**
 * Pastry's notion of "numerically closest": the smaller `gap`; on a tie, the id that comes
 * first clockwise before the key. True when `x` is closer to `key` than `y`.
 */
export function closerTo(key: number, x: number, y: number): boolean {
  const gx = gap(x, key);
  const gy = gap(y, key);
  if (gx !== gy) return gx < gy;
  return cw(x, key) < cw(y, key);
}
