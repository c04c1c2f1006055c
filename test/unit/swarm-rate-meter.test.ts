import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateMeter } from '../../src/swarm/rate-meter.js';
import { SeededRandom } from '../../src/runtime/random.js';

/** The definition: bytes in the buckets of the last `windowMs` over the window (or the meter's life). */
class Reference {
  private readonly adds: [number, number][] = [];
  constructor(private readonly created: number, private readonly windowMs = 5_000, private readonly bucketMs = 500) {}
  add(bytes: number, now: number): void {
    this.adds.push([bytes, now]);
  }
  rate(now: number): number {
    const bucketOf = (t: number): number => Math.floor((t - this.created) / this.bucketMs);
    const newest = bucketOf(now), buckets = Math.ceil(this.windowMs / this.bucketMs);
    let sum = 0;
    for (const [b, t] of this.adds) if (bucketOf(t) > newest - buckets) sum += b;
    return (sum * 1000) / Math.min(this.windowMs, Math.max(this.bucketMs, now - this.created));
  }
}

describe('RateMeter', () => {
  it('gives bytes per second over the last five seconds, and over its life while younger', () => {
    const m = new RateMeter(0);
    assert.equal(m.rate(0), 0);
    m.add(16_384, 100);
    assert.equal(m.rate(1000), 16_384, 'one second old: 16 KiB in one second');
    for (let t = 1000; t <= 10_000; t += 1000) m.add(10_000, t);
    assert.equal(m.rate(10_000), 10_000, 'the adds at 6..10 s are in the window (buckets from 5.5 s)');
    assert.equal(m.total, 16_384 + 10 * 10_000);
  });

  it('forgets bytes older than its window, after a long silence too', () => {
    const m = new RateMeter(0);
    m.add(50_000, 0);
    assert.equal(m.rate(2_500), 20_000);
    assert.equal(m.rate(5_500), 0);
    m.add(5_000, 3_600_000);
    assert.equal(m.rate(3_600_000), 1_000);
    assert.equal(m.rate(3_605_000), 0);
  });

  it('agrees with the definition on random traffic, gaps and reads', () => {
    const r = new SeededRandom(7);
    for (let run = 0; run < 20; run++) {
      const start = r.int(10_000);
      const m = new RateMeter(start), ref = new Reference(start);
      let t = start;
      for (let i = 0; i < 400; i++) {
        t += r.next() < 0.1 ? r.int(20_000) : r.int(300);
        if (r.next() < 0.6) {
          const bytes = r.next() < 0.5 ? 16_384 : r.int(2_000);
          m.add(bytes, t);
          ref.add(bytes, t);
        } else assert.equal(m.rate(t), ref.rate(t), `run ${run}, t ${t}`);
      }
    }
  });
});
