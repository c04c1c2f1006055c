/**
 * A routing table entry and the small helpers the table uses to find and order entries
 * (split out of routing-table.ts to keep each file to one job).
 */
import type { Address } from '../runtime/types.js';
import { parseIPv4, type Contact } from './compact.js';
import { compareDistance, idPrefix, type NodeId } from './node-id.js';

export class RoutingNode implements Contact {
  readonly id: NodeId;
  readonly address: Address;
  /** Last time it answered one of our queries (whole clock ms; integers stay unboxed); -1 while unverified. */
  lastResponse: number;
  /** Last time it queried us (whole clock ms), or -1. */
  lastQuery = -1;
  /** Queries in a row that timed out. */
  failures = 0;
  /** Smoothed round-trip time, whole ms (0 when unknown). */
  rtt = 0;
  /** `idPrefix(id)`, for fast distance comparisons. */
  readonly prefix: number;
  /** The IPv4 address as a number (-1 for IPv6), for encoding replies. */
  readonly ip4: number;
  constructor(id: NodeId, address: Address, now: number) {
    this.id = id;
    this.prefix = idPrefix(id);
    this.address = address;
    this.ip4 = parseIPv4(address.host);
    this.lastResponse = Math.floor(now);
  }
  /** Last time we heard from it in a way that counts (BEP 5's "good"). */
  /** Answered at least once (not just heard about). */
  get verified(): boolean {
    return this.lastResponse >= 0;
  }
  lastSeen(): number {
    return this.lastQuery > this.lastResponse ? this.lastQuery : this.lastResponse;
  }
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

export function pushAll(out: RoutingNode[], nodes: readonly RoutingNode[], filter?: (n: RoutingNode) => boolean): void {
  if (filter === undefined) {
    for (let i = 0; i < nodes.length; i++) out.push(nodes[i]);
  } else {
    for (let i = 0; i < nodes.length; i++) if (filter(nodes[i])) out.push(nodes[i]);
  }
}
