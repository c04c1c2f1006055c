/**
 * How a connection ended decides when the pool dials the address again (peer-pool.ts
 * `Parting`, libtorrent's failcount and `min_reconnect_time`):
 * - a peer we dropped for a fault of its (silent, a violation; a turnover is none) with nothing delivered
 *   is not cleared by its next handshake: the wait grows with each drop and it is forgotten at
 *   `maxFailures`. Before, a Sybil dropped for never delivering was redialled 5 s later with a
 *   fresh probation, for ever (1,315 drops for 5 leechers, issue 15);
 * - a peer that closed on us before its handshake (full) answered: no failure, a short bounded
 *   wait, dialled after the addresses never tried and before those that failed. Before, each
 *   refusal was a failure: a flash crowd's origin, full, went behind every departed address
 *   and was forgotten after five;
 * - a peer that parted after its handshake, or delivered before we dropped it, is not punished.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VIOLATION_CLOSE } from '../../src/swarm/discipline.js';
import { partingOf } from '../../src/swarm/peer-departure.js';
import { PeerPool } from '../../src/swarm/peer-pool.js';
import type { PeerSession } from '../../src/swarm/peer-session.js';
import { TURNOVER_REASON } from '../../src/swarm/peer-turnover.js';
import { SILENT_PEER_REASON } from '../../src/swarm/tick.js';

const addr = (i: number) => ({ host: `10.0.0.${i}`, port: 6881 });
const none = () => false;
const S = 1000;

/** Dials `a` (due at `now`), it handshakes, and the connection ends `how`. */
function connectAndClose(pool: PeerPool, a: { host: string; port: number }, now: number, how: 'dropped' | 'parted', delivered = false): void {
  assert.deepEqual(pool.due(now, 1, none), [a], `due at ${now}`);
  pool.markConnected(a, true);
  pool.markWorked(a);
  pool.markClosed(a, now, how, delivered);
}

describe('PeerPool: how a connection ended', () => {
  it('a dropped peer waits longer after each drop, whatever its handshakes, and is forgotten at maxFailures', () => {
    const pool = new PeerPool({ retryBaseMs: 5 * S, dropRetryBaseMs: 60 * S, maxFailures: 3 });
    pool.add(addr(1), 'tracker');
    connectAndClose(pool, addr(1), 0, 'dropped');
    assert.deepEqual(pool.due(59 * S, 5, none), [], 'not at the plain retry (5 s) after a drop');
    connectAndClose(pool, addr(1), 60 * S, 'dropped'); // its handshake did not clear the first drop
    assert.deepEqual(pool.due(179 * S, 5, none), []);
    connectAndClose(pool, addr(1), 180 * S, 'dropped');
    assert.equal(pool.size, 0, 'forgotten after 3 drops');
    // Re-learnt from PEX: one more try after the last wait, not a fresh start.
    pool.add(addr(1), 'pex');
    assert.deepEqual(pool.due(180 * S + 1, 5, none), []);
    connectAndClose(pool, addr(1), 180 * S + 120 * S, 'dropped');
    assert.equal(pool.size, 0, 'one drop more and it is forgotten again');
  });

  it('a dropped peer ranks behind the addresses that never failed', () => {
    const pool = new PeerPool({ dropRetryBaseMs: S });
    pool.add(addr(1), 'tracker');
    connectAndClose(pool, addr(1), 0, 'dropped');
    pool.add(addr(2), 'pex');
    assert.deepEqual(pool.due(10 * S, 5, none), [addr(2), addr(1)]);
  });

  it('a peer that delivered before we dropped it, or parted, is retried after retryBaseMs', () => {
    const pool = new PeerPool({ retryBaseMs: 5 * S, dropRetryBaseMs: 60 * S, maxFailures: 2 });
    pool.add(addr(1), 'tracker');
    connectAndClose(pool, addr(1), 0, 'dropped', true);
    connectAndClose(pool, addr(1), 5 * S, 'parted');
    connectAndClose(pool, addr(1), 10 * S, 'dropped');
    connectAndClose(pool, addr(1), 70 * S, 'dropped', true); // it delivered this time: its drops are forgiven
    for (let t = 75 * S; t < 200 * S; t += 5 * S) connectAndClose(pool, addr(1), t, 'parted');
    connectAndClose(pool, addr(1), 200 * S, 'dropped');
    assert.equal(pool.size, 1, 'partings are no failures, and one drop is under maxFailures (2)');
  });

  it('a refusal (closed before the handshake) is no failure: a short bounded wait, dialled before failed addresses', () => {
    const pool = new PeerPool({ retryBaseMs: 5 * S, maxRefusedRetryMs: 60 * S, maxFailures: 5, maxRefusals: 20 });
    pool.add(addr(1), 'tracker'); // the origin, learned first
    pool.add(addr(2), 'tracker');
    let now = 0;
    for (let i = 1; i <= 10; i++) {
      assert.deepEqual(pool.due(now, 1, none), [addr(1)], `refusal ${i}`);
      pool.markClosed(addr(1), now, 'refused');
      // 5, 10, 20, 40 s, then at most 60 s.
      const wait = Math.min(5 * S * 2 ** (i - 1), 60 * S);
      assert.deepEqual(pool.due(now + wait - 1, 5, none), [addr(2)].slice(0, i === 1 ? 1 : 0));
      now += wait;
    }
    assert.equal(pool.size, 2, 'ten refusals: kept (maxFailures 5 counts failures, not refusals)');
    // libtorrent's order: an address never tried, then the one that refused (tried, no
    // failure), then a departed one whose connect timed out.
    pool.markFailed(addr(2), now - 1);
    pool.add(addr(3), 'pex');
    assert.deepEqual(pool.due(now + 60 * S, 5, none), [addr(3), addr(1), addr(2)]);
  });
});

describe('partingOf: which closes are drops', () => {
  /** A stand-in: only what partingOf reads of a closed PeerSession. */
  const peer = (o: { handshake?: boolean; asked?: boolean } = {}) => ({ conn: { remotePeerId: o.handshake === false ? undefined : new Uint8Array(20) }, askedAt: o.asked ? 1000 : undefined }) as unknown as PeerSession;

  it('before the handshake it refused us (reachable, not failed)', () => {
    assert.equal(partingOf(peer({ handshake: false }), 'peer ended the connection'), 'refused');
  });

  it('the silent-peer drop and protocol violations are drops', () => {
    assert.equal(partingOf(peer({ asked: true }), SILENT_PEER_REASON), 'dropped');
    assert.equal(partingOf(peer(), `${VIOLATION_CLOSE}: bad message`), 'dropped');
  });

  it('a turnover is no drop: its victim had 10 s, and honest peers are most of them', () => {
    assert.equal(partingOf(peer({ asked: true }), TURNOVER_REASON), 'parted');
    assert.equal(partingOf(peer(), TURNOVER_REASON), 'parted');
  });

  it('the peer closing, a duplicate or both sides seeds are no fault', () => {
    for (const reason of ['peer ended the connection', 'duplicate connection to the same peer id', 'both sides are seeds', 'shutting down']) assert.equal(partingOf(peer({ asked: true }), reason), 'parted', reason);
  });
});
