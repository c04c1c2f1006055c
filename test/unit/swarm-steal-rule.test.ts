/**
 * The steal rule (`stealFrom`, swarm/transfer.ts): a block requested from another peer may be
 * asked of this one too only when we expect the holder to deliver it more than 3x later than
 * this peer would, and more than 2 s from now; never one of the first two the holder owes us
 * (sent or being sent already), never from a web seed, never by a peer that has not delivered
 * yet or is snubbed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerSession } from '../../src/swarm/peer-session.js';
import { stealFrom } from '../../src/swarm/transfer.js';
import type { Fetcher } from '../../src/swarm/webseed-session.js';

const BLOCK = 16 * 1024;

/** Only what the rule reads of a peer: its queue of our requests, its rate, its standing. */
function peer(rate: number, queue: number[], o: { lastBlockAt?: number; snubbed?: boolean } = {}): PeerSession {
  const outstandingRequests = new Map(queue.map((i) => [`${i}`, { index: i, begin: 0, length: BLOCK }]));
  return { conn: { outstandingRequests }, download: { rate: () => rate }, lastBlockAt: 'lastBlockAt' in o ? o.lastBlockAt : 0, snubbed: o.snubbed ?? false } as unknown as PeerSession;
}

describe('the steal rule', () => {
  it('takes a block a slow peer would deliver much later, not one it is about to deliver', () => {
    const fast = peer(100 * BLOCK, []); // a block in 10 ms
    const slow = peer(BLOCK / 4, [1, 2, 3]); // a block every 4 s
    const rule = stealFrom(fast, 100 * BLOCK, 0)!;
    assert.equal(rule(slow, 3, 0), true, 'third in a 4 s/block queue: 12 s');
    assert.equal(rule(slow, 1, 0), false, 'first: on its wire already (a cancel would come too late)');
    assert.equal(rule(slow, 2, 0), false, 'second: read into its send buffer behind the first');
    const quick = peer(2 * BLOCK, [5, 6, 1, 2]); // two blocks a second
    assert.equal(rule(quick, 1, 0), false, 'due in 1.5 s: under the 2 s floor');
    assert.equal(rule(quick, 2, 0), false, 'due in 2 s: not past the floor');
  });

  it('needs this peer to be 3x faster than the holder for that block', () => {
    const holder = peer(BLOCK / 4, [5, 6, 1]); // the third: due in 12 s
    assert.equal(stealFrom(peer(BLOCK / 4, []), BLOCK / 4, 0)!(holder, 1, 0), false, 'ours in 4 s: not 3x faster');
    assert.equal(stealFrom(peer(BLOCK / 2, []), BLOCK / 2, 0)!(holder, 1, 0), true, 'ours in 2 s: 6x faster');
    assert.equal(stealFrom(peer(BLOCK / 2, [7, 8]), BLOCK / 2, 0)!(holder, 1, 0), false, 'ours behind 2 of its own: 6 s');
  });

  it('is off for a peer on probation, a snubbed one, or one measured at 0; web seeds are never stolen from', () => {
    assert.equal(stealFrom(peer(BLOCK, [], { lastBlockAt: undefined }), BLOCK, 0), undefined);
    assert.equal(stealFrom(peer(BLOCK, [], { snubbed: true }), BLOCK, 0), undefined);
    assert.equal(stealFrom(peer(0, []), 0, 0), undefined);
    const rule = stealFrom(peer(100 * BLOCK, []), 100 * BLOCK, 0)!;
    assert.equal(rule({ kind: 'webseed' } as unknown as Fetcher, 1, 0), false);
    assert.equal(rule(peer(0, [1]), 1, 0), true, 'a holder that has sent nothing lately: never expected');
  });
});
