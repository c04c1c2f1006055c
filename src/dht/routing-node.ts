/**
 * A routing table entry as the table hands it out: a snapshot (the table itself keeps its
 * entries packed, see ./packed-entries.ts), so changing it changes nothing in the table.
 */
import { PackedContact } from './compact.js';
import type { NodeId } from './node-id.js';

export class RoutingNode extends PackedContact {
  /** Last time it answered one of our queries (whole clock ms); -1 while unverified. */
  lastResponse: number;
  /** Last time it queried us (whole clock ms), or -1. */
  lastQuery = -1;
  /** Queries in a row that timed out. */
  failures = 0;
  /** Smoothed round-trip time, whole ms (0 when unknown). */
  rtt = 0;
  constructor(id: NodeId, ip: number, host6: string | null, port: number, lastResponse: number) {
    super(id, ip, host6, port);
    this.lastResponse = lastResponse;
  }

  /** Answered at least once (not just heard about). */
  get verified(): boolean {
    return this.lastResponse >= 0;
  }

  lastSeen(): number {
    return this.lastQuery > this.lastResponse ? this.lastQuery : this.lastResponse;
  }
}
