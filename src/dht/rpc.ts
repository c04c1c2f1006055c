/**
 * Outstanding KRPC queries: transaction ids, the soft and hard timeouts of each query, and
 * a cap on how many may be pending at once (a defence limit: a node that is asked to do too
 * much fails new queries at once instead of growing without bound).
 *
 * The soft timeout adapts to the round-trip times this node sees (libtorrent's "short
 * timeout" idea): a query still unanswered after 1.25x the 90th percentile of recent RTTs
 * (from the first 8 answers on) is reported slow, so a lookup sends another query instead of stalling on a dead node,
 * while the slow node's late answer is still used. `softTimeoutMs` is the ceiling.
 */
import type { Address, Clock, Random, TimerHandle } from '../runtime/types.js';
import type { KrpcErrorReply, KrpcResponse } from './krpc.js';
import { SlotPool } from './slot-pool.js';
import { PendingTable } from './pending-table.js';

export interface QueryHandler {
  /** The answer, with the round-trip time in ms. */
  response(msg: KrpcResponse, rttMs: number): void;
  /** A KRPC error reply. */
  error(msg: KrpcErrorReply): void;
  /** No answer before the hard timeout (or the query could not be sent). */
  timeout(): void;
  /** The soft timeout passed; the query is still pending. */
  slow?(): void;
}

export interface RpcOptions {
  /** After this long a pending query is reported slow (a lookup then stops waiting on it), ms. Default 500. */
  softTimeoutMs?: number;
  /** After this long a pending query has failed, ms. Default 4000. */
  timeoutMs?: number;
  /** Most queries pending at once. Default 1024. */
  maxPending?: number;
  /** Adapt the soft timeout to observed RTTs (between `minSoftTimeoutMs` and `softTimeoutMs`). Default true. */
  adaptiveSoftTimeout?: boolean;
  /** Floor of the adaptive soft timeout, ms. Default 100. */
  minSoftTimeoutMs?: number;
}

export const RPC_DEFAULTS = {
  softTimeoutMs: 500, timeoutMs: 4000, maxPending: 1024, adaptiveSoftTimeout: true, minSoftTimeoutMs: 100,
} as const satisfies Required<RpcOptions>;

/** RTT samples kept for the adaptive soft timeout. */
const RTT_SAMPLES = 32;
/**
 * The soft timeout is recomputed every this many samples, from all kept so far: a new node
 * adapts after its first 8 answers (their largest, with the margin) instead of using the
 * ceiling until it has 32. Under churn about a sixth of lookups were asked by nodes that
 * young, and each waited out the 500 ms ceiling (plus twice it in grace) on departed nodes.
 */
const RTT_RECOMPUTE = 8;
const SOFT_MARGIN = 1.25;
/** Every node's RTT ring is a slot of these shared chunks (./slot-pool.ts says why). */
const RTT_RINGS = new SlotPool(RTT_SAMPLES, (n) => new Float64Array(n), (chunk, from, to) => chunk.fill(0, from, to));
/** The samples being sorted for their 90th percentile (synchronous, never re-entered). */
const SORTING = new Float64Array(RTT_SAMPLES);

class Transaction {
  timer: TimerHandle | null = null;
  slowFired = false;
  /** Its place in `Transactions.due` (counted from the first query ever queued), or -1. */
  queuedAt = -1;
  constructor(
    readonly key: number,
    /** Opened this many queries after the node's first (`failAll` fails them in this order). */
    readonly order: number,
    readonly address: Address,
    readonly sentAt: number,
    readonly handler: QueryHandler,
    /** The node id queried, when the query went to a routing table contact (its timeout counts against it). */
    readonly nodeId: string | undefined,
  ) {}
}

const NO_QUERIES: (Transaction | null)[] = [];

/** Hears a timed-out query to a known node id, before its handler does (an object, not a closure: one per node). */
export interface NodeTimeoutListener {
  nodeTimedOut(nodeId: string, address: Address, sentAt: number): void;
}

export class Transactions {
  private readonly clock: Clock;
  private readonly pending = new PendingTable<Transaction>();
  /** Queries opened so far. */
  private opened = 0;
  /** Hears a timed-out query to a known node id (before its handler does). */
  onNodeTimeout: NodeTimeoutListener | null = null;
  private readonly softMs: number;
  private readonly hardMs: number;
  private readonly minSoftMs: number;
  /** Recent RTTs: a ring at `rttAt` in a shared chunk (slot `rttSlot`), or null when the soft timeout is fixed or after `close`. */
  private rtts: Float64Array | null;
  private readonly rttSlot: number;
  private readonly rttAt: number;
  private rttCount = 0;
  /** The soft timeout in use, ms. */
  private currentSoftMs: number;
  private readonly maxPending: number;
  private next: number;
  /**
   * Queries with only a hard timeout (no `slow` handler: pings, announces), in the order
   * sent, from `dueHead` on. Their deadlines (sent + `hardMs`) come in the same order, so one
   * timer, for the first, serves them all instead of one timer each (half of a big
   * simulation's queries are liveness pings, nearly all answered). An answered one's place
   * is cleared at once (kept until its deadline, it would outlive the young generation).
   * Shared empty array while there are none.
   */
  private due: (Transaction | null)[] = NO_QUERIES;
  private dueHead = 0;
  /** `queuedAt` of `due[0]`. */
  private dueBase = 0;
  /** The timer for the first of `due`, and the deadline it was armed for. */
  private dueTimer: TimerHandle | null = null;
  private dueAt = 0;
  /** True while `fireDue` runs (queries its handlers send wait for its re-arm). */
  private firing = false;

  constructor(clock: Clock, random: Random, options: RpcOptions = {}) {
    this.clock = clock;
    this.softMs = options.softTimeoutMs ?? RPC_DEFAULTS.softTimeoutMs;
    this.hardMs = options.timeoutMs ?? RPC_DEFAULTS.timeoutMs;
    this.maxPending = options.maxPending ?? RPC_DEFAULTS.maxPending;
    this.minSoftMs = Math.min(this.softMs, options.minSoftTimeoutMs ?? RPC_DEFAULTS.minSoftTimeoutMs);
    const adaptive = options.adaptiveSoftTimeout ?? RPC_DEFAULTS.adaptiveSoftTimeout;
    this.rttSlot = adaptive ? RTT_RINGS.acquire() : -1;
    this.rtts = adaptive ? RTT_RINGS.chunkOf(this.rttSlot) : null;
    this.rttAt = adaptive ? RTT_RINGS.offsetOf(this.rttSlot) : 0;
    this.currentSoftMs = this.softMs;
    this.next = random.int(65536);
  }

  /** The soft timeout now in use, ms. */
  get softTimeoutMs(): number {
    return this.currentSoftMs;
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * Registers a query to `to` and returns its transaction id (a 16-bit number, sent as two
   * bytes big-endian), or -1 when the pending cap is reached (the caller reports a failure).
   */
  open(to: Address, handler: QueryHandler, nodeId?: string): number {
    if (this.pending.size >= this.maxPending) return -1;
    let key = 0;
    for (let tries = 0; tries < 65536; tries++) {
      key = this.next;
      this.next = (key + 1) & 0xffff;
      if (!this.pending.has(key)) break;
    }
    const tx = new Transaction(key, this.opened++, to, this.clock.now(), handler, nodeId);
    this.pending.add(tx);
    if (handler.slow !== undefined && this.currentSoftMs < this.hardMs) tx.timer = this.clock.setTimer(this.currentSoftMs, () => this.soft(tx));
    else this.enqueue(tx);
    return key;
  }

  private enqueue(tx: Transaction): void {
    if (this.due === NO_QUERIES) this.due = [];
    tx.queuedAt = this.dueBase + this.due.length;
    this.due.push(tx);
    if (this.dueTimer === null && !this.firing) this.armDue(tx.sentAt + this.hardMs);
  }

  /** Clears an answered query's place in `due`. */
  private dequeue(tx: Transaction): void {
    const i = tx.queuedAt - this.dueBase;
    if (i >= 0 && i < this.due.length && this.due[i] === tx) this.due[i] = null;
    tx.queuedAt = -1;
  }

  private armDue(at: number): void {
    this.dueAt = at;
    this.dueTimer = this.clock.setTimer(at - this.clock.now(), () => this.fireDue());
  }

  /** Expires the queued queries whose deadline the timer was armed for (or an earlier one), then arms for the next. */
  private fireDue(): void {
    this.dueTimer = null;
    this.firing = true;
    const q = this.due;
    const until = this.dueAt;
    let h = this.dueHead;
    try {
      while (h < q.length && this.due === q) {
        const tx = q[h];
        if (tx !== null) {
          if (tx.sentAt + this.hardMs > until) break;
          q[h] = null;
          tx.queuedAt = -1;
          this.pending.delete(tx.key);
          h++;
          this.timedOut(tx); // may send queries (pushed on q) or close us (q is then dropped)
        } else h++;
      }
    } finally {
      // Also when a handler threw: the queries behind it still get their timeouts.
      this.firing = false;
      if (this.due === q) this.dueHead = h; // else failAll emptied the queue meanwhile (queries sent after it start a new one)
      this.armNext();
    }
  }

  /** Arms the timer for the first query still queued, or empties the queue. */
  private armNext(): void {
    const q = this.due;
    let h = this.dueHead;
    while (h < q.length && q[h] === null) h++;
    if (h === q.length) {
      this.dueBase += q.length;
      this.due = NO_QUERIES;
      this.dueHead = 0;
      return;
    }
    if (h > 32 && 2 * h > q.length) {
      // Drop the front once it is most of the array (amortized O(1) a query).
      this.due = q.slice(h);
      this.dueBase += h;
      h = 0;
    }
    this.dueHead = h;
    const first = this.due[h] as Transaction;
    if (this.dueTimer === null) this.armDue(first.sentAt + this.hardMs);
  }

  /** The pending query a reply belongs to: same transaction id and same sender address. */
  take(t: Uint8Array, from: Address): Transaction | undefined {
    if (t.length !== 2) return undefined;
    const key = (t[0] << 8) | t[1];
    const tx = this.pending.get(key);
    if (tx === undefined || tx.address.port !== from.port || tx.address.host !== from.host) return undefined;
    this.pending.delete(key);
    tx.timer?.cancel();
    tx.timer = null;
    if (tx.queuedAt >= 0) this.dequeue(tx);
    return tx;
  }

  /** Settles a reply: routes it to the handler with the round-trip time. */
  settle(tx: Transaction, msg: KrpcResponse | KrpcErrorReply): void {
    const rtt = this.clock.now() - tx.sentAt;
    if (this.rtts !== null) this.sample(rtt);
    if (msg.kind === 'response') tx.handler.response(msg, rtt);
    else tx.handler.error(msg);
  }

  /** Records an RTT; every `RTT_RECOMPUTE` samples the soft timeout is set from the 90th percentile of those kept. */
  private sample(rtt: number): void {
    const rtts = this.rtts as Float64Array;
    const at = this.rttAt;
    rtts[at + (this.rttCount++ % RTT_SAMPLES)] = rtt;
    if (this.rttCount % RTT_RECOMPUTE !== 0) return;
    const n = Math.min(this.rttCount, RTT_SAMPLES);
    // Slots not filled yet sort last (no view object for the first few rounds).
    for (let i = 0; i < RTT_SAMPLES; i++) SORTING[i] = i < n ? rtts[at + i] : Infinity;
    SORTING.sort();
    const p90 = SORTING[Math.ceil(0.9 * n) - 1];
    this.currentSoftMs = Math.round(Math.min(this.softMs, Math.max(this.minSoftMs, p90 * SOFT_MARGIN)));
  }

  /** Fails every pending query and hands the RTT ring back (the node closed). */
  close(): void {
    this.failAll();
    if (this.rtts !== null) {
      this.rtts = null;
      RTT_RINGS.release(this.rttSlot);
    }
  }

  /** Fails every pending query (on close). */
  failAll(): void {
    const all = this.pending.values().sort((a, b) => a.order - b.order);
    this.pending.clear();
    this.dueBase += this.due.length;
    this.due = NO_QUERIES;
    this.dueHead = 0;
    this.dueTimer?.cancel();
    this.dueTimer = null;
    for (const tx of all) {
      tx.timer?.cancel();
      this.timedOut(tx);
    }
  }

  private soft(tx: Transaction): void {
    if (this.pending.get(tx.key) !== tx) return;
    tx.slowFired = true;
    tx.timer = this.clock.setTimer(this.hardMs - (this.clock.now() - tx.sentAt), () => this.expire(tx));
    tx.handler.slow?.();
  }

  private expire(tx: Transaction): void {
    if (this.pending.get(tx.key) !== tx) return;
    this.pending.delete(tx.key);
    tx.timer = null;
    this.timedOut(tx);
  }

  private timedOut(tx: Transaction): void {
    if (tx.nodeId !== undefined) this.onNodeTimeout?.nodeTimedOut(tx.nodeId, tx.address, tx.sentAt);
    tx.handler.timeout();
  }
}
