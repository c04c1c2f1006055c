/**
 * A transfer rate over a sliding window, fed byte counts with the runtime's `now`.
 * Buckets of `bucketMs` in a ring; the rate is the sum over the window divided by its span.
 *
 * O(1) per call: the window's sum is kept as buckets fill and expire (byte counts are
 * integers, so the running sum is exact), and the ring is only allocated with the first
 * bytes: a swarm reads every peer's rate at each rechoke and refill, and many connections
 * (refused, duplicate, idle) never move a byte.
 */
export class RateMeter {
  private buckets: number[] | undefined;
  private readonly size: number;
  private head = 0;
  private headStart: number;
  private sum = 0;
  private readonly createdAt: number;
  /** Bytes counted over the meter's life. */
  total = 0;
  /** When bytes were last counted, if ever. */
  lastAddAt: number | undefined;

  constructor(now: number, private readonly windowMs = 5_000, private readonly bucketMs = 500) {
    this.size = Math.ceil(windowMs / bucketMs);
    this.headStart = now;
    this.createdAt = now;
  }

  private advance(now: number): void {
    const elapsed = Math.floor((now - this.headStart) / this.bucketMs);
    if (elapsed <= 0) return;
    this.headStart += elapsed * this.bucketMs;
    const b = this.buckets;
    if (b === undefined || this.sum === 0) {
      // Nothing in the window: only the ring's position moves.
      this.head = (this.head + elapsed) % this.size;
      if (b !== undefined) b[this.head] = 0;
      return;
    }
    if (elapsed >= this.size) {
      b.fill(0);
      this.sum = 0;
      this.head = (this.head + elapsed) % this.size;
      return;
    }
    for (let i = 0; i < elapsed; i++) {
      this.head = (this.head + 1) % this.size;
      this.sum -= b[this.head];
      b[this.head] = 0;
    }
  }

  add(bytes: number, now: number): void {
    this.advance(now);
    const b = (this.buckets ??= new Array<number>(this.size).fill(0));
    b[this.head] += bytes;
    this.sum += bytes;
    this.total += bytes;
    this.lastAddAt = now;
  }

  /** Bytes per second over the window (or over the meter's life, if shorter). */
  rate(now: number): number {
    if (this.total === 0) return 0;
    this.advance(now);
    const span = Math.min(this.windowMs, Math.max(this.bucketMs, now - this.createdAt));
    return (this.sum * 1000) / span;
  }
}
