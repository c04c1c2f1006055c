import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { Bitfield } from '../../src/util/bitfield.js';
import { BLOCK_LENGTH, PiecePicker } from '../../src/swarm/piece-picker.js';

const PIECE = 4 * BLOCK_LENGTH;
function picker(pieces: number, lastPieceBytes = PIECE, randomFirst = 0) {
  const sizes = Array.from({ length: pieces }, (_, i) => (i === pieces - 1 ? lastPieceBytes : PIECE));
  return new PiecePicker<string>(sizes, createRandom(7), { randomFirstPieces: randomFirst });
}
const all = (n: number) => Bitfield.full(n);
const only = (n: number, ...set: number[]) => {
  const b = new Bitfield(n);
  for (const i of set) b.set(i);
  return b;
};

describe('PiecePicker', () => {
  it('counts the bytes requested from all peers: picks and end game copies add, answers, drops and failures take away', () => {
    const p = picker(2, PIECE - 1000);
    p.addSeed();
    const a = p.pick({ peer: 'a', has: all(2), isSeed: true }, 5);
    assert.equal(p.requestedBytes, 5 * BLOCK_LENGTH);
    p.blockReceived(a[0], 'a');
    p.requestDropped(a[1], 'a');
    p.requestDropped(a[1], 'a'); // a second drop of the same request changes nothing
    assert.equal(p.requestedBytes, 3 * BLOCK_LENGTH);
    const b = p.pick({ peer: 'b', has: all(2), isSeed: true }, 8); // the rest, the short last block included
    assert.equal(b.length, 4);
    assert.equal(p.requestedBytes, 7 * BLOCK_LENGTH - 1000);
    const copy = p.pick({ peer: 'c', has: all(2), isSeed: true }, 1); // end game: one copy of a busy block
    assert.equal(copy.length, 1);
    assert.equal(p.requestedBytes, 7 * BLOCK_LENGTH - 1000 + copy[0].length);
    p.blockReceived(copy[0], 'c'); // both requests for it are settled (the other peer gets a cancel)
    assert.equal(p.requestedBytes, 7 * BLOCK_LENGTH - 1000 - copy[0].length);
    for (const r of [...a.slice(2), ...b]) if (r.index === 0) p.blockReceived(r, r.begin === a[1].begin ? 'b' : 'a');
    p.pieceFailed(0); // piece 0 all in, failed: nothing of it is requested any more
    assert.equal(p.requestedBytes, 3 * BLOCK_LENGTH, 'piece 1: block 0 from a, blocks 1 and 2 from b');
  });

  it('splits pieces into 16 KiB blocks with a short last block', () => {
    const p = picker(2, PIECE - 1000);
    assert.equal(p.blockCount(1), 4);
    assert.equal(p.blockLength(1, 3), BLOCK_LENGTH - 1000);
  });

  it('picks the rarest piece the peer has', () => {
    const p = picker(5);
    p.peerBitfield(all(5));
    p.peerBitfield(all(5));
    p.peerBitfield(only(5, 0, 1, 2, 4)); // piece 3 is held by two peers only
    const blocks = p.pick({ peer: 'a', has: all(5) }, 4);
    assert.deepEqual(new Set(blocks.map((b) => b.index)), new Set([3]));
  });

  it('never picks a piece the peer lacks or one nobody has', () => {
    const p = picker(4);
    p.peerBitfield(only(4, 1));
    assert.deepEqual(p.pick({ peer: 'a', has: only(4, 2) }, 16), []);
    assert.ok(p.pick({ peer: 'b', has: only(4, 1) }, 16).every((b) => b.index === 1));
  });

  it('finishes a partial piece before starting another', () => {
    const p = picker(3);
    p.peerBitfield(all(3));
    const first = p.pick({ peer: 'a', has: all(3) }, 2);
    const second = p.pick({ peer: 'b', has: all(3) }, 2);
    assert.equal(second[0].index, first[0].index);
  });

  it('skips priority-0 pieces and prefers higher priority', () => {
    const p = picker(4);
    p.peerBitfield(all(4));
    p.setPriority(0, 0);
    p.setPriority(2, 5);
    const got = p.pick({ peer: 'a', has: all(4) }, 4);
    assert.ok(got.every((b) => b.index === 2));
    const rest = p.pick({ peer: 'a', has: all(4) }, 100).map((b) => b.index);
    assert.ok(!rest.includes(0));
    for (const i of [1, 2, 3]) p.pieceVerified(i);
    assert.equal(p.done, true);
  });

  it('takes the streaming window in order', () => {
    const p = picker(10);
    p.peerBitfield(all(10));
    p.setStreamingWindow(5, 3);
    const got = p.pick({ peer: 'a', has: all(10) }, 12).map((b) => b.index);
    assert.deepEqual(got, [5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7]);
  });

  it('starts with random pieces, then goes rarest first', () => {
    const p = new PiecePicker<string>(new Array(50).fill(PIECE), createRandom(3), { randomFirstPieces: 4 });
    p.peerBitfield(all(50));
    p.peerBitfield(only(50, ...Array.from({ length: 49 }, (_, i) => i + 1))); // piece 0 is rarest
    const first = p.pick({ peer: 'a', has: all(50) }, 4)[0].index;
    assert.notEqual(first, 0); // random, not rarest (with this seed)
    for (const i of [10, 11, 12, 13]) p.pieceVerified(i);
    const next = p.pick({ peer: 'b', has: all(50) }, 8).map((b) => b.index);
    assert.ok(next.includes(0), `rarest first after 4 pieces: ${next}`);
  });

  it('enters end game only when every block is requested, then cancels duplicates', () => {
    const p = picker(2);
    p.peerBitfield(all(2));
    const a = p.pick({ peer: 'a', has: all(2) }, 7);
    assert.equal(p.inEndGame, false);
    const b = p.pick({ peer: 'b', has: all(2) }, 8);
    assert.equal(b.length, 1); // the last unrequested block; no duplicates while b has requests out
    assert.equal(p.inEndGame, true);
    assert.deepEqual(p.pick({ peer: 'b', has: all(2), outstanding: 1 }, 8), []);
    const r0 = p.blockReceived(b[0], 'b');
    assert.deepEqual(r0.cancel, []);
    // b is idle now: one duplicate, of a's newest block (the last a would send).
    const dups = p.pick({ peer: 'b', has: all(2), outstanding: 0 }, 8);
    assert.equal(dups.length, 1);
    const dup = dups[0];
    assert.deepEqual(dup, a[a.length - 1]);
    const r = p.blockReceived(dup, 'b');
    assert.deepEqual(r.cancel, ['a']);
    assert.equal(p.blockReceived(dup, 'a').accepted, false);
  });

  it('gives an idle peer in end game the busy block with the fewest requesters, one at a time', () => {
    const p = picker(1);
    p.peerBitfield(all(1));
    const a = p.pick({ peer: 'a', has: all(1) }, 4);
    const b1 = p.pick({ peer: 'b', has: all(1), outstanding: 0 }, 4);
    assert.deepEqual(b1, [a[3]]);
    assert.deepEqual(p.pick({ peer: 'b', has: all(1), outstanding: 1 }, 4), [], 'not while it has a request out');
    const c1 = p.pick({ peer: 'c', has: all(1), outstanding: 0 }, 4);
    assert.deepEqual(c1, [a[2]], 'a block only a is fetching, before the one a and b are');
    const wide = new PiecePicker<string>([PIECE], createRandom(7), { randomFirstPieces: 0, endGameRequests: 3 });
    wide.peerBitfield(all(1));
    wide.pick({ peer: 'a', has: all(1) }, 4);
    assert.equal(wide.pick({ peer: 'b', has: all(1) }, 4).length, 3, 'endGameRequests raises the limit');
  });

  it('returns dropped requests to the pool and refetches failed pieces', () => {
    const p = picker(1);
    p.peerBitfield(all(1));
    const got = p.pick({ peer: 'a', has: all(1) }, 4);
    assert.deepEqual(p.pick({ peer: 'b', has: all(1) }, 4).length, 1); // one end game duplicate
    for (const blk of got) p.requestDropped(blk, 'a');
    for (const blk of got) p.requestDropped(blk, 'b');
    const again = p.pick({ peer: 'c', has: all(1) }, 4);
    assert.equal(again.length, 4);
    let complete = false;
    for (const blk of again) complete = p.blockReceived(blk, 'c').pieceComplete;
    assert.equal(complete, true);
    p.pieceFailed(0);
    assert.equal(p.pick({ peer: 'd', has: all(1) }, 4).length, 4);
  });

  it('ignores blocks it never asked for', () => {
    const p = picker(2);
    assert.equal(p.blockReceived({ index: 1, begin: 0 }, 'x').accepted, false);
    assert.equal(p.blockReceived({ index: 0, begin: 5 }, 'x').accepted, false);
  });
});
