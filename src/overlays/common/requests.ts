/**
 * Outstanding requests of one node: a transaction id per request, the caller's context,
 * and a timeout on the runtime clock. Replies are matched by id and sender; a reply after
 * the timeout (or from someone else) finds nothing and is ignored.
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
  readonly timer: TimerHandle;
  readonly sentAt: number;
  rttMs = 0;

  constructor(context: T, to: number, timer: TimerHandle, sentAt: number) {
    this.context = context;
    this.to = to;
    this.timer = timer;
    this.sentAt = sentAt;
  }
}

export class RequestTable<T> {
  private next: number;
  private entries: Map<number, Entry<T>> | null = null;
  private readonly clock: Clock;
  private readonly onTimeout: (context: T, to: number) => void;

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
    const timer = this.clock.setTimer(timeoutMs, () => this.expire(tx));
    map.set(tx, new Entry(context, to, timer, this.clock.now()));
    return tx;
  }

  /** Matches a reply from `from`; undefined when unknown, timed out or from the wrong peer. */
  close(tx: number, from: number): OpenRequest<T> | undefined {
    const e = this.entries?.get(tx);
    if (e === undefined || e.to !== from) return undefined;
    this.entries!.delete(tx);
    e.timer.cancel();
    e.rttMs = this.clock.now() - e.sentAt;
    return e;
  }

  get size(): number {
    return this.entries?.size ?? 0;
  }

  /** Cancels every outstanding request without calling its timeout. */
  clear(): void {
    if (this.entries === null) return;
    for (const e of this.entries.values()) e.timer.cancel();
    this.entries = null;
  }

  private expire(tx: number): void {
    const e = this.entries?.get(tx);
    if (e === undefined) return;
    this.entries!.delete(tx);
    this.onTimeout(e.context, e.to);
  }
}
