/**
 * Per-source rate limit on incoming queries (a defence limit): each source IP may send
 * `perSecond` queries per second with bursts of `burst`; more are dropped without reply.
 * Token buckets per IP, forgotten when full again; at most `maxSources` are tracked at once
 * (past that, new sources share one bucket so the map cannot grow without bound).
 */
export interface RateLimitOptions {
  /** Sustained queries per second per source IP. Default 20. */
  perSecond?: number;
  /** Burst size. Default 50. */
  burst?: number;
  /** Sources tracked at once. Default 4096. */
  maxSources?: number;
}

export const RATE_LIMIT_DEFAULTS = { perSecond: 20, burst: 50, maxSources: 4096 } as const satisfies Required<RateLimitOptions>;

interface TokenBucket {
  tokens: number;
  at: number;
}

const NO_SOURCES = new Map<string, TokenBucket>();

export class RateLimiter {
  private readonly perMs: number;
  private readonly burst: number;
  private readonly maxSources: number;
  /** Shared empty map until the first source (a read-only or idle node never needs one). */
  private buckets: Map<string, TokenBucket> = NO_SOURCES;
  private readonly overflow: TokenBucket = { tokens: 0, at: 0 };
  private sweptAt = 0;

  constructor(options: RateLimitOptions = {}) {
    const o = { ...RATE_LIMIT_DEFAULTS, ...options };
    this.perMs = o.perSecond / 1000;
    this.burst = o.burst;
    this.maxSources = o.maxSources;
    this.overflow.tokens = o.burst;
  }

  /** Takes one token for `source`; false when it is over its limit. */
  allow(source: string, now: number): boolean {
    let b = this.buckets.get(source);
    if (b === undefined) {
      if (now - this.sweptAt > this.burst / this.perMs) this.sweep(now);
      if (this.buckets.size >= this.maxSources) b = this.overflow;
      else {
        b = { tokens: this.burst, at: now };
        if (this.buckets === NO_SOURCES) this.buckets = new Map();
        this.buckets.set(source, b);
      }
    }
    const tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.perMs);
    b.at = now;
    if (tokens < 1) {
      b.tokens = tokens;
      return false;
    }
    b.tokens = tokens - 1;
    return true;
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) * this.perMs >= this.burst) this.buckets.delete(k);
  }
}
