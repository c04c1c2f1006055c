/**
 * Chord's recursive lookup: each node forwards the lookup one hop closer (to its closest
 * preceding finger, or to its successor when the key falls in between, marked final) and
 * the node responsible answers the origin directly (FOUND). Every hop is acknowledged;
 * the port re-routes around a hop that is not.
 */
import type { ChordRouting } from './routing.js';
import type { LookupOutcome } from './lookup.js';
import * as M from './messages.js';

export interface RecursivePort {
  readonly routing: ChordRouting;
  readonly selfKey: number;
  /** Sends `m` to `to` as an acknowledged hop (`attempt` for retries); returns nothing. */
  forwardHop(to: number, m: M.RecursiveLookup, received: M.RecursiveLookup, attempt: number): void;
  sendFound(origin: number, qid: number, hops: number): void;
}

/** Output of `closestPreceding`, shared by every router (routing is synchronous). */
const scratchIds: number[] = [];
const scratchKeys: number[] = [];

/** A lookup is dropped after this many hops or re-routing attempts. */
const MAX_HOPS = 64;
const MAX_ATTEMPTS = 3;

export class RecursiveRouter {
  private readonly port: RecursivePort;
  private pending: Map<number, (o: LookupOutcome) => void> | null = null;

  constructor(port: RecursivePort) {
    this.port = port;
  }

  start(qid: number, key: number, done: (o: LookupOutcome) => void): void {
    (this.pending ??= new Map()).set(qid, done);
    this.route({ hopTx: 0, qid, origin: this.port.selfKey, key, hops: 0, final: false }, 0);
  }

  /** A FOUND came back for one of our lookups. */
  found(qid: number, hops: number, id: number, key: number): void {
    const done = this.pending?.get(qid);
    if (done === undefined) return;
    this.pending!.delete(qid);
    done({ found: true, hops, id, key, value: null });
  }

  clear(): void {
    this.pending = null;
  }

  /** One step at this node: deliver, or forward with an acknowledged hop. */
  route(m: M.RecursiveLookup, attempt: number): void {
    const r = this.port.routing;
    if (r.owns(m.key) || (m.final && !r.hasPred)) {
      if (m.origin === this.port.selfKey) this.found(m.qid, m.hops, r.id, this.port.selfKey);
      else this.port.sendFound(m.origin, m.qid, m.hops);
      return;
    }
    let next = -1;
    let final = false;
    if (m.final) {
      next = r.predKey; // the key lies before our predecessor: it is closer to responsible
      final = true;
    } else if (r.successorOwns(m.key)) {
      next = r.succKey(0);
      final = true;
    } else if (r.closestPreceding(m.key, 1, scratchIds, scratchKeys) > 0) next = scratchKeys[0];
    else if (r.succCount > 0) {
      next = r.succKey(0);
      final = true;
    }
    if (next < 0 || attempt > MAX_ATTEMPTS || m.hops >= MAX_HOPS) return;
    this.port.forwardHop(next, { hopTx: 0, qid: m.qid, origin: m.origin, key: m.key, hops: m.hops + 1, final }, m, attempt);
  }
}
