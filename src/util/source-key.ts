import { ipv4Bytes, parseIPv6 } from './compact-address.js';

/**
 * The key one source of traffic is counted or remembered under: the IPv4 address, or the /64
 * of an IPv6 one (`2001:db8:1:2::/64`: one host usually holds a whole /64, so counting single
 * IPv6 addresses would cap nothing). Anything else (a host name) is its own key, lower-cased.
 */
export function sourceKey(host: string): string {
  const v4 = ipv4Bytes(host);
  if (v4) return v4.join('.');
  const v6 = parseIPv6(host);
  if (!v6) return host.toLowerCase();
  const g = (i: number): string => ((v6[i] << 8) | v6[i + 1]).toString(16);
  return `${g(0)}:${g(2)}:${g(4)}:${g(6)}::/64`;
}
