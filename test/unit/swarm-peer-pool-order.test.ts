/**
 * The peer pool dials addresses that never failed before those that did (libtorrent ranks
 * connect candidates by failure count first). In a swarm whose peers finish and leave, the
 * pool fills with departed addresses whose connects time out; dialled in the order learned,
 * they took every half-open slot and late arrivals starved (issue 15, docs/simulator.md).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PeerPool } from '../../src/swarm/peer-pool.js';

const addr = (i: number) => ({ host: `10.0.0.${i}`, port: 6881 });
const none = () => false;

describe('PeerPool.due', () => {
  it('offers addresses that never failed before ones that failed, whatever the order learned', () => {
    const pool = new PeerPool({ retryBaseMs: 1000 });
    for (let i = 1; i <= 4; i++) pool.add(addr(i), 'tracker');
    // The first three were dialled and failed (departed peers); their back-off has run out.
    const first = pool.due(0, 3, none);
    assert.deepEqual(first, [addr(1), addr(2), addr(3)]);
    for (const a of first) pool.markFailed(a, 0);
    pool.add(addr(5), 'pex');
    assert.deepEqual(pool.due(10_000, 2, none), [addr(4), addr(5)]);
    // Only then the failed ones, in the order learned.
    assert.deepEqual(pool.due(10_000, 5, none), [addr(1), addr(2), addr(3)]);
  });

  it('a connection that worked clears the failures: the address counts as fresh again', () => {
    const pool = new PeerPool({ retryBaseMs: 1000 });
    pool.add(addr(1), 'tracker');
    pool.add(addr(2), 'tracker');
    assert.deepEqual(pool.due(0, 1, none), [addr(1)]);
    pool.markFailed(addr(1), 0);
    assert.deepEqual(pool.due(10_000, 2, none), [addr(2), addr(1)]);
    pool.markConnected(addr(1), true);
    pool.markWorked(addr(1)); // the peer's handshake came
    pool.markConnected(addr(1), false);
    pool.markConnected(addr(2), false);
    pool.add(addr(3), 'pex');
    assert.deepEqual(pool.due(10_000, 5, none), [addr(1), addr(2), addr(3)]);
  });

  it('still honours the count, back-offs and connected addresses', () => {
    const pool = new PeerPool({ retryBaseMs: 1000 });
    for (let i = 1; i <= 3; i++) pool.add(addr(i), 'tracker');
    pool.due(0, 1, none);
    pool.markFailed(addr(1), 0); // back off until 1000
    assert.deepEqual(pool.due(500, 5, (a) => a.host === '10.0.0.3' && a.port === 6881), [addr(2)]);
    assert.deepEqual(pool.due(500, 5, none), [addr(3)]);
    assert.deepEqual(pool.due(1000, 5, none), [addr(1)]);
  });
});
