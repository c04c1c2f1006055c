/**
 * Demand slots (choker.ts `noteUploadDemand`, `noteUploadIdle`; demand-slots.ts): while the
 * peers we unchoke leave our upload without a request waiting and interested peers wait
 * choked, one more regular slot opens per two starved ticks, or at once when the upload runs
 * dry (at most one per `DEMAND_OPEN_MS`), up to `maxDemandSlots`; a rechoke round in which
 * the upload never ran dry closes one. They go in turn, not by rate. `shoal sim swarm`: the
 * 5 Mbit/s class idled with interested peers choked in 38% of its idle samples.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { Choker, type ChokerPeer } from '../../src/swarm/choker.js';
import { DEMAND_OPEN_MS } from '../../src/swarm/demand-slots.js';

const peer = (name: string, over: Partial<ChokerPeer<string>> = {}): ChokerPeer<string> => ({
  peer: name, interested: true, downloadRate: 0, uploadRate: 0, connectedAt: -1e6, expectingData: false, ...over,
});

/** Three regular peers holding their slots and two waiting, the better one `w1`. */
function swarmOf(): ChokerPeer<string>[] {
  return [
    peer('r1', { unchokedSince: 0, downloadRate: 30 }),
    peer('r2', { unchokedSince: 0, downloadRate: 20 }),
    peer('r3', { unchokedSince: 0, downloadRate: 10 }),
    peer('w1', { downloadRate: 5 }),
    peer('w2', { downloadRate: 1 }),
  ];
}

describe('demand slots', () => {
  it('opens a slot after two starved ticks with peers waiting, and fill gives it to the best of them', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 3 });
    const peers = swarmOf();
    assert.deepEqual(c.fill(peers, 0, false), [], 'all three slots taken');
    assert.equal(c.noteUploadDemand(true, true), false, 'one starved tick is not enough');
    assert.equal(c.noteUploadDemand(true, true), true);
    assert.equal(c.slots(peers), 4);
    assert.equal(c.knownSlots(false), 4);
    assert.deepEqual(c.fill(peers, 1000, false), ['w1']);
  });

  it('opens nothing while requests wait for our upload, or nobody waits for a slot', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 3 });
    for (let i = 0; i < 10; i++) {
      assert.equal(c.noteUploadDemand(i % 2 === 0, true), false, 'a saturated tick breaks the run');
      assert.equal(c.noteUploadDemand(true, false), false, 'nobody choked and interested');
    }
    assert.equal(c.openDemandSlots, 0);
  });

  it('stops at maxDemandSlots, and a round with no starved tick closes one', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 3, maxDemandSlots: 2 });
    for (let i = 0; i < 20; i++) c.noteUploadDemand(true, true);
    assert.equal(c.openDemandSlots, 2, 'the limit holds');
    c.rechoke(swarmOf(), 10_000, false);
    assert.equal(c.openDemandSlots, 2, 'this round was starved: kept');
    c.noteUploadDemand(false, true);
    c.rechoke(swarmOf(), 20_000, false);
    assert.equal(c.openDemandSlots, 1, 'a round without a starved tick closes one');
    const d = c.rechoke(swarmOf(), 30_000, false);
    assert.equal(c.openDemandSlots, 0);
    assert.equal([...d.unchoke].filter((p) => p !== d.optimistic).length, 3, 'back to the regular slots');
  });

  it('leaves the tyrant, capacity-based slots and maxDemandSlots 0 alone', () => {
    for (const o of [{ policy: 'tyrant' as const }, { uploadCapacity: 100_000 }, { maxDemandSlots: 0 }]) {
      const c = new Choker<string>(createRandom(1), { regularSlots: 3, ...o });
      for (let i = 0; i < 10; i++) assert.equal(c.noteUploadDemand(true, true), false);
      assert.equal(c.openDemandSlots, 0);
    }
    assert.throws(() => new Choker<string>(createRandom(1), { maxDemandSlots: -1 }), RangeError);
  });

  it('an idle upload opens a slot at once, one per DEMAND_OPEN_MS, and keeps the round from closing one', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 3 });
    assert.equal(c.demandSlotDue(0), true);
    assert.equal(c.noteUploadIdle(0), true, 'no second tick waited for');
    assert.equal(c.demandSlotDue(DEMAND_OPEN_MS - 1), false);
    assert.equal(c.noteUploadIdle(DEMAND_OPEN_MS - 1), false, 'too soon');
    assert.equal(c.noteUploadIdle(DEMAND_OPEN_MS), true);
    assert.equal(c.openDemandSlots, 2);
    c.rechoke(swarmOf(), 10_000, false);
    assert.equal(c.openDemandSlots, 2, 'the upload ran dry this round: kept');
    c.rechoke(swarmOf(), 20_000, false);
    assert.equal(c.openDemandSlots, 1);
    const tyrant = new Choker<string>(createRandom(1), { policy: 'tyrant' });
    assert.equal(tyrant.demandSlotDue(0), false);
    assert.equal(tyrant.noteUploadIdle(0), false);
  });

  it('gives demand slots in turn: to peers that gave us something, the one unchoked longest ago first, not the fastest', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 3 });
    const peers = [
      ...swarmOf().slice(0, 3),
      peer('fast', { downloadRate: 50, given: 1e6, lastUnchokedAt: 9_000 }),
      peer('waited', { downloadRate: 5, given: 1e5, lastUnchokedAt: 1_000 }),
      peer('never', { downloadRate: 0, given: 0 }),
    ];
    c.noteUploadIdle(0);
    assert.deepEqual(c.fill(peers, 10_000, false), ['waited'], 'the base slots are full: the demand slot goes in turn');
    c.noteUploadIdle(DEMAND_OPEN_MS);
    const d = c.rechoke(peers.map((p) => (p.peer === 'waited' ? { ...p, unchokedSince: 10_000, lastUnchokedAt: 10_000 } : p)), 12_000, false);
    const regular = [...d.unchoke].filter((p) => p !== d.optimistic);
    assert.deepEqual(regular.slice(0, 3), ['fast', 'r1', 'r2'], 'the regular slots by rate');
    assert.deepEqual(regular.slice(3), ['waited', 'r3'], 'then the demand slots in turn: the one that gave first');
  });
});
