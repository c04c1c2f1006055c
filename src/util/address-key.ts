/**
 * A compact key for an address in tables that hold thousands (a torrent's peer pool holds up
 * to 2,000 candidates and 2,000 forgotten addresses, per torrent): a canonical IPv4 literal
 * and its port as one number, `ip * 65536 + port` (exact in a double), with no string to build
 * and hash per lookup; anything else (IPv6, a non-canonical text) as `host|port`. Two
 * addresses get the same key exactly when their host texts and ports are equal.
 */
import type { Address } from '../runtime/types.js';
import { parseIPv4 } from './compact-address.js';

export type AddressKey = number | string;

export function addressKey(a: Address): AddressKey {
  const ip = parseIPv4(a.host); // the one strict parser: no leading zeros, no allocation
  const port = a.port;
  if (ip >= 0 && Number.isInteger(port) && port >= 0 && port <= 65535) return ip * 65536 + port;
  return `${a.host}|${port}`;
}
