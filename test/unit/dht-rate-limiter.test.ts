/** The DHT's per-source query rate limit (src/dht/rate-limiter.ts): a token bucket per IP kept as one number. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../src/dht/rate-limiter.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { smallHash } from '../../src/util/small-hash.js';

/** The limiter as it was with a `Map` (session 14): the table in rate-limiter.ts must decide the same. */
class MapLimiter {
  private readonly buckets = new Map<string, number>();
  private overflowFullAt = Number.NEGATIVE_INFINITY;
  private sweptAt = 0;
  private readonly intervalMs: number;
  constructor(private readonly burst: number, perSecond: number, private readonly maxSources: number) {
    this.intervalMs = 1000 / perSecond;
  }
  get size(): number {
    return this.buckets.size;
  }
  allow(source: string, now: number): boolean {
    let fullAt = this.buckets.get(source);
    let shared = false;
    if (fullAt === undefined) {
      if (now - this.sweptAt > this.burst * this.intervalMs) {
        this.sweptAt = now;
        for (const [k, t] of this.buckets) if (t <= now) this.buckets.delete(k);
      }
      if (this.buckets.size >= this.maxSources) {
        shared = true;
        fullAt = this.overflowFullAt;
      } else fullAt = now;
    }
    const from = fullAt > now ? fullAt : now;
    if (from - now > (this.burst - 1) * this.intervalMs) return false;
    if (shared) this.overflowFullAt = from + this.intervalMs;
    else this.buckets.set(source, from + this.intervalMs);
    return true;
  }
}

/** How many of `n` queries from `source` at time `now` are allowed. */
function burst(l: RateLimiter, source: string, now: number, n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (l.allow(source, now)) ok++;
  return ok;
}

describe('dht rate limiter', () => {
  it('allows a burst, then refills at the sustained rate', () => {
    const l = new RateLimiter({ perSecond: 10, burst: 5 });
    assert.equal(burst(l, '10.0.0.1', 1000, 8), 5);
    // 250 ms later: 2.5 tokens back, so two queries pass.
    assert.equal(burst(l, '10.0.0.1', 1250, 4), 2);
    // After a long quiet spell the bucket is full again, not over full.
    assert.equal(burst(l, '10.0.0.1', 60_000, 20), 5);
  });

  it('keeps sources apart', () => {
    const l = new RateLimiter({ perSecond: 1, burst: 3 });
    assert.equal(burst(l, '10.0.0.1', 0, 5), 3);
    assert.equal(burst(l, '10.0.0.2', 0, 5), 3);
    assert.equal(l.size, 2);
  });

  it('forgets sources whose bucket is full again', () => {
    const l = new RateLimiter({ perSecond: 10, burst: 5 });
    burst(l, '10.0.0.1', 0, 3);
    assert.equal(l.size, 1);
    // A new source after the sweep interval sweeps the refilled one out.
    l.allow('10.0.0.2', 10_000);
    assert.equal(l.size, 1);
  });

  it('shares one bucket among sources past maxSources, so the map stays bounded', () => {
    const l = new RateLimiter({ perSecond: 1, burst: 4, maxSources: 2 });
    l.allow('10.0.0.1', 0);
    l.allow('10.0.0.2', 0);
    let ok = 0;
    for (let i = 3; i < 100; i++) if (l.allow(`10.0.0.${i}`, 0)) ok++;
    assert.equal(l.size, 2);
    assert.equal(ok, 4); // the shared bucket's burst, for all 97 newcomers together
  });

  it('never refills with perSecond 0', () => {
    const l = new RateLimiter({ perSecond: 0, burst: 3 });
    assert.equal(burst(l, '10.0.0.1', 0, 5), 3);
    assert.equal(burst(l, '10.0.0.1', 1e9, 5), 0);
  });

  it('decides as the Map-based limiter did, through growth, sweeps that shrink the table and the source cap', () => {
    const random = new SeededRandom(3);
    const l = new RateLimiter({ perSecond: 5, burst: 3, maxSources: 300 });
    const ref = new MapLimiter(3, 5, 300);
    let now = 0;
    let allowed = 0;
    for (let step = 0; step < 60_000; step++) {
      // Busy spells from many sources, then quiet ones from a few (so sweeps empty the table).
      const spell = Math.floor(step / 5000) % 2 === 0;
      now += random.next() * (spell ? 2 : 40);
      const source = `10.${random.int(4)}.${random.int(spell ? 50 : 3)}.${random.int(2)}`;
      const ok = l.allow(source, now);
      assert.equal(ok, ref.allow(source, now), `step ${step}`);
      if (ok) allowed++;
      if (step % 101 === 0) assert.equal(l.size, ref.size, `size at step ${step}`);
    }
    assert.ok(allowed > 10_000 && allowed < 59_000, `both outcomes occur (${allowed} allowed)`);
  });
  it('keeps sources crafted to collide under the unseeded hash apart (the table is seeded per limiter)', () => {
    // 1,000 addresses whose unseeded hash shares its low 11 bits: with a known hash they
    // would all sit in one probe run of the 2,048-slot table, each datagram scanning it.
    const crafted: string[] = [];
    for (let a = 0; crafted.length < 1000; a++) {
      const host = `10.${(a >> 16) & 255}.${(a >> 8) & 255}.${a & 255}`;
      if ((smallHash(host) & 2047) === 0) crafted.push(host);
    }
    const l = new RateLimiter({ perSecond: 1, burst: 5, maxSources: 4096 });
    for (const h of crafted) l.allow(h, 0);
    assert.equal(l.size, 1000);
    // Seeded, they spread as random keys do: no run near the 1,000 an unseeded table would make.
    assert.ok(l.longestProbeRun < 100, `longest probe run ${l.longestProbeRun}`);
  });
});
