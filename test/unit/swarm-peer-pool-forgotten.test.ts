/**
 * A peer source naming an address the pool dropped after `maxFailures` gives it one more try
 * after the longest back-off, not a fresh start (libtorrent takes one off the failcount of a
 * re-learnt peer). Before, PEX re-taught each dropped address as fresh and it was dialled at
 * once: full peers that refuse newcomers were dialled again and again (issue 15).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PeerPool } from '../../src/swarm/peer-pool.js';

const addr = (i: number) => ({ host: `10.0.0.${i}`, port: 6881 });
const none = () => false;

/** Dials `a` and fails it until the pool drops it; returns when it was dropped. */
function failUntilDropped(pool: PeerPool, a: { host: string; port: number }, maxFailures: number): number {
  let now = 0;
  for (let i = 0; i < maxFailures; i++) {
    now += 100_000;
    assert.deepEqual(pool.due(now, 1, none), [a]);
    pool.markFailed(a, now);
  }
  assert.equal(pool.size, 0);
  return now;
}

describe('PeerPool forgotten addresses', () => {
  it('a dropped address re-learnt from PEX waits out the longest back-off and gets one try', () => {
    const pool = new PeerPool({ retryBaseMs: 1000, maxFailures: 3 });
    pool.add(addr(1), 'tracker');
    const droppedAt = failUntilDropped(pool, addr(1), 3);
    pool.add(addr(1), 'pex');
    pool.add(addr(2), 'pex');
    // The fresh one is dialled; the re-learnt one not yet (back-off after 2 failures: 2 s).
    assert.deepEqual(pool.due(droppedAt + 1, 5, none), [addr(2)]);
    assert.deepEqual(pool.due(droppedAt + 2000, 5, none), [addr(1)]);
    // One more failure drops it again.
    pool.markFailed(addr(1), droppedAt + 3000);
    pool.markConnected(addr(2), true);
    assert.equal(pool.size, 1);
  });

  it('a connection closed before its handshake (a full peer) is not cleared: forgotten after maxRefusals', () => {
    const pool = new PeerPool({ retryBaseMs: 1000, maxFailures: 3, maxRefusals: 4 });
    pool.add(addr(1), 'tracker');
    let now = 0;
    for (let i = 0; i < 4; i++) {
      now += 100_000;
      assert.deepEqual(pool.due(now, 1, none), [addr(1)]);
      pool.markConnected(addr(1), true); // connected, handshake not yet come (no markWorked)
      pool.markClosed(addr(1), now, 'refused'); // closed at our handshake
      // Not a failure (it answered: reachable), so not dropped at maxFailures (3) ...
      if (i < 3) assert.equal(pool.size, 1, `after ${i + 1} refusals`);
    }
    // ... but dropped after maxRefusals: a peer that never takes us is not dialled for ever.
    assert.equal(pool.size, 0);
  });

  it('an incoming connection or a manual add still starts it fresh', () => {
    for (const source of ['incoming', 'manual'] as const) {
      const pool = new PeerPool({ retryBaseMs: 1000, maxFailures: 2 });
      pool.add(addr(1), 'tracker');
      const droppedAt = failUntilDropped(pool, addr(1), 2);
      pool.add(addr(1), source);
      assert.deepEqual(pool.due(droppedAt + 1, 5, none), [addr(1)], source);
    }
  });

  it('remembers at most maxForgotten addresses: the oldest is fresh again', () => {
    const pool = new PeerPool({ retryBaseMs: 1000, maxFailures: 1, maxForgotten: 2 });
    for (let i = 1; i <= 3; i++) pool.add(addr(i), 'tracker');
    for (const a of pool.due(0, 3, none)) pool.markFailed(a, 0);
    assert.equal(pool.forgottenCount, 2);
    for (let i = 1; i <= 3; i++) pool.add(addr(i), 'pex');
    // 1 was pushed out of the memory: fresh, dialled at once; 2 and 3 wait (failures 0 -> back-off base).
    assert.deepEqual(pool.due(1, 5, none), [addr(1)]);
    assert.deepEqual(pool.due(1000, 5, none), [addr(2), addr(3)]);
  });

  it('an address dropped again is the newest: the oldest other one is pushed out first, and churn keeps maxForgotten', () => {
    const pool = new PeerPool({ retryBaseMs: 1000, maxFailures: 1, maxForgotten: 2 });
    pool.add(addr(1), 'tracker');
    pool.add(addr(2), 'tracker');
    for (const a of pool.due(0, 2, none)) pool.markFailed(a, 0);
    pool.add(addr(1), 'pex'); // re-learnt: one more try
    assert.deepEqual(pool.due(1000, 5, none), [addr(1)]);
    pool.markFailed(addr(1), 1000); // dropped again: now the newest
    pool.add(addr(3), 'tracker');
    assert.deepEqual(pool.due(1000, 5, none), [addr(3)]);
    pool.markFailed(addr(3), 1000); // 2 is the oldest: pushed out
    assert.equal(pool.forgottenCount, 2);
    pool.add(addr(2), 'pex');
    pool.add(addr(1), 'pex');
    assert.deepEqual(pool.due(1001, 5, none), [addr(2)]);
    // Thousands of drops and re-learns: the memory stays at maxForgotten, the newest kept.
    let now = 2000;
    for (let i = 0; i < 5000; i++) {
      const a = { host: `10.1.${i >> 8}.${i & 255}`, port: 6881 };
      pool.add(a, 'tracker');
      now += 1;
      pool.markFailed(a, now);
      if (i % 3 === 0) pool.add(a, 'pex'); // re-learnt (leaves the memory), dropped again below
      if (i % 3 === 0) pool.markFailed(a, now);
    }
    assert.equal(pool.forgottenCount, 2);
    pool.add({ host: '10.1.19.135', port: 6881 }, 'pex'); // i = 4999: remembered, waits
    pool.add({ host: '10.1.0.9', port: 6881 }, 'pex'); // i = 9: long pushed out, fresh
    // (addr(1), re-learnt above, is due since 2000; addr(2) is being dialled.)
    assert.deepEqual(pool.due(now + 1, 5, none), [addr(1), { host: '10.1.0.9', port: 6881 }]);
  });
});
