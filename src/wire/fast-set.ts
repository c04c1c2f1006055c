/**
 * BEP 6 allowed-fast set generation: the canonical algorithm, so the set a peer is offered
 * depends only on its IPv4 /24, the info hash and k (and offering k + 1 pieces extends the
 * k-piece set by one).
 *
 *   x = (ip & 0xffffff00) ++ infohash
 *   while |a| < k: x = SHA1(x); for each of the 5 big-endian u32 y in x: add y % pieceCount
 */
import { createHash } from 'node:crypto';
import { ipToBytes } from './compact.js';

/** BEP 6: "We currently set k to 10". */
export const DEFAULT_ALLOWED_FAST_COUNT = 10;

/**
 * The first `k` pieces of the allowed-fast set of the peer at `ip` (an IPv4 literal or its 4
 * bytes). BEP 6 has no provision for IPv6: for other addresses the set is empty. `k` is
 * capped at `pieceCount`.
 */
export function allowedFastSet(k: number, pieceCount: number, infoHash: Uint8Array, ip: string | Uint8Array): number[] {
  const addr = typeof ip === 'string' ? ipToBytes(ip) : ip;
  if (!addr || addr.length !== 4 || pieceCount <= 0) return [];
  const want = Math.min(k, pieceCount);
  const a: number[] = [];
  const seen = new Set<number>();
  let x: Uint8Array = new Uint8Array(4 + infoHash.length);
  x.set(addr.subarray(0, 3));
  x.set(infoHash, 4);
  while (a.length < want) {
    x = new Uint8Array(createHash('sha1').update(x).digest());
    for (let i = 0; i < 5 && a.length < want; i++) {
      const j = i * 4;
      const y = ((x[j] << 24) | (x[j + 1] << 16) | (x[j + 2] << 8) | x[j + 3]) >>> 0;
      const index = y % pieceCount;
      if (!seen.has(index)) {
        seen.add(index);
        a.push(index);
      }
    }
  }
  return a;
}
