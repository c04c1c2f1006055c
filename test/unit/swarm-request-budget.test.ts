/**
 * `RequestBudget` (request-budget.ts): the peers we can request from are counted one at a
 * time as their state changes, and a departure takes a peer out of the count and the queue.
 * That the count matches a scan through a whole simulated swarm: test/sim/swarm-request-budget.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RequestBudget } from '../../src/swarm/request-budget.js';
import type { PeerSession } from '../../src/swarm/peer-session.js';

function peer(state: string, amInterested: boolean, peerChoking: boolean): PeerSession {
  // A stand-in with the fields the budget reads and keeps.
  return { conn: { state, amInterested, peerChoking }, requesting: false } as unknown as PeerSession;
}

describe('RequestBudget', () => {
  it('counts open peers we are interested in and that unchoke us, once each', () => {
    const b = new RequestBudget(1 << 20);
    const a = peer('open', true, false), c = peer('open', true, true), d = peer('handshake', true, false), e = peer('open', false, false);
    for (const p of [a, c, d, e, a, a]) b.recount(p);
    assert.equal(b.requestingPeers, 1);
    (c.conn as { peerChoking: boolean }).peerChoking = false;
    b.recount(c);
    assert.equal(b.requestingPeers, 2);
    (a.conn as { amInterested: boolean }).amInterested = false;
    for (const p of [a, c, d, e]) b.recount(p);
    assert.equal(b.requestingPeers, 1);
  });

  it('forgets a departed peer: out of the count and the waiting queue, once', () => {
    const b = new RequestBudget(1 << 20);
    const a = peer('open', true, false);
    b.recount(a);
    b.waiting.add(a);
    b.forget(a);
    b.forget(a);
    assert.equal(b.requestingPeers, 0);
    assert.equal(b.waiting.size, 0);
  });
});
