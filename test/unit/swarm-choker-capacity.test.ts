/**
 * Rate-based slots (`ChokerOptions.uploadCapacity`, libtorrent's rate-based choker): with our
 * upload capacity known, each round opens one more regular slot while the peers we upload to
 * leave it under 90% used and every slot is taken, and closes one once they take it all;
 * never below the fixed count nor above `maxCapacitySlots`. Without it, slots stay fixed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { Choker, type ChokerPeer } from '../../src/swarm/choker.js';

const peers = (n: number, unchoked: number, rateEach: number): ChokerPeer<string>[] =>
  Array.from({ length: n }, (_, i) => ({
    peer: `p${i}`, interested: true, downloadRate: 100 - i, uploadRate: i < unchoked ? rateEach : 0, connectedAt: -1e6, expectingData: false,
    unchokedSince: i < unchoked ? -10_000 : undefined,
  }));

describe('Choker: rate-based slots from the upload capacity', () => {
  it('opens a slot per round while the upload has room, and closes one when it is full', () => {
    const c = new Choker<string>(createRandom(1), { uploadCapacity: 100_000 });
    assert.equal(c.slots(peers(30, 0, 0)), 8, 'starts at the fixed count');
    c.rechoke(peers(30, 8, 5_000), 0, false); // 40 KB/s of 100: room
    assert.equal(c.slots([]), 9);
    c.rechoke(peers(30, 9, 5_000), 10_000, false);
    assert.equal(c.slots([]), 10);
    c.rechoke(peers(30, 10, 9_500), 20_000, false); // 95 KB/s: between 90% and full, kept
    assert.equal(c.slots([]), 10);
    c.rechoke(peers(30, 10, 10_000), 30_000, false); // full
    assert.equal(c.slots([]), 9);
  });

  it('does not grow while slots stand empty (nobody to give them to), nor past maxCapacitySlots', () => {
    const c = new Choker<string>(createRandom(1), { uploadCapacity: 1e9, maxCapacitySlots: 10 });
    c.rechoke(peers(30, 5, 1_000), 0, false); // 5 of 8 slots used: the link is idle for want of takers
    assert.equal(c.slots([]), 8);
    for (let r = 0; r < 5; r++) c.rechoke(peers(30, c.slots([]), 1_000), r * 10_000 + 10_000, false);
    assert.equal(c.slots([]), 10);
  });

  it('never closes below the fixed count', () => {
    const c = new Choker<string>(createRandom(1), { uploadCapacity: 1_000, regularSlots: 4 });
    c.rechoke(peers(10, 4, 10_000), 0, false);
    assert.equal(c.slots([]), 4);
  });

  it('refuses a capacity that is not positive', () => {
    assert.throws(() => new Choker<string>(createRandom(1), { uploadCapacity: 0 }), RangeError);
  });
});
