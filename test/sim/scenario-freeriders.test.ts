/**
 * `shoal sim freeriders` on a small size (fixed seed, virtual time): a free rider's choker
 * unchokes nobody, so it uploads nothing, yet finishes from the seed and optimistic
 * unchokes; tit-for-tat makes free riding cost more than a choker without incentives, and
 * remembering the peers of a first torrent makes it cost more in a second one.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isFreeRider, probeSet, runFreeRiders } from '../../src/sim/scenarios/freeriders.js';
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

  it('tit-for-tat makes free riding cost more than a random choker does (seeds 1-3 together)', async () => {
    // At 20 peers and 1 MiB the downloads end before tit-for-tat tells contributors apart:
    // both chokers measured ~1.0 over seeds 1-6 and one seed went either way by noise. At 40
    // peers and 4 MiB: tit-for-tat 1.25 against random 1.00 (seeds 1-3, session 15).
    let slowdown = 0, noIncentive = 0;
    for (const seed of [1, 2, 3]) {
      const r = await runFreeRiders({ peers: 40, freeRiderShare: 0.2, fileBytes: 4 * 1024 * 1024, seed, runs: ['tit-for-tat', 'random'] });
      assert.equal(r.runs[0].choker, 'tit-for-tat');
      assert.ok(Number.isNaN(r.tyrantSpeedup) && Number.isNaN(r.freeRiderSlowdownReputation), 'runs not made report NaN');
      assert.equal(r.freeRiderSlowdown, r.runs[0].slowdown);
      for (const run of r.runs) {
        assert.equal(run.freeRidersCompleted, run.freeRiders);
        assert.ok(Number.isFinite(run.slowdownSameClass) && run.slowdownSameClass > 0, 'free riders against contributors of their own link class');
      }
      slowdown += r.freeRiderSlowdown;
      noIncentive += r.freeRiderSlowdownNoIncentive;
    }
    assert.ok(slowdown > noIncentive, `tit-for-tat ${(slowdown / 3).toFixed(3)} against random ${(noIncentive / 3).toFixed(3)} (mean of 3 seeds)`);
  });

  it('picks the probes among the contributors, spread over the arrivals', () => {
    const probes = [...probeSet(30, 0.2, 3)];
    assert.equal(probes.length, 3);
    for (const i of probes) assert.ok(!isFreeRider(i, 0.2));
    assert.ok(Math.max(...probes) - Math.min(...probes) >= 15);
  });

  it('free riders met again in a second torrent are slower, against contributors, when every client remembers the first (seeds 1-3 together)', async () => {
    // One seed's pair of torrents swings either way (at 30 peers, seeds 2, 4 and 5 of 1-5
    // went the other way once refused dials stopped looping); over several seeds the effect
    // holds. Switched off, the second torrent replays the first and the sums are equal.
    // Measured against the contributors of the same run: the second torrent can be faster
    // for everyone (contributors remember each other too), and then free riders' own times
    // fall with it (the session's client: 69.8 -> 66.8 s on seeds 1-3, contributors 57.5 ->
    // 54.0 s, the slowdown 1.210 -> 1.227; docs/simulator.md).
    let firstS = 0, secondS = 0, slowdown = 0, slowdownReputation = 0;
    for (const seed of [1, 2, 3]) {
      const r = await runFreeRiders({ peers: 40, freeRiderShare: 0.2, fileBytes: 4 * 1024 * 1024, seed, runs: ['tit-for-tat', 'reputation'] });
      const [first, second] = r.runs;
      assert.equal(second.choker, 'reputation');
      assert.equal(r.freeRiderSlowdownReputation, second.slowdown);
      assert.equal(second.freeRidersCompleted, second.freeRiders, `seed ${seed}: drawn less often, never shut out`);
      firstS += first.freeRidersMeanS;
      secondS += second.freeRidersMeanS;
      slowdown += r.freeRiderSlowdown;
      slowdownReputation += r.freeRiderSlowdownReputation;
    }
    assert.ok(slowdownReputation > slowdown, `slowdown ${(slowdown / 3).toFixed(3)}, then ${(slowdownReputation / 3).toFixed(3)}; free riders ${(firstS / 3).toFixed(1)} s, then ${(secondS / 3).toFixed(1)} s (mean of 3 seeds)`);
  });
});
