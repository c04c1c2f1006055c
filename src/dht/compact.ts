/**
 * Compact encodings (BEP 5, BEP 32): peer info is the IP followed by the port, big endian
 * (6 bytes for IPv4, 18 for IPv6); node info is the 20-byte id followed by the peer info
 * (26 / 38 bytes). `nodes` and `nodes6` are concatenations of node infos.
 */
import type { Address } from '../runtime/types.js';
import { COMPACT_IPV4_LENGTH, COMPACT_IPV6_LENGTH, encodePeer, ipFromBytes, parseIPv4 } from '../util/compact-address.js';

// IP literals and compact peer info are the shared codec's (the same rules as PEX and trackers).
export { decodePeer, encodePeer, ipFromBytes, ipToBytes as ipBytes, parseIPv4 } from '../util/compact-address.js';
import { ID_BYTES, type NodeId } from './node-id.js';

export interface Contact {
  readonly id: NodeId;
  readonly address: Address;
  /** `parseIPv4(address.host)`, when the holder keeps it (saves parsing on every reply). */
  readonly ip4?: number;
  /** `address.port`, when the holder keeps it. */
  readonly port?: number;
}

export type Family = 4 | 6;

/**
 * A contact that keeps its address as numbers (an IPv4 address as an int32, a small integer
 * in the object; IPv6 as a host string): one heap object besides the id string, where an
 * address object and a host string would be two more. Lookups and routing tables hold many
 * of these; `address` builds the object on use.
 */
export class PackedContact implements Contact {
  constructor(
    readonly id: NodeId,
    /** IPv4 address as a signed 32-bit number (0 for IPv6). */
    readonly ip: number,
    /** The IPv6 host, or null for IPv4. */
    readonly host6: string | null,
    readonly port: number,
  ) {}

  get address(): Address {
    return { host: this.host6 ?? formatIPv4(this.ip), port: this.port };
  }

  /** The IPv4 address as an unsigned number, -1 for IPv6 (what `encodeNodes` reads). */
  get ip4(): number {
    return this.host6 === null ? this.ip >>> 0 : -1;
  }

  get family(): Family {
    return this.host6 === null ? 4 : 6;
  }

  /** Whether it is at `a`; `v4` is `parseIPv4(a.host)`. */
  isAt(a: Address, v4: number): boolean {
    if (this.port !== a.port) return false;
    return v4 >= 0 ? this.host6 === null && this.ip === (v4 | 0) : this.host6 === a.host;
  }
}

/** A (signed or unsigned) 32-bit IPv4 address as a dotted quad. */
export function formatIPv4(ip: number): string {
  return `${(ip >>> 24) & 0xff}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** A contact's address family, without building its address when it is packed. */
export function contactFamily(c: Contact): Family {
  return c instanceof PackedContact ? c.family : familyOf(c.address.host);
}

export const COMPACT_PEER_V4 = COMPACT_IPV4_LENGTH;
export const COMPACT_PEER_V6 = COMPACT_IPV6_LENGTH;
export const COMPACT_NODE_V4 = ID_BYTES + COMPACT_PEER_V4;
export const COMPACT_NODE_V6 = ID_BYTES + COMPACT_PEER_V6;

export function familyOf(host: string): Family {
  return host.includes(':') ? 6 : 4;
}

/**
 * Decodes a `nodes` (family 4) or `nodes6` (family 6) string, `b[start, end)`. A trailing
 * partial entry and entries with port 0 are skipped; at most `max` contacts are returned.
 */
export function decodeNodes(b: Uint8Array, family: Family, max = 64, start = 0, end = b.length): PackedContact[] {
  const size = family === 4 ? COMPACT_NODE_V4 : COMPACT_NODE_V6;
  const out: PackedContact[] = [];
  const ipLen = family === 4 ? 4 : 16;
  for (let o = start; o + size <= end && out.length < max; o += size) {
    const p = o + ID_BYTES;
    const port = (b[p + ipLen] << 8) | b[p + ipLen + 1];
    if (port === 0) continue;
    const id = String.fromCharCode(b[o], b[o + 1], b[o + 2], b[o + 3], b[o + 4], b[o + 5], b[o + 6], b[o + 7], b[o + 8], b[o + 9],
      b[o + 10], b[o + 11], b[o + 12], b[o + 13], b[o + 14], b[o + 15], b[o + 16], b[o + 17], b[o + 18], b[o + 19]);
    if (family === 4) out.push(new PackedContact(id, (b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3], null, port));
    else out.push(new PackedContact(id, 0, ipFromBytes(b, p, 6), port));
  }
  return out;
}

/** Encodes contacts of one family as a `nodes` / `nodes6` string (others are skipped). */
export function encodeNodes(contacts: readonly Contact[], family: Family): Uint8Array {
  const size = family === 4 ? COMPACT_NODE_V4 : COMPACT_NODE_V6;
  const out = new Uint8Array(contacts.length * size);
  const end = encodeNodesInto(contacts, family, out, 0);
  return end === out.length ? out : out.slice(0, end);
}

/** How many bytes `encodeNodes` makes of `contacts` (without making them). */
export function encodedNodesLength(contacts: readonly Contact[], family: Family): number {
  if (family !== 4) return encodeNodes(contacts, family).length;
  let n = 0;
  for (let i = 0; i < contacts.length; i++) if (compactV4(contacts[i]) >= 0) n += COMPACT_NODE_V4;
  return n;
}

/** IPv4 contacts: the address as a number, or -1 when it cannot be encoded. */
function compactV4(c: Contact): number {
  const v4 = c.ip4 ?? parseIPv4(c.address.host);
  const port = c.port ?? c.address.port;
  return v4 >= 0 && port > 0 && port < 65536 ? v4 : -1;
}

/** Writes `encodeNodes(contacts, family)` into `out` at `offset` (room for every contact is the caller's); returns the end. */
export function encodeNodesInto(contacts: readonly Contact[], family: Family, out: Uint8Array, offset: number): number {
  const size = family === 4 ? COMPACT_NODE_V4 : COMPACT_NODE_V6;
  let o = offset;
  for (let j = 0; j < contacts.length; j++) {
    const c = contacts[j];
    const id = c.id;
    if (family === 4) {
      const v4 = compactV4(c);
      if (v4 < 0) continue;
      const port = c.port ?? c.address.port;
      for (let i = 0; i < ID_BYTES; i++) out[o + i] = id.charCodeAt(i);
      out[o + 20] = v4 >>> 24;
      out[o + 21] = (v4 >>> 16) & 0xff;
      out[o + 22] = (v4 >>> 8) & 0xff;
      out[o + 23] = v4 & 0xff;
      out[o + 24] = port >>> 8;
      out[o + 25] = port & 0xff;
      o += size;
      continue;
    }
    const address = c.address;
    if (familyOf(address.host) !== family) continue;
    const peer = encodePeer(address);
    if (peer === undefined || peer.length + ID_BYTES !== size) continue;
    for (let i = 0; i < ID_BYTES; i++) out[o + i] = id.charCodeAt(i);
    out.set(peer, o + ID_BYTES);
    o += size;
  }
  return o;
}

/** A stable string key for an address (`host:port`, IPv6 in brackets). */
export function addressKey(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
