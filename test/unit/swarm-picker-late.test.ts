/** Slow peers (issue 13): the picker takes a block whose requests were all given up. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { BLOCK_LENGTH, PiecePicker } from '../../src/swarm/piece-picker.js';
import { Bitfield } from '../../src/util/bitfield.js';

describe('PiecePicker and late blocks', () => {
  it('accepts, once, a block of a piece whose every request was dropped (timed out)', () => {
    const picker = new PiecePicker<string>([2 * BLOCK_LENGTH, 2 * BLOCK_LENGTH], createRandom(1), { randomFirstPieces: 0 });
    const all = Bitfield.full(2);
    picker.peerBitfield(all);
    const blocks = picker.pick({ peer: 'slow', has: all }, 2);
    assert.equal(blocks.length, 2);
    for (const b of blocks) picker.requestDropped(b, 'slow');
    const late = blocks[0];
    assert.deepEqual(picker.blockReceived(late, 'slow'), { accepted: true, cancel: [], pieceComplete: false });
    assert.equal(picker.blockReceived(late, 'slow').accepted, false, 'a second copy is not counted again');
    const rest = picker.pick({ peer: 'other', has: all }, 10);
    assert.ok(!rest.some((b) => b.index === late.index && b.begin === late.begin), 'the block is not asked for again');
    assert.equal(rest.length, 3, 'the three blocks still missing');
  });
});
