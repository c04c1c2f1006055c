/**
 * The uplink diagnostics of `shoal sim swarm` (uplink-diagnostics.ts): the states of one
 * class's uplink are shares that add up to one, each class's upload is split over the
 * classes it went to, and sampling leaves the run as it was (same seed, same result).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSwarmScenario } from '../../src/sim/scenarios/swarm-scenario.js';
import { BHARAMBE_2006 } from '../../src/sim/scenarios/capacity.js';
import { uplinkDiagnostics } from '../../src/sim/scenarios/uplink-diagnostics.js';

const options = { peers: 30, arrival: 'steady', arrivalRatePerS: 0.5, fileBytes: 1024 * 1024, seed: 3, maxVirtualS: 900 } as const;

describe('shoal sim swarm uplink diagnostics', () => {
  it('splits the sampled class\'s uplink time into states and each class\'s upload over classes, without changing the run', async () => {
    const d = uplinkDiagnostics({ classes: BHARAMBE_2006, sampled: '10M/5M' });
    const sampled = await runSwarmScenario({ ...options, onClient: d.onClient });
    const plain = await runSwarmScenario(options);
    assert.equal(sampled.meanCompletionS, plain.meanCompletionS, 'sampling changed the run');
    assert.equal(sampled.completed, plain.completed);

    const { samples, shares } = d.states();
    assert.ok(samples > 0, 'no 10M/5M leecher sampled');
    const sum = Object.values(shares).reduce((a, b) => a + b, 0);
    assert.ok(Math.abs(sum - 1) < 1e-9, `states add up to ${sum}`);
    assert.ok(shares.busy > 0 && shares.busy < 1, `busy ${shares.busy}`);
    assert.ok(shares.noPiece > 0, 'a newcomer has nothing to upload before its first piece');

    const flows = d.flows();
    assert.ok(flows.origin && flows['10M/5M'], `rows: ${Object.keys(flows).join(', ')}`);
    for (const [from, row] of Object.entries(flows)) {
      const total = Object.values(row).reduce((a, b) => a + b, 0);
      if (Number.isNaN(total)) continue; // a class that uploaded nothing
      assert.ok(Math.abs(total - 1) < 1e-9, `${from}'s upload splits into ${total}`);
      assert.ok(!('origin' in row) || row.origin === 0, 'nobody uploads to the origin seed');
    }
    const s = d.slots();
    assert.ok(s.connections > 0 && s.unchokedInterested >= 0 && s.demandSlots >= 0);
    const busy = d.idleDownlinkBusy();
    assert.ok(busy >= 0 && busy <= 1, `downlinks busy ${busy}`);
  });
});
