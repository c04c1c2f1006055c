/**
 * Compact peer addresses (BEP 23 format, used by BEP 11 PEX and BEP 10 `yourip`):
 * IPv4 `<ip:4><port:2>`, IPv6 `<ip:16><port:2>`, all big-endian.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type { Address } from '../runtime/types.js';

export const COMPACT_IPV4_LENGTH = 6;
export const COMPACT_IPV6_LENGTH = 18;

/** Bytes of an IPv4 or IPv6 literal, or undefined when `host` is neither. */
export function ipToBytes(host: string): Uint8Array | undefined {
  if (isIPv4(host)) return Uint8Array.from(host.split('.').map(Number));
  if (!isIPv6(host)) return undefined;
  let h = host;
  const zone = h.indexOf('%');
  if (zone >= 0) h = h.slice(0, zone);
  const out = new Uint8Array(16);
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two groups.
  const lastColon = h.lastIndexOf(':');
  const tail = h.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = tail.split('.').map(Number);
    h = `${h.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const [left, right] = h.includes('::') ? h.split('::') : [h, undefined];
  const groups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  const l = groups(left);
  const r = right === undefined ? [] : groups(right);
  const all = right === undefined ? l : [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  for (let i = 0; i < 8; i++) {
    out[2 * i] = all[i] >>> 8;
    out[2 * i + 1] = all[i] & 0xff;
  }
  return out;
}

/** The canonical text of a 4- or 16-byte address (RFC 5952 for IPv6: lowercase, longest zero run as '::'). */
export function bytesToIp(b: Uint8Array): string {
  if (b.length === 4) return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
  if (b.length !== 16) throw new RangeError(`an IP address is 4 or 16 bytes, got ${b.length}`);
  const g: number[] = [];
  for (let i = 0; i < 8; i++) g.push((b[2 * i] << 8) | b[2 * i + 1]);
  let bestAt = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

/** Appends the compact form of `a` to `out` at `offset`; returns the new offset. */
export function writeCompactPeer(a: Address, ip: Uint8Array, out: Uint8Array, offset: number): number {
  out.set(ip, offset);
  out[offset + ip.length] = a.port >>> 8;
  out[offset + ip.length + 1] = a.port & 0xff;
  return offset + ip.length + 2;
}

/** Reads `count` compact peers of `ipLength` (4 or 16) bytes each from `b`. */
export function readCompactPeers(b: Uint8Array, ipLength: 4 | 16, count: number): Address[] {
  const size = ipLength + 2;
  const out: Address[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * size;
    out.push({ host: bytesToIp(b.subarray(o, o + ipLength)), port: (b[o + ipLength] << 8) | b[o + ipLength + 1] });
  }
  return out;
}
