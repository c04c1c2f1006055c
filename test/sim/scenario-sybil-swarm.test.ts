/**
 * Sybil peers in a swarm (`shoal sim sybil`'s swarm half, src/sim/scenarios/swarm-sybil.ts):
 * the three runs compare the same honest leechers, and the silent-peer drop is what lets a
 * leecher that cannot take incoming connections (NAT: no turnover ever replaces a Sybil for
 * it) out of a neighbourhood of Sybils. docs/simulator.md, "Sybils in a swarm".
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSwarmSybil } from '../../src/sim/scenarios/swarm-sybil.js';

const MIB = 1024 * 1024;

describe('Sybils in a swarm', () => {
  it('compares the same honest leechers in every run (links drawn apart from the Sybils)', async () => {
    const r = await runSwarmSybil({ honest: 6, sybils: 6, fileBytes: MIB, seed: 2, maxVirtualS: 300 });
    // runSwarmSybil throws if the runs' honest links differ; here: they do not depend on the Sybils.
    const alone = await runSwarmSybil({ honest: 6, sybils: 1, fileBytes: MIB, seed: 2, maxVirtualS: 300 });
    assert.deepEqual(r.honestClasses, alone.honestClasses);
    assert.equal(r.completed.baseline, 6);
    assert.equal(r.runs.baseline.sybilConnections, 0);
    assert.ok(r.runs.defended.sybilConnections > 0, 'the honest leechers met the Sybils');
  });

  it('the silent-peer drop gets NATed leechers out of a Sybil neighbourhood; without it some never finish', async () => {
    // 5 leechers behind port-restricted NATs among 100 Sybils: the tracker's 50 addresses are
    // mostly Sybils, every connection slot a leecher dials fills with them, and none dials in.
    const r = await runSwarmSybil({ honest: 5, sybils: 100, fileBytes: MIB, seed: 1, nat: 'port-restricted', maxVirtualS: 600 });
    assert.equal(r.runs.undefended.silentDrops, 0);
    assert.ok(r.runs.defended.silentDrops > 0, JSON.stringify(r.runs));
    assert.equal(r.runs.defended.turnovers + r.runs.undefended.turnovers, 0, 'no turnover: nobody reaches a NATed leecher');
    assert.ok(r.completed.defended > r.completed.undefended, JSON.stringify(r.completed));
    assert.ok(r.defendedMeanS < r.undefendedMeanS, `${r.defendedMeanS} < ${r.undefendedMeanS}`);
  });
});
