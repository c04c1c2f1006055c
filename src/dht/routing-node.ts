/**
 * A routing table entry and the small helpers the table uses to find and order entries
 * (split out of routing-table.ts to keep each file to one job).
 */
import type { Address } from '../runtime/types.js';
import { PackedContact, parseIPv4, type Contact } from './compact.js';

import { compareDistance, idPrefix, type NodeId } from './node-id.js';

/**
 * A routing table entry: a packed contact (address as numbers, see `PackedContact`) with
 * its state. Tables hold millions of these in a big simulation: two heap objects per entry
 * (this and the id string).
 */
export class RoutingNode extends PackedContact {
  /** `idPrefix(id)`, for fast distance comparisons. */
  readonly prefix: number;
  /** Last time it answered one of our queries (whole clock ms; integers stay unboxed); -1 while unverified. */
  lastResponse: number;
  /** Last time it queried us (whole clock ms), or -1. */
  lastQuery = -1;
  /** Queries in a row that timed out. */
  failures = 0;
  /** Smoothed round-trip time, whole ms (0 when unknown). */
  rtt = 0;
  constructor(id: NodeId, ip: number, host6: string | null, port: number, now: number) {
    super(id, ip, host6, port);
    this.prefix = idPrefix(id);
    this.lastResponse = Math.floor(now);
  }

  /** An entry for a contact (packed already, or parsed from its address). */
  static of(c: Contact, now: number): RoutingNode {
    if (c instanceof PackedContact) return new RoutingNode(c.id, c.ip, c.host6, c.port, now);
    return RoutingNode.at(c.id, c.address, now);
  }

  static at(id: NodeId, address: Address, now: number): RoutingNode {
    const v4 = parseIPv4(address.host);
    return new RoutingNode(id, v4 >= 0 ? v4 | 0 : 0, v4 >= 0 ? null : address.host, address.port, now);
  }

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

/** Whether two entries are at the same address. */
export function sameEntryAddress(a: RoutingNode, b: RoutingNode): boolean {
  return a.port === b.port && a.ip === b.ip && a.host6 === b.host6;
}
