/**
 * A routing table entry and the small helpers the table uses to find and order entries
 * (split out of routing-table.ts to keep each file to one job).
 */
import type { Address } from '../runtime/types.js';
import { parseIPv4, type Contact } from './compact.js';
import { compareDistance, idPrefix, type NodeId } from './node-id.js';

/**
 * A routing table entry. Tables hold millions of these in a big simulation, so an entry
 * keeps its address as numbers (an IPv4 address as an int32, which stays a small integer
 * in the object) instead of an address object and a host string: two heap objects per
 * entry (this and the id string) instead of four. `address` builds the object on use.
 */
export class RoutingNode implements Contact {
  readonly id: NodeId;
  /** `idPrefix(id)`, for fast distance comparisons. */
  readonly prefix: number;
  /** IPv4 address as a signed 32-bit number (0 for IPv6). */
  readonly ip: number;
  /** The IPv6 host, or null for IPv4. */
  readonly host6: string | null;
  readonly port: number;
  /** Last time it answered one of our queries (whole clock ms; integers stay unboxed); -1 while unverified. */
  lastResponse: number;
  /** Last time it queried us (whole clock ms), or -1. */
  lastQuery = -1;
  /** Queries in a row that timed out. */
  failures = 0;
  /** Smoothed round-trip time, whole ms (0 when unknown). */
  rtt = 0;
  constructor(id: NodeId, address: Address, now: number) {
    this.id = id;
    this.prefix = idPrefix(id);
    const v4 = parseIPv4(address.host);
    this.ip = v4 >= 0 ? v4 | 0 : 0;
    this.host6 = v4 >= 0 ? null : address.host;
    this.port = address.port;
    this.lastResponse = Math.floor(now);
  }
  get address(): Address {
    return { host: this.host6 ?? formatIPv4(this.ip), port: this.port };
  }
  /** The IPv4 address as an unsigned number, -1 for IPv6 (what `encodeNodes` reads). */
  get ip4(): number {
    return this.host6 === null ? this.ip >>> 0 : -1;
  }
  /** Whether it is at `a`; `v4` is `parseIPv4(a.host)`. */
  isAt(a: Address, v4: number): boolean {
    if (this.port !== a.port) return false;
    return v4 >= 0 ? this.host6 === null && this.ip === (v4 | 0) : this.host6 === a.host;
  }
  /** Answered at least once (not just heard about). */
  get verified(): boolean {
    return this.lastResponse >= 0;
  }
  lastSeen(): number {
    return this.lastQuery > this.lastResponse ? this.lastQuery : this.lastResponse;
  }
}

/** A (signed or unsigned) 32-bit IPv4 address as a dotted quad. */
export function formatIPv4(ip: number): string {
  return `${(ip >>> 24) & 0xff}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`;
}

/** Orders two nodes by distance to a target whose prefix is `tp`: prefixes first, full ids on a tie. */
export function closer(a: RoutingNode, b: RoutingNode, target: NodeId, tp: number): number {
  const da = a.prefix ^ tp;
  const db = b.prefix ^ tp;
  return da !== db ? da - db : compareDistance(a.id, b.id, target);
}

/** Appends the `count - out.length` closest of `nodes` (sorted) to `out`. */
export function appendSorted(out: RoutingNode[], nodes: RoutingNode[], target: NodeId, count: number): void {
  const tp = idPrefix(target);
  nodes.sort((a, b) => closer(a, b, target, tp));
  for (let i = 0; i < nodes.length && out.length < count; i++) out.push(nodes[i]);
}

/** The `count` closest of `nodes` into the empty `out`, sorted, by insertion (no full sort). */
export function pushClosest(out: RoutingNode[], nodes: readonly RoutingNode[], target: NodeId, count: number, filter?: (n: RoutingNode) => boolean): void {
  const tp = idPrefix(target);
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (filter !== undefined && !filter(n)) continue;
    if (out.length === count && closer(n, out[count - 1], target, tp) >= 0) continue;
    let j = out.length < count ? out.length : count - 1;
    while (j > 0 && closer(n, out[j - 1], target, tp) < 0) {
      out[j] = out[j - 1];
      j--;
    }
    out[j] = n;
  }
}

export function findIn(nodes: readonly RoutingNode[], id: NodeId): RoutingNode | undefined {
  const p = idPrefix(id);
  for (let i = 0; i < nodes.length; i++) if (nodes[i].prefix === p && nodes[i].id === id) return nodes[i];
  return undefined;
}

export function sameAddress(a: Address, b: Address): boolean {
  return a === b || (a.port === b.port && a.host === b.host);
}

/** Whether two entries are at the same address. */
export function sameEntryAddress(a: RoutingNode, b: RoutingNode): boolean {
  return a.port === b.port && a.ip === b.ip && a.host6 === b.host6;
}

export function pushAll(out: RoutingNode[], nodes: readonly RoutingNode[], filter?: (n: RoutingNode) => boolean): void {
  if (filter === undefined) {
    for (let i = 0; i < nodes.length; i++) out.push(nodes[i]);
  } else {
    for (let i = 0; i < nodes.length; i++) if (filter(nodes[i])) out.push(nodes[i]);
  }
}
