/**
 * A token bucket for bytes: a session-wide limiter and one per torrent both gate a transfer,
 * and the transfer waits for the tighter of them. Sans-I/O: it reads time from the clock it
 * is given and never sets timers; callers ask how long to wait and schedule that themselves.
 */
import type { Clock } from '../runtime/types.js';

/** The bucket holds at most this many seconds of traffic, so an idle link cannot bank a long burst. */
const BURST_SECONDS = 0.5;
/** ...but at least a few blocks, so a slow limit still moves whole 16 KiB blocks. */
const MIN_BURST_BYTES = 64 * 1024;

export class RateLimiter {
  private tokens = 0;
  private last: number;
  private rate: number;

  /**
   * `bytesPerSecond` 0 (or less) means unlimited. `minBurstBytes`: the least the bucket holds
   * (default 64 KiB; a per-connection cap uses one block, so a slow cap is paced block by
   * block instead of letting four blocks out at once).
   */
  constructor(
    private readonly clock: Clock,
    bytesPerSecond = 0,
    private readonly minBurstBytes = MIN_BURST_BYTES,
  ) {
    this.rate = Math.max(0, bytesPerSecond);
    this.last = clock.now();
    this.tokens = this.capacity;
  }

  get bytesPerSecond(): number {
    return this.rate;
  }

  get unlimited(): boolean {
    return this.rate === 0;
  }

  setRate(bytesPerSecond: number): void {
    this.refill();
    this.rate = Math.max(0, bytesPerSecond);
    this.tokens = Math.min(this.tokens, this.capacity);
  }

  /** Bytes that may go now (Infinity when unlimited). Never negative. */
  available(): number {
    if (this.unlimited) return Infinity;
    this.refill();
    return Math.max(0, this.tokens);
  }

  /** Records bytes sent or received. Debt is allowed: a block larger than the balance still goes, and later ones wait. */
  consume(bytes: number): void {
    if (this.unlimited) return;
    this.refill();
    this.tokens -= bytes;
  }

  /** Milliseconds until `bytes` may go (0 when they may go now). */
  delayFor(bytes: number): number {
    if (this.unlimited) return 0;
    this.refill();
    const missing = Math.min(bytes, this.capacity) - this.tokens;
    return missing <= 0 ? 0 : Math.ceil((missing / this.rate) * 1000);
  }

  private get capacity(): number {
    return Math.max(this.minBurstBytes, this.rate * BURST_SECONDS);
  }

  private refill(): void {
    const now = this.clock.now();
    const dt = now - this.last;
    this.last = now;
    if (this.unlimited || dt <= 0) return;
    this.tokens = Math.min(this.capacity, this.tokens + (dt / 1000) * this.rate);
  }
}

/** The bytes every limiter in the chain allows now. */
export function availableAcross(limiters: readonly RateLimiter[]): number {
  let n = Infinity;
  for (const l of limiters) n = Math.min(n, l.available());
  return n;
}

/** Milliseconds until every limiter in the chain allows `bytes`. */
export function delayAcross(limiters: readonly RateLimiter[], bytes: number): number {
  let ms = 0;
  for (const l of limiters) ms = Math.max(ms, l.delayFor(bytes));
  return ms;
}

export function consumeAcross(limiters: readonly RateLimiter[], bytes: number): void {
  for (const l of limiters) l.consume(bytes);
}

/** One pending wake-up: asking for an earlier one replaces it, a later one is ignored. */
export class Wake {
  private timer: { cancel(): void } | undefined;
  private at = Infinity;

  constructor(
    private readonly clock: Clock,
    private readonly fn: () => void,
  ) {}

  /** Calls `fn` in `ms` (at least 1), unless a wake-up at or before then is pending. */
  after(ms: number): void {
    const delay = Math.max(1, ms);
    const at = this.clock.now() + delay;
    if (at >= this.at) return;
    this.timer?.cancel();
    this.at = at;
    this.timer = this.clock.setTimer(delay, () => {
      this.timer = undefined;
      this.at = Infinity;
      this.fn();
    });
  }

  cancel(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.at = Infinity;
  }
}
