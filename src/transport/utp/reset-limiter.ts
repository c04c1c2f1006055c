/**
 * Which ST_RESETs the uTP socket may send (BEP 29 answers a packet for an unknown connection
 * with one). Each answers a datagram whose source address may be spoofed, so a flood of such
 * datagrams must not turn into a flood of RESETs at a victim: at most `ratePerSecond` in all
 * (a token bucket that size), and one per (address, connection id) per second. The keys it
 * remembers are those of RESETs it allowed in the last second: at most about 2 x the rate.
 * Sans-I/O: the caller passes the time.
 */
export class ResetLimiter {
  private tokens: number;
  private refilledAt: number;
  /** key -> when a RESET last went to it, ms, in sending order. */
  private readonly recent = new Map<string, number>();

  constructor(
    private readonly ratePerSecond: number,
    nowMs: number,
  ) {
    this.tokens = ratePerSecond;
    this.refilledAt = nowMs;
  }

  /** Keys remembered (for tests: bounded by the rate). */
  get remembered(): number {
    return this.recent.size;
  }

  /** Whether a RESET may go to `key` at `nowMs`; counts it when it may. */
  allow(key: string, nowMs: number): boolean {
    const last = this.recent.get(key);
    if (last !== undefined && nowMs - last < 1000) return false;
    const rate = this.ratePerSecond;
    this.tokens = Math.min(rate, this.tokens + (Math.max(0, nowMs - this.refilledAt) * rate) / 1000);
    this.refilledAt = nowMs;
    if (this.tokens < 1) return false;
    this.tokens--;
    this.recent.delete(key);
    this.recent.set(key, nowMs);
    for (const [old, at] of this.recent) {
      if (nowMs - at < 1000) break;
      this.recent.delete(old);
    }
    return true;
  }
}
