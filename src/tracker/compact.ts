/**
 * Compact peer lists for trackers: BEP 23 (6 bytes per IPv4 peer) and BEP 7 (18 bytes per
 * IPv6 peer), over the one address codec (`util/compact-address.ts`).
 */
import type { Address } from '../runtime/types.js';
import { decodeCompactList, encodeCompactList, ipToBytes, ipv4Bytes, type IpFamily } from '../util/compact-address.js';

export { ipv4Bytes, ipv6Bytes } from '../util/compact-address.js';

export function decodeCompact4(b: Uint8Array, out: Address[] = []): Address[] {
  return decodeCompactList(b, 4, out);
}

export function decodeCompact6(b: Uint8Array, out: Address[] = []): Address[] {
  return decodeCompactList(b, 6, out);
}

export function encodeCompact(peers: readonly Address[], family: IpFamily): Uint8Array {
  return encodeCompactList(peers, family);
}

/**
 * Writes the address bytes of an IP literal into `out` at 0: 4 for IPv4 (also
 * `::ffff:a.b.c.d`), 16 for IPv6. Returns how many, 0 when `host` is not an IP literal.
 */
export function ipInto(host: string, out: Uint8Array): 0 | 4 | 16 {
  const ip = ipv4Bytes(host) ?? ipToBytes(host);
  if (!ip) return 0;
  out.set(ip);
  return ip.length === 4 ? 4 : 16;
}
