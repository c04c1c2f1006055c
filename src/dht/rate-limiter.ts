/**
 * Per-source rate limit on incoming queries (a defence limit): each source IP may send
 * `perSecond` queries per second with bursts of `burst`; more are dropped without reply.
 * A token bucket per IP, kept as one number (the generic cell rate algorithm: the time at
 * which the source's bucket is full again), forgotten once full; at most `maxSources` are
 * tracked at once (past that, new sources share one bucket so the map cannot grow without
 * bound).
 *
 * One number a source instead of a `{ tokens, at }` object: the object and its two boxed
 * doubles were three old-space objects per recent source in every node of a big simulation.
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

const NO_SOURCES = new Map<string, number>();

export class RateLimiter {
  /** Ms one query takes out of the bucket (1 / rate). */
  private readonly intervalMs: number;
  /** A query is allowed while the bucket's full time is at most this far ahead: (burst - 1) intervals. */
  private readonly toleranceMs: number;
  private readonly burst: number;
  private readonly maxSources: number;
  /** Source -> when its bucket is full again (clock ms); shared empty map until the first source. */
  private buckets: Map<string, number> = NO_SOURCES;
  /** The bucket sources share once `maxSources` are tracked. */
  private overflowFullAt = Number.NEGATIVE_INFINITY;
  private sweptAt = 0;

  constructor(options: RateLimitOptions = {}) {
    const o = { ...RATE_LIMIT_DEFAULTS, ...options };
    // No refill at all (perSecond 0): an interval of ~31 years keeps the arithmetic finite.
    this.intervalMs = o.perSecond > 0 ? 1000 / o.perSecond : 1e12;
    this.burst = o.burst;
    this.toleranceMs = (o.burst - 1) * this.intervalMs;
    this.maxSources = o.maxSources;
  }

  /** Takes one token for `source`; false when it is over its limit. */
  allow(source: string, now: number): boolean {
    let fullAt = this.buckets.get(source);
    let shared = false;
    if (fullAt === undefined) {
      if (now - this.sweptAt > this.burst * this.intervalMs) this.sweep(now);
      if (this.buckets.size >= this.maxSources) {
        shared = true;
        fullAt = this.overflowFullAt;
      } else fullAt = now;
    }
    // A bucket that is full again counts from now (tokens do not pile up past the burst).
    const from = fullAt > now ? fullAt : now;
    if (from - now > this.toleranceMs) return false; // fewer than one token left
    if (shared) this.overflowFullAt = from + this.intervalMs;
    else {
      if (this.buckets === NO_SOURCES) this.buckets = new Map();
      this.buckets.set(source, from + this.intervalMs);
    }
    return true;
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(now: number): void {
    this.sweptAt = now;
    for (const [k, fullAt] of this.buckets) if (fullAt <= now) this.buckets.delete(k);
  }
}
