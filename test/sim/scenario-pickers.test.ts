/**
 * Rarest first against random picking (src/sim/scenarios/picker-compare.ts), on the
 * quantity rarest first is published to win (Legout et al., IMC 2006): the origin seed's
 * pieces get out sooner and with fewer duplicates. The two runs share seed and options, so
 * a `rarest` that were silently random would give the same run twice and fail here.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { comparePickers } from '../../src/sim/scenarios/picker-compare.js';

const MIB = 1024 * 1024;

describe('rarest first against random', () => {
  it('with the origin the bottleneck: every piece out sooner, fewer origin copies spent on it, more copies of the rarest piece', async () => {
    // A 1 Mbit/s origin under a 30-peer flash crowd. At the swarm's default 5 Mbit/s and this
    // size the two pickers trade places from seed to seed (docs/simulator.md).
    const r = await comparePickers({ peers: 30, arrival: 'flash', fileBytes: 2 * MIB, seedUploadBps: 1e6, seed: 1 });
    const why = JSON.stringify(r);
    assert.equal(r.rarest.completed, 30, why);
    assert.equal(r.random.completed, 30, why);
    assert.ok(r.rarest.allOutS < r.random.allOutS, why);
    assert.ok(r.rarest.originCopiesAtAllOut < r.random.originCopiesAtAllOut, why);
    assert.ok(r.rarest.meanMinLeecherCopies > r.random.meanMinLeecherCopies, why);
    // Every piece leaves the origin at least once: a file's worth is the floor.
    assert.ok(r.rarest.originCopiesAtAllOut >= 1 && r.random.originCopiesAtAllOut >= 1, why);
  });
});
