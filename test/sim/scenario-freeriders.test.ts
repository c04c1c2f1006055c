/**
 * `shoal sim freeriders` on a small size (fixed seed, virtual time): a free rider's choker
 * unchokes nobody, so it uploads nothing, yet finishes from the seed and optimistic
 * unchokes; tit-for-tat makes free riding cost more than a choker without incentives.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isFreeRider, runFreeRiders } from '../../src/sim/scenarios/freeriders.js';
import { runSwarmScenario } from '../../src/sim/scenarios/swarm-scenario.js';

describe('shoal sim freeriders (small)', () => {
  it('spreads the free riders evenly over the arrivals', () => {
    const picked = Array.from({ length: 20 }, (_, i) => isFreeRider(i, 0.25)).filter(Boolean).length;
    assert.equal(picked, 5);
  });

  it('a free rider uploads nothing and still finishes', async () => {
    const r = await runSwarmScenario({
      peers: 10, arrival: 'flash', fileBytes: 512 * 1024, seed: 4,
      setupPeer: (i) => (i % 5 === 0 ? { role: 'free-rider', swarm: { choker: { policy: 'none' } } } : { role: 'contributor' }),
    });
    const free = r.records.filter((x) => x.role === 'free-rider');
    assert.equal(free.length, 2);
    for (const x of free) {
      assert.equal(x.uploadedWhileLeeching, 0, 'a free rider sent no payload');
      assert.ok(x.completedS !== undefined, 'and finished anyway');
    }
    assert.ok(r.records.filter((x) => x.role === 'contributor').some((x) => x.uploadedWhileLeeching > 0));
  });

  it('tit-for-tat makes free riding cost more than a random choker does', async () => {
    const r = await runFreeRiders({ peers: 20, freeRiderShare: 0.25, fileBytes: 1024 * 1024, seed: 4 });
    assert.equal(r.runs[0].choker, 'tit-for-tat');
    assert.equal(r.freeRiderSlowdown, r.runs[0].slowdown);
    assert.ok(r.freeRiderSlowdown > r.freeRiderSlowdownNoIncentive, `tit-for-tat ${r.freeRiderSlowdown.toFixed(2)} against random ${r.freeRiderSlowdownNoIncentive.toFixed(2)}`);
    for (const run of r.runs) assert.equal(run.freeRidersCompleted, run.freeRiders);
  });
});
