/**
 * Stealing from slow peers (docs/swarm.md, "Stealing"): before end game, a peer that finds
 * nothing unrequested it has may take blocks requested only from a peer the caller's rule
 * names (one that would deliver them much later). Before, such a fast peer got nothing until
 * end game: in `shoal sim swarm` the 5 Mbit/s uploaders idled while everything their
 * downloaders wanted of them waited in slow peers' queues.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { Bitfield } from '../../src/util/bitfield.js';
import { BLOCK_LENGTH, PiecePicker } from '../../src/swarm/piece-picker.js';

const PIECE = 4 * BLOCK_LENGTH;
const only = (n: number, ...set: number[]) => {
  const b = new Bitfield(n);
  for (const i of set) b.set(i);
  return b;
};

/** Three pieces; 'slow' (a seed) has piece 0 requested whole, 'fast' has piece 0 only. */
function setup() {
  const p = new PiecePicker<string>([PIECE, PIECE, PIECE], createRandom(3), { randomFirstPieces: 0 });
  p.addSeed(); // 'slow'
  p.peerBitfield(only(3, 0)); // 'fast'
  const slow = p.pick({ peer: 'slow', has: only(3, 0) }, 4);
  assert.deepEqual(slow.map((b) => b.index), [0, 0, 0, 0]);
  return p;
}

describe('PiecePicker: stealing from slow peers', () => {
  it('gives a peer with nothing unrequested blocks a slower peer holds, when the rule allows, newest last block first', () => {
    const p = setup();
    assert.equal(p.inEndGame, false, 'pieces 1 and 2 are not requested: not end game');
    assert.deepEqual(p.pick({ peer: 'fast', has: only(3, 0) }, 4), [], 'without a rule: nothing');
    const asked: string[] = [];
    const got = p.pick({ peer: 'fast', has: only(3, 0), steal: (holder, index, begin) => (asked.push(holder), index === 0 && begin >= 2 * BLOCK_LENGTH) }, 4);
    assert.deepEqual(got.map((b) => b.begin), [3 * BLOCK_LENGTH, 2 * BLOCK_LENGTH], 'only the blocks the rule allows, last first');
    assert.ok(asked.every((h) => h === 'slow'));
    assert.equal(p.requestedBytes, 6 * BLOCK_LENGTH, 'both requests of a stolen block count');
    // The fast copy arrives first: the slow peer is told to cancel.
    const r = p.blockReceived(got[0], 'fast');
    assert.deepEqual(r.cancel, ['slow']);
    // The slow copy of the other arrives first: the fast peer is told to cancel.
    assert.deepEqual(p.blockReceived(got[1], 'slow').cancel, ['fast']);
  });

  it('never takes a block twice, nor one two peers already fetch', () => {
    const p = setup();
    const steal = () => true;
    assert.equal(p.pick({ peer: 'fast', has: only(3, 0), steal }, 4).length, 4);
    assert.deepEqual(p.pick({ peer: 'fast', has: only(3, 0), steal }, 4), [], 'already its own');
    assert.deepEqual(p.pick({ peer: 'third', has: only(3, 0), steal }, 4), [], 'two requesters each: not a steal');
  });

  it('prefers unrequested blocks: a steal happens only when nothing else is left for the peer', () => {
    const p = setup();
    const got = p.pick({ peer: 'fast2', has: only(3, 0, 1), steal: () => true }, 4);
    assert.deepEqual(got.map((b) => b.index), [1, 1, 1, 1]);
  });

  it('leaves end game to its own rule (one busy block, only for an idle peer)', () => {
    const p = new PiecePicker<string>([PIECE], createRandom(3), { randomFirstPieces: 0 });
    p.addSeed();
    p.pick({ peer: 'slow', has: only(1, 0) }, 4);
    assert.equal(p.inEndGame, true);
    assert.equal(p.pick({ peer: 'fast', has: only(1, 0), outstanding: 0, steal: () => true }, 4).length, 1);
    assert.equal(p.pick({ peer: 'fast2', has: only(1, 0), outstanding: 2, steal: () => true }, 4).length, 0);
  });
});
