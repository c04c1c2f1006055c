/** The DHT's per-source query rate limit (src/dht/rate-limiter.ts): a token bucket per IP kept as one number. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../src/dht/rate-limiter.js';

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
});
