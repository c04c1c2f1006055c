/**
 * The iterative Kademlia lookup (BEP 5), as its own module: it knows nothing of KRPC. It
 * is driven by an injected `query` function, so one traversal serves find_node, get_peers
 * and BEP 44 get, and unit tests drive it with a fake network.
 *
 * Candidates are kept sorted by XOR distance to the target. The lookup keeps up to `alpha`
 * queries in flight to the closest unqueried candidates among the `k` closest that have not
 * failed. Only queries to candidates inside that window count against `alpha` (libtorrent's
 * "aggressive" lookups): when an answer names closer nodes, the queries to nodes it pushed
 * out of the window stop holding slots, so the closer nodes are asked at once instead of
 * after those answers. A query that is slow (its soft timeout passed) stops counting against
 * `alpha` and stops holding a place in the window, so the next candidate is asked at once: a
 * run of dead nodes among the closest is found out in parallel, not one hard timeout after
 * another (that chain made lookups under churn take 4-16 s). A slow node's answer is still
 * used if it comes, and while it is among the k closest the lookup waits for it, so a slow
 * node that is truly among the closest is not left out; but once nothing else is left to ask
 * or wait for, the lookup is "stalled": it tells its owner (`onStalled`, with when the
 * longest-awaited of those went slow), and the owner gives up on each slow node a grace after
 * *it* went slow (`giveUpSlow`), instead of waiting out every hard timeout. The grace runs
 * from each query's own soft timeout, not from the stall: a dead node asked early in a
 * lookup has usually served most of it by the time the others have answered (under churn
 * almost every lookup ends waiting on departed nodes among its k closest, so this wait was
 * most of a lookup's time). The lookup ends when the `k` closest candidates that have not
 * failed or been given up have all answered (or nothing is left to ask).
 */
import type { Contact } from './compact.js';
import { smallHash } from '../util/small-hash.js';
import { compareDistance, idPrefix, type NodeId } from './node-id.js';

export const enum CandidateState {
  Fresh = 0,
  InFlight = 1,
  Slow = 2,
  Responded = 3,
  Failed = 4,
  /** Slow for longer than the owner's grace: no longer waited for (its late answer still counts). */
  GaveUp = 5,
}

export interface Candidate<R> {
  readonly contact: Contact;
  /** XOR of the first 24 bits of the id and the target (orders most pairs without a full compare). */
  readonly d: number;
  state: CandidateState;
  /** 1 for seeds, n + 1 for a node learned from a node at hop n. */
  readonly hop: number;
  /** When its query was reported slow (the `now` option's clock, whole ms; 0 until then). */
  slowAt: number;
  /** What the node answered (for get_peers: its token, values...). */
  reply?: R;
}

/** What the injected query reports: `reply` with the answer and the contacts it named, `slow` once, `fail` on timeout or error. */
export interface QueryCallbacks<R> {
  reply(reply: R, contacts: readonly Contact[]): void;
  slow(): void;
  fail(): void;
}

export interface TraversalOptions<R> {
  readonly target: NodeId;
  /** Contacts to start from (usually our routing table's closest). */
  readonly seeds: readonly Contact[];
  /** Sends the query to `contact`; exactly one of reply / fail must follow (slow may come first). */
  readonly query: (contact: Contact, callbacks: QueryCallbacks<R>) => void;
  /** Results wanted (Kademlia's k). Default 8. */
  readonly k?: number;
  /** Queries in flight. Default 3. */
  readonly alpha?: number;
  /**
   * Count only queries inside the k-closest window against `alpha` (libtorrent's aggressive
   * lookups: faster, about a tenth more queries). Default true; joins and refreshes, where
   * time matters less than traffic, turn it off.
   */
  readonly aggressive?: boolean;
  /** Most candidates remembered (farther ones are dropped). Default 4k + 16. */
  readonly maxCandidates?: number;
  /** Skip contacts named in replies (e.g. ourselves, BEP 42 violators). */
  readonly acceptContact?: (c: Contact) => boolean;
  /** Called on each answer, after the candidates are updated. */
  readonly onReply?: (candidate: Candidate<R>) => void;
  /** The owner's clock (ms), to stamp when a query went slow. Default: always 0. */
  readonly now?: () => number;
  /**
   * Called when the lookup waits only on slow queries among the k closest (each time it
   * becomes so), with the earliest time one of those went slow. The owner gives up on slow
   * queries after a grace with `giveUpSlow()` (or ends the lookup with `endIfStalled()`).
   */
  readonly onStalled?: (earliestSlowAt: number) => void;
  /** Called once when the lookup ends. */
  readonly onDone: (result: TraversalResult<R>) => void;
}

export interface TraversalResult<R> {
  /** The closest nodes that answered, closest first (at most k). */
  readonly closest: readonly Candidate<R>[];
  readonly queried: number;
  readonly responded: number;
  readonly failed: number;
  /** The hop at which the closest answering node was reached (0 when none answered). */
  readonly hops: number;
  /** True when it was stopped by `cancel()`. */
  readonly cancelled: boolean;
}

export class Traversal<R> {
  readonly target: NodeId;
  private readonly targetPrefix: number;
  private readonly k: number;
  private readonly alpha: number;
  private readonly aggressive: boolean;
  /** Queries in flight and not yet slow, anywhere in the list. */
  private inFlight = 0;
  private readonly maxCandidates: number;
  private readonly opts: TraversalOptions<R>;
  private readonly candidates: Candidate<R>[] = [];
  /**
   * Ids seen, by a 30-bit hash (`idKey`); the value confirms it (the id, or every id with
   * that hash). A small-integer key: a `Set` of the fresh id strings each reply decodes read
   * old key strings on every probe (4% of a 20,000-node simulation's CPU).
   */
  private readonly seen = new Map<number, NodeId | NodeId[]>();
  private queriedCount = 0;
  private respondedCount = 0;
  private failedCount = 0;
  private finished = false;
  private started = false;

  constructor(options: TraversalOptions<R>) {
    this.opts = options;
    this.target = options.target;
    this.targetPrefix = idPrefix(options.target);
    this.k = options.k ?? 8;
    this.alpha = options.alpha ?? 3;
    this.aggressive = options.aggressive ?? true;
    this.maxCandidates = options.maxCandidates ?? 4 * this.k + 16;
    for (const s of options.seeds) this.add(s, 1);
  }

  get done(): boolean {
    return this.finished;
  }

  /** Starts querying. Ends at once (with no results) when there are no seeds. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.step();
  }

  /** Stops the lookup; late answers are ignored. `onDone` runs with `cancelled: true`. */
  cancel(): void {
    if (this.finished) return;
    this.finish(true);
  }

  /** Adds contacts learned elsewhere (e.g. a bootstrap router's reply) to a running lookup. */
  addContacts(contacts: readonly Contact[], hop = 1): void {
    if (this.finished) return;
    const accept = this.opts.acceptContact;
    for (const c of contacts) if (accept === undefined || accept(c)) this.add(c, hop);
    if (this.started) this.step();
  }

  /** The candidates, closest first (for inspection and tests). */
  list(): readonly Candidate<R>[] {
    return this.candidates;
  }

  /**
   * Adds a contact unless its id is known already. (Several ids at one address are allowed
   * here: only the one the address answers with will count, see lookups.ts.)
   */
  private add(c: Contact, hop: number): void {
    const key = idKey(c.id);
    const same = this.seen.get(key);
    if (same !== undefined && (same === c.id || (typeof same !== 'string' && same.includes(c.id)))) return;
    const list = this.candidates;
    const target = this.target;
    const d = idPrefix(c.id) ^ this.targetPrefix;
    const n = list.length;
    if (n >= this.maxCandidates && farther(d, c.id, list[n - 1], target) >= 0) return;
    if (same === undefined) this.seen.set(key, c.id);
    else if (typeof same === 'string') this.seen.set(key, [same, c.id]);
    else same.push(c.id);
    // Binary search for the insertion point.
    let lo = 0, hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (farther(d, c.id, list[mid], target) > 0) lo = mid + 1;
      else hi = mid;
    }
    // Shifting by hand: `splice` is a generic builtin, several times slower on lists this short.
    const fresh: Candidate<R> = { contact: c, d, state: CandidateState.Fresh, hop, slowAt: 0 };
    list.push(fresh);
    for (let i = n; i > lo; i--) list[i] = list[i - 1];
    list[lo] = fresh;
    if (list.length > this.maxCandidates) {
      // Drop the farthest candidate that is not waiting on a query.
      for (let i = list.length - 1; i >= 0; i--) {
        const s = list[i].state;
        if (s !== CandidateState.InFlight && s !== CandidateState.Slow) {
          for (let j = i + 1; j < list.length; j++) list[j - 1] = list[j];
          list.length--;
          break;
        }
      }
    }
  }

  private stepping = false;
  private again = false;

  /** Re-entrancy safe: a query that fails synchronously asks for another pass instead of nesting. */
  private step(): void {
    if (this.stepping) {
      this.again = true;
      return;
    }
    this.stepping = true;
    try {
      do {
        this.again = false;
        this.stepOnce();
      } while (this.again && !this.finished);
    } finally {
      this.stepping = false;
    }
  }

  private stepOnce(): void {
    if (this.finished) return;
    const list = this.candidates;
    // The window: the closest candidates that answered, are in flight or are still to ask.
    // Slow and failed candidates hold no place in it.
    let window = 0;
    // Candidates that have not failed, slow ones included: a slow one among the first k is waited for.
    let rank = 0;
    // Queries holding alpha slots: those inside the window (aggressive), or all in flight.
    let outstanding = this.aggressive ? 0 : this.inFlight;
    let busy = false;
    let slowAmongClosest = false;
    let earliestSlowAt = Infinity;
    for (let i = 0; i < list.length && window < this.k; i++) {
      const c = list[i];
      const s = c.state;
      if (s >= CandidateState.Failed) continue;
      if (s === CandidateState.Slow) {
        if (rank < this.k) {
          slowAmongClosest = true;
          if (c.slowAt < earliestSlowAt) earliestSlowAt = c.slowAt;
        }
        rank++;
        continue;
      }
      rank++;
      window++;
      if (s === CandidateState.InFlight) {
        if (this.aggressive) outstanding++;
        busy = true;
      } else if (s === CandidateState.Fresh) {
        busy = true;
        if (outstanding < this.alpha) {
          outstanding++;
          this.send(c);
        }
      }
    }
    // Done when the window is all answers and no slow node among the k closest is awaited.
    if (!busy && !slowAmongClosest) this.finish(false);
    else if (!busy) this.opts.onStalled?.(earliestSlowAt);
  }

  /**
   * Stops waiting for the slow queries that went slow at or before `cutoff` (the owner's
   * clock): they hold no place among the k closest any more, so the lookup ends or asks the
   * next candidate. A late answer from one is still used while the lookup runs.
   */
  giveUpSlow(cutoff: number): void {
    if (this.finished || !this.started) return;
    for (const c of this.candidates) if (c.state === CandidateState.Slow && c.slowAt <= cutoff) c.state = CandidateState.GaveUp;
    this.step(); // even when none was given up (the owner's grace changed): a stall is reported again
  }

  /**
   * Ends the lookup if it is waiting only on slow queries (the owner's grace after
   * `onStalled` ran out); a late answer that came meanwhile and named closer nodes keeps it going.
   */
  endIfStalled(): void {
    if (this.finished || !this.started) return;
    const list = this.candidates;
    let window = 0;
    for (let i = 0; i < list.length && window < this.k; i++) {
      const s = list[i].state;
      if (s >= CandidateState.Failed || s === CandidateState.Slow) continue;
      window++;
      if (s !== CandidateState.Responded) return;
    }
    this.finish(false);
  }

  private send(c: Candidate<R>): void {
    c.state = CandidateState.InFlight;
    this.inFlight++;
    this.queriedCount++;
    this.opts.query(c.contact, new PendingQuery(this, c));
  }

  /** An answer to the query to `c` (called once, by its `PendingQuery`). */
  answered(c: Candidate<R>, reply: R, contacts: readonly Contact[]): void {
    if (c.state === CandidateState.InFlight) this.inFlight--;
    if (this.finished) return;
    c.state = CandidateState.Responded;
    c.reply = reply;
    this.respondedCount++;
    const accept = this.opts.acceptContact;
    for (const n of contacts) if (accept === undefined || accept(n)) this.add(n, c.hop + 1);
    this.opts.onReply?.(c);
    this.step();
  }

  slowed(c: Candidate<R>): void {
    if (c.state === CandidateState.InFlight) this.inFlight--;
    if (this.finished) return;
    c.state = CandidateState.Slow;
    // Whole ms: a small integer keeps the field unboxed (a double field costs every candidate a heap number).
    c.slowAt = Math.floor(this.opts.now?.() ?? 0);
    this.step();
  }

  failed(c: Candidate<R>): void {
    if (c.state === CandidateState.InFlight) this.inFlight--;
    if (this.finished) return;
    if (c.state === CandidateState.GaveUp) {
      c.state = CandidateState.Failed;
      this.failedCount++;
      return; // it held no place already: nothing to step
    }
    c.state = CandidateState.Failed;
    this.failedCount++;
    this.step();
  }

  private finish(cancelled: boolean): void {
    this.finished = true;
    const closest: Candidate<R>[] = [];
    for (const c of this.candidates) {
      if (c.state !== CandidateState.Responded) continue;
      closest.push(c);
      if (closest.length >= this.k) break;
    }
    this.opts.onDone({
      closest,
      queried: this.queriedCount,
      responded: this.respondedCount,
      failed: this.failedCount,
      hops: closest.length > 0 ? closest[0].hop : 0,
      cancelled,
    });
  }
}

/** Compares a new contact (prefix distance `d`, id `id`) with a candidate: > 0 when the contact is farther. */
function farther<R>(d: number, id: NodeId, c: Candidate<R>, target: NodeId): number {
  return d !== c.d ? d - c.d : compareDistance(id, c.contact.id, target);
}

/** The callbacks of one query: one object per query (not a closure per callback), as lookups send many. */
class PendingQuery<R> implements QueryCallbacks<R> {
  private settled = false;
  private wasSlow = false;
  constructor(private readonly t: Traversal<R>, private readonly c: Candidate<R>) {}

  reply(reply: R, contacts: readonly Contact[]): void {
    if (this.settled) return;
    this.settled = true;
    this.t.answered(this.c, reply, contacts);
  }

  slow(): void {
    if (this.settled || this.wasSlow) return;
    this.wasSlow = true;
    this.t.slowed(this.c);
  }

  fail(): void {
    if (this.settled) return;
    this.settled = true;
    this.t.failed(this.c);
  }
}

/** A 30-bit hash of an id (util/small-hash.ts), a small integer. */
export const idKey: (id: NodeId) => number = smallHash;
