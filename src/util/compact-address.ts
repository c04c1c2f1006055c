/**
 * IP literals and compact peer addresses, one codec for the wire (BEP 11 PEX, BEP 10
 * `yourip`), the DHT (BEP 5, BEP 32) and trackers (BEP 23, BEP 7): an address is its IP (4
 * bytes, or 16 for IPv6) followed by the port, big-endian.
 *
 * Parsing is strict and the same everywhere: a dotted quad is four decimal parts of 0–255
 * with no leading zeros (`01.2.3.4` is refused: some resolvers read it as octal); IPv6 is
 * eight groups of 1–4 hex digits, at most one `::`, an optional dotted-quad tail and zone
 * (`%eth0`, dropped). Text out is canonical (RFC 5952: lowercase, the longest run of two or
 * more zero groups as `::`). No `node:net`: the codecs are leaves with no I/O.
 */
import type { Address } from '../runtime/types.js';

export const COMPACT_IPV4_LENGTH = 6;
export const COMPACT_IPV6_LENGTH = 18;

export type IpFamily = 4 | 6;

/** A dotted-quad IPv4 literal as an unsigned 32-bit number, or -1 (no allocation: hot paths call it). */
export function parseIPv4(host: string): number {
  const n = host.length;
  if (n < 7 || n > 15) return -1;
  let value = 0, part = 0, digits = 0, dots = 0;
  for (let i = 0; i < n; i++) {
    const c = host.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && part === 0) return -1; // a leading zero
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return value * 256 + part;
}

/** 16 bytes of an IPv6 literal, or undefined when `host` is not one. */
export function parseIPv6(host: string): Uint8Array | undefined {
  let h = host;
  const zone = h.indexOf('%');
  if (zone >= 0) {
    if (zone === h.length - 1) return undefined;
    h = h.slice(0, zone);
  }
  if (h.length < 2 || h.length > 45 || !h.includes(':')) return undefined;
  const groups: number[] = [];
  // A dotted-quad tail (::ffff:1.2.3.4) is the last two groups.
  const lastColon = h.lastIndexOf(':');
  const tail = h.slice(lastColon + 1);
  let body = h;
  let tailGroups: number[] = [];
  if (tail.includes('.')) {
    const v4 = parseIPv4(tail);
    if (v4 < 0) return undefined;
    tailGroups = [v4 >>> 16, v4 & 0xffff];
    // The groups before the tail, keeping a `::` that ends right before it.
    body = h[lastColon - 1] === ':' ? h.slice(0, lastColon + 1) : h.slice(0, lastColon);
  }
  const double = body.indexOf('::');
  if (double >= 0 && body.indexOf('::', double + 1) >= 0) return undefined;
  const readGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const want = 8 - tailGroups.length;
  if (double >= 0) {
    const left = readGroups(body.slice(0, double));
    const right = readGroups(body.slice(double + 2));
    if (!left || !right || left.length + right.length > want - 1) return undefined;
    groups.push(...left, ...new Array<number>(want - left.length - right.length).fill(0), ...right);
  } else {
    const all = readGroups(body);
    if (!all || all.length !== want) return undefined;
    groups.push(...all);
  }
  groups.push(...tailGroups);
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    out[2 * i] = groups[i] >>> 8;
    out[2 * i + 1] = groups[i] & 0xff;
  }
  return out;
}

export function isIPv4(host: string): boolean {
  return parseIPv4(host) >= 0;
}

export function isIPv6(host: string): boolean {
  return parseIPv6(host) !== undefined;
}

/** 4 or 6 for an IP literal, 0 for anything else (a host name). */
export function ipFamily(host: string): 0 | IpFamily {
  if (parseIPv4(host) >= 0) return 4;
  return parseIPv6(host) ? 6 : 0;
}

/** 4 bytes for an IPv4 literal, 16 for IPv6, undefined for anything else. */
export function ipToBytes(host: string): Uint8Array | undefined {
  const v4 = parseIPv4(host);
  if (v4 >= 0) return Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 0xff, (v4 >>> 8) & 0xff, v4 & 0xff);
  return parseIPv6(host);
}

/** 4 bytes for an IPv4 literal or an IPv4-mapped IPv6 one (`::ffff:a.b.c.d`), else undefined. */
export function ipv4Bytes(host: string): Uint8Array | undefined {
  const b = ipToBytes(host);
  if (!b || b.length === 4) return b;
  return isV4Mapped(b) ? b.slice(12) : undefined;
}

/** 16 bytes for an IPv6 literal (an IPv4 one is not), else undefined. */
export function ipv6Bytes(host: string): Uint8Array | undefined {
  return parseIPv6(host);
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** The canonical text of the IP at `b[offset..]`: 4 bytes for family 4, 16 for family 6 (RFC 5952). */
export function ipFromBytes(b: Uint8Array, offset: number, family: IpFamily): string {
  if (family === 4) return `${b[offset]}.${b[offset + 1]}.${b[offset + 2]}.${b[offset + 3]}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[offset + i] << 8) | b[offset + i + 1]);
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** The canonical text of a 4- or 16-byte address. */
export function bytesToIp(b: Uint8Array): string {
  if (b.length !== 4 && b.length !== 16) throw new RangeError(`an IP address is 4 or 16 bytes, got ${b.length}`);
  return ipFromBytes(b, 0, b.length === 4 ? 4 : 6);
}

/** The compact form of an address (6 or 18 bytes); undefined when the host is not an IP literal or the port is out of range. */
export function encodePeer(a: Address): Uint8Array | undefined {
  if (!(Number.isInteger(a.port) && a.port >= 0 && a.port < 65536)) return undefined;
  const ip = ipToBytes(a.host);
  if (!ip) return undefined;
  const out = new Uint8Array(ip.length + 2);
  writeCompactPeer(a, ip, out, 0);
  return out;
}

/** Decodes one compact address (6 or 18 bytes); undefined for any other length or port 0. */
export function decodePeer(b: Uint8Array): Address | undefined {
  if (b.length !== COMPACT_IPV4_LENGTH && b.length !== COMPACT_IPV6_LENGTH) return undefined;
  const n = b.length - 2;
  const port = (b[n] << 8) | b[n + 1];
  if (port === 0) return undefined;
  return { host: ipFromBytes(b, 0, n === 4 ? 4 : 6), port };
}

/** Writes `ip` (the bytes of `a.host`) and `a.port` into `out` at `offset`; returns the new offset. */
export function writeCompactPeer(a: Address, ip: Uint8Array, out: Uint8Array, offset: number): number {
  out.set(ip, offset);
  out[offset + ip.length] = a.port >>> 8;
  out[offset + ip.length + 1] = a.port & 0xff;
  return offset + ip.length + 2;
}

/** Reads `count` compact addresses of `ipLength` (4 or 16) bytes each from `b` (port 0 kept: callers decide). */
export function readCompactPeers(b: Uint8Array, ipLength: 4 | 16, count: number): Address[] {
  const size = ipLength + 2;
  const out: Address[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * size;
    out.push({ host: ipFromBytes(b, o, ipLength === 4 ? 4 : 6), port: (b[o + ipLength] << 8) | b[o + ipLength + 1] });
  }
  return out;
}

/** Decodes a concatenation of compact addresses of one family; a trailing partial entry and port-0 entries are skipped. */
export function decodeCompactList(b: Uint8Array, family: IpFamily, out: Address[] = []): Address[] {
  const ipLen = family === 4 ? 4 : 16;
  const size = ipLen + 2;
  for (let i = 0; i + size <= b.length; i += size) {
    const port = (b[i + ipLen] << 8) | b[i + ipLen + 1];
    if (port === 0) continue;
    out.push({ host: ipFromBytes(b, i, family), port });
  }
  return out;
}

/** Encodes the addresses of one family as a concatenation (others, and hosts that are not IP literals, are skipped). */
export function encodeCompactList(peers: readonly Address[], family: IpFamily): Uint8Array {
  const size = family === 4 ? COMPACT_IPV4_LENGTH : COMPACT_IPV6_LENGTH;
  const out = new Uint8Array(peers.length * size);
  let o = 0;
  for (const p of peers) {
    const ip = family === 4 ? ipv4Bytes(p.host) : ipv6Bytes(p.host);
    if (!ip) continue;
    o = writeCompactPeer(p, ip, out, o);
  }
  return out.subarray(0, o);
}
