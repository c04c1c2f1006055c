import { ipv4Bytes, parseIPv6 } from './compact-address.js';

/**
 * The keys one source of traffic is counted or remembered under, one rule for every caller
 * (bans, reputation, tracker and DHT quotas, the DHT peer store):
 * - `sourceKey`: the IPv4 address, or the /64 of an IPv6 one (`2001:db8:1:2::/64`: one host
 *   usually holds a whole /64, so counting single IPv6 addresses would cap nothing);
 * - `prefixKey`: the IPv4 /24 or the IPv6 /48, the units BEP 42 reasons in (one operator, one
 *   network).
 * An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, what a dual-stack socket reports for an IPv4
 * peer) keys as the IPv4 address. An address is given as text (a host) or as bytes: 4 or 16
 * bytes of IP, or a compact peer (6 or 18 bytes: the IP, then the port). Text that is no IP
 * literal (a host name) is its own key, lower-cased.
 */
export type SourceAddress = string | Uint8Array;

/** The IP bytes of `addr` (4 for IPv4, IPv4-mapped included; 16 for IPv6), or undefined for a host name. */
function ipOf(addr: SourceAddress): Uint8Array | undefined {
  if (typeof addr === 'string') return ipv4Bytes(addr) ?? parseIPv6(addr);
  let n: number;
  if (addr.length === 4 || addr.length === 6) n = 4;
  else if (addr.length === 16 || addr.length === 18) n = 16;
  else throw new RangeError(`an address is 4, 6, 16 or 18 bytes, got ${addr.length}`);
  if (n === 16 && isV4Mapped(addr)) return addr.subarray(12, 16);
  return addr.subarray(0, n);
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** The first `groups` 16-bit groups of an IPv6 address, in hex, then `::/bits`. */
function v6Prefix(ip: Uint8Array, groups: number): string {
  let s = '';
  for (let i = 0; i < groups; i++) s += `${((ip[2 * i] << 8) | ip[2 * i + 1]).toString(16)}:`;
  return `${s}:/${groups * 16}`;
}

/**
 * An IPv4 address in its canonical text (four decimal octets, no leading zeros): its own
 * source key. The fast path of `sourceKey`, which the swarm asks per address learnt and per
 * connection counted: a test instead of parsing into bytes and printing them again.
 */
const CANONICAL_IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The IPv4 address or the IPv6 /64 of `addr`. */
export function sourceKey(addr: SourceAddress): string {
  if (typeof addr === 'string' && CANONICAL_IPV4.test(addr)) return addr;
  const ip = ipOf(addr);
  if (ip === undefined) return (addr as string).toLowerCase();
  return ip.length === 4 ? `${ip[0]}.${ip[1]}.${ip[2]}.${ip[3]}` : v6Prefix(ip, 4);
}

/** The IPv4 /24 or the IPv6 /48 of `addr` (BEP 42's prefixes). */
export function prefixKey(addr: SourceAddress): string {
  const ip = ipOf(addr);
  if (ip === undefined) return (addr as string).toLowerCase();
  return ip.length === 4 ? `${ip[0]}.${ip[1]}.${ip[2]}.0/24` : v6Prefix(ip, 3);
}
