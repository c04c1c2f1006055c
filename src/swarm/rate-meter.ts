/**
 * A transfer rate over a sliding window, fed byte counts with the runtime's `now`.
 * Buckets of `bucketMs` in a ring; the rate is the sum over the window divided by its span.
 */
export class RateMeter {
  private readonly buckets: Float64Array;
  private head = 0;
  private headStart: number;
  private readonly createdAt: number;
  /** Bytes counted over the meter's life. */
  total = 0;

  constructor(now: number, private readonly windowMs = 5_000, private readonly bucketMs = 500) {
    this.buckets = new Float64Array(Math.ceil(windowMs / bucketMs));
    this.headStart = now;
    this.createdAt = now;
  }

  private advance(now: number): void {
    let steps = Math.floor((now - this.headStart) / this.bucketMs);
    if (steps <= 0) return;
    if (steps > this.buckets.length) steps = this.buckets.length;
    for (let i = 0; i < steps; i++) {
      this.head = (this.head + 1) % this.buckets.length;
      this.buckets[this.head] = 0;
    }
    this.headStart += Math.floor((now - this.headStart) / this.bucketMs) * this.bucketMs;
  }

  add(bytes: number, now: number): void {
    this.advance(now);
    this.buckets[this.head] += bytes;
    this.total += bytes;
  }

  /** Bytes per second over the window (or over the meter's life, if shorter). */
  rate(now: number): number {
    this.advance(now);
    let sum = 0;
    for (const b of this.buckets) sum += b;
    const span = Math.min(this.windowMs, Math.max(this.bucketMs, now - this.createdAt));
    return (sum * 1000) / span;
  }
}
