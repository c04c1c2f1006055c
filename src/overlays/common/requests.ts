/**
 * Outstanding requests of one node: a transaction id per request, the caller's context,
 * and a timeout on the runtime clock. Replies are matched by id and sender; a reply after
 * the timeout (or from someone else) finds nothing and is ignored.
 *
 * One timer serves the whole table, armed for the earliest deadline: requests sent together
 * (a Chord node's stabilise and finger check) share it, and it is cancelled when the last
 * request is answered. A timer per request would put one more entry in the simulator's
 * event queue for every request, to be cancelled and skipped there later (a quarter of a
 * large Chord run's queue operations).
 */
import type { Clock, Random, TimerHandle } from '../../runtime/types.js';

export interface OpenRequest<T> {
  readonly context: T;
  /** Round-trip time from sending to the reply, ms. */
  readonly rttMs: number;
}

/** One outstanding request; `close` hands the same object back as its `OpenRequest` (no allocation per reply). */
class Entry<T> implements OpenRequest<T> {
  readonly context: T;
  readonly to: number;
  readonly deadline: number;
  readonly sentAt: number;
  rttMs = 0;

  constructor(context: T, to: number, deadline: number, sentAt: number) {
    this.context = context;
    this.to = to;
    this.deadline = deadline;
    this.sentAt = sentAt;
  }
}

/** A deadline this close to the clock counts as reached (the timer's time is now + (deadline - now), rounded). */
const EPSILON_MS = 1e-6;

export class RequestTable<T> {
  private next: number;
  private entries: Map<number, Entry<T>> | null = null;
  private readonly clock: Clock;
  private readonly onTimeout: (context: T, to: number) => void;
  private timer: TimerHandle | null = null;
  /** When the armed timer fires (Infinity: none armed). */
  private timerAt = Infinity;
  private readonly onTimer = (): void => this.fire();

  constructor(clock: Clock, random: Random, onTimeout: (context: T, to: number) => void) {
    this.clock = clock;
    this.onTimeout = onTimeout;
    this.next = random.int(4294967296);
  }

  /** Registers a request to `to` (an address key); returns its transaction id. */
  open(context: T, to: number, timeoutMs: number): number {
    let tx = this.next;
    this.next = (tx + 1) >>> 0;
    const map = (this.entries ??= new Map());
    while (map.has(tx)) {
      tx = this.next;
      this.next = (tx + 1) >>> 0;
    }
    const now = this.clock.now();
    const deadline = now + Math.max(0, timeoutMs);
    map.set(tx, new Entry(context, to, deadline, now));
    if (deadline < this.timerAt) this.arm(deadline);
    return tx;
  }

  /** Matches a reply from `from`; undefined when unknown, timed out or from the wrong peer. */
  close(tx: number, from: number): OpenRequest<T> | undefined {
    const map = this.entries;
    const e = map?.get(tx);
    if (e === undefined || e.to !== from) return undefined;
    map!.delete(tx);
    if (map!.size === 0) this.disarm();
    e.rttMs = this.clock.now() - e.sentAt;
    return e;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  /** Cancels every outstanding request without calling its timeout. */
  clear(): void {
    this.disarm();
    this.entries = null;
  }

  private arm(at: number): void {
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimer(at - this.clock.now(), this.onTimer);
  }

  private disarm(): void {
    this.timer?.cancel();
    this.timer = null;
    this.timerAt = Infinity;
  }

  /** The timer fired: every request past its deadline times out, in the order they were sent. */
  private fire(): void {
    this.timer = null;
    this.timerAt = Infinity;
    const map = this.entries;
    if (map === null) return;
    const now = this.clock.now() + EPSILON_MS;
    const due: [number, Entry<T>][] = [];
    for (const item of map) if (item[1].deadline <= now) due.push(item);
    for (const [tx, e] of due) {
      // An earlier timeout's handler may have cleared the table.
      if (this.entries?.get(tx) !== e) continue;
      this.entries.delete(tx);
      this.onTimeout(e.context, e.to);
    }
    let next = Infinity;
    if (this.entries !== null) for (const e of this.entries.values()) if (e.deadline < next) next = e.deadline;
    if (next < this.timerAt) this.arm(next);
  }
}
