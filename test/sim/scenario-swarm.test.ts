/**
 * `shoal sim swarm` on a small size: real swarms and a real tracker on the simulator, fixed
 * seed, virtual time. Checks the physics: everyone finishes, no peer beats its own link or
 * the fluid bound, η is a share. The target (mean within 1.2x of the fluid model) is
 * not met yet: this small flash crowd runs at about 1.8x (docs/simulator.md says why); the
 * test holds the line at 2.5x so a regression shows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { CLI_PATH } from '../interop/helpers.js';
import { heterogeneousFluidTime, fluidDownloadTime, flashCrowdTime } from '../../src/sim/scenarios/fluid.js';
import { runSwarmScenario } from '../../src/sim/scenarios/swarm-scenario.js';
import { parseCapacities } from '../../src/sim/scenarios/capacity.js';

const F = 1024 * 1024;
const near = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-9, `${a} is not ${b}`);

describe('the fluid model', () => {
  it('is download-bound with fast uploaders and upload-bound with slow ones (Qiu–Srikant)', () => {
    // μ = 0.1 file/s, c = 1 file/s, seeds leave at once: T = 1/(ημ) = 10 s; with η = 0.5, 20 s.
    near(fluidDownloadTime({ arrivalRate: 1, upload: 0.1, download: 1, seedLeaveRate: Infinity }), 10);
    near(fluidDownloadTime({ arrivalRate: 1, upload: 0.1, download: 1, seedLeaveRate: Infinity, effectiveness: 0.5 }), 20);
    // Lingering seeds (γ = 0.2/s) take 1/γ = 5 s off: T = 10 − 5.
    near(fluidDownloadTime({ arrivalRate: 1, upload: 0.1, download: 1, seedLeaveRate: 0.2 }), 5);
    // Upload plentiful: T = 1/c.
    near(fluidDownloadTime({ arrivalRate: 1, upload: 10, download: 1, seedLeaveRate: Infinity }), 1);
    // A slow downloader cannot beat its link even when the swarm's upload is plentiful.
    near(heterogeneousFluidTime({ arrivalRate: 1, upload: 10, seedLeaveRate: Infinity }, [1, 0.25]), (1 + 4) / 2);
    // Flash crowd: 10 peers × 8 Mbit over 8 Mbit/s in total = 10 s.
    near(flashCrowdTime(10, F, 4 * 1024 * 1024, Array(10).fill(0.4 * 1024 * 1024), Array(10).fill(100e6)), 10);
  });
});

describe('shoal sim swarm (small)', () => {
  it('a flash crowd of 24 all finish, none faster than its own link or the fluid bound', async () => {
    const r = await runSwarmScenario({ peers: 24, arrival: 'flash', flashWindowS: 1, fileBytes: F, seed: 7, lingerMeanS: 30, maxVirtualS: 600 });
    assert.equal(r.completed, 24);
    for (const p of r.records) assert.ok(p.completedS! >= (F * 8) / p.downloadBps, `peer ${p.index} beat its ${p.downloadBps} bit/s link`);
    assert.ok(r.ratioToFluid >= 0.95 && r.ratioToFluid <= 2.5, `mean ${r.meanCompletionS.toFixed(1)} s against fluid ${r.fluidMeanCompletionS.toFixed(1)} s`);
    assert.ok(r.effectiveness > 0 && r.effectiveness <= 1, `η ${r.effectiveness}`);
    // The model at the η measured asks more time of the swarm than at η = 1 (less upload used).
    assert.ok(r.fluidAtMeasuredEtaS >= r.fluidMeanCompletionS, `fluid at η ${r.fluidAtMeasuredEtaS} s, at 1 ${r.fluidMeanCompletionS} s`);
    // The origin seed never leaves: every piece always has a copy.
    assert.ok(r.availability.every((a) => a.minCopies >= 1));
  });

  it('reports the multiclass reference per class; with identical peers it is the Qiu–Srikant figure', async () => {
    const same = await runSwarmScenario({ peers: 10, arrival: 'steady', arrivalRatePerS: 0.5, fileBytes: F / 4, seed: 2, capacities: parseCapacities('2M/512k') });
    assert.ok(same.multiclass, 'steady runs carry the multiclass reference');
    near(same.multiclass.meanS, same.fluidMeanCompletionS);
    assert.deepEqual(Object.keys(same.multiclass.byClass), ['2M/512k']);
    const two = await runSwarmScenario({ peers: 10, arrival: 'steady', arrivalRatePerS: 0.5, fileBytes: F / 4, seed: 2, capacities: parseCapacities('784k/128k,10M/5M') });
    const cls = two.multiclass!.byClass;
    assert.deepEqual(Object.keys(cls).sort(), ['10M/5M', '784k/128k']);
    // Tit-for-tat gives the fast class back most of its own upload: it is modelled faster.
    assert.ok(cls['10M/5M'].modelS < cls['784k/128k'].modelS);
    near(cls['10M/5M'].share + cls['784k/128k'].share, 1);
    assert.equal((await runSwarmScenario({ peers: 4, arrival: 'flash', fileBytes: F / 4, seed: 2 })).multiclass, undefined);
  });

  it('replays exactly with the same seed', async () => {
    const a = await runSwarmScenario({ peers: 8, arrival: 'flash', fileBytes: F / 2, seed: 3 });
    const b = await runSwarmScenario({ peers: 8, arrival: 'flash', fileBytes: F / 2, seed: 3 });
    assert.deepEqual(a.records, b.records);
    assert.equal(a.events, b.events);
  });
});

describe('shoal sim swarm|freeriders|nat --json', () => {
  it('print the headline fields the checks read', () => {
    const cli = (args: string[]) => {
      const r = spawnSync(process.execPath, [CLI_PATH, 'sim', ...args, '--json'], { encoding: 'utf8', timeout: 300_000 });
      assert.equal(r.status, 0, r.stderr);
      return JSON.parse(r.stdout) as Record<string, unknown>;
    };
    const swarm = cli(['swarm', '--peers', '6', '--arrival', 'flash', '--pickers', 'rarest,random', '--file-mib', '0.25']);
    for (const k of ['peers', 'meanCompletionS', 'fluidMeanCompletionS', 'wallS']) assert.equal(typeof swarm[k], 'number', k);
    assert.equal(swarm.peers, 6);
    assert.equal((swarm.runs as unknown[]).length, 2);
    const free = cli(['freeriders', '--peers', '8', '--share', '0.25', '--file-mib', '0.25']);
    // The two, and the BitTyrant and reputation headlines (every run is made by default).
    for (const k of ['freeRiderSlowdown', 'freeRiderSlowdownNoIncentive', 'tyrantSpeedup', 'freeRiderSlowdownReputation']) assert.equal(typeof free[k], 'number', k);
    assert.equal(free.piatekMedianSpeedup, 1.7);
    assert.deepEqual((free.runs as { choker: string }[]).map((x) => x.choker), ['tit-for-tat', 'random', 'tyrant', 'reputation']);
    const nat = cli(['nat', '--peers', '6', '--file-mib', '0.25']);
    assert.deepEqual((nat.runs as { traversal: string }[]).map((x) => x.traversal), ['none', 'mapping', 'holepunch']);
    const bad = spawnSync(process.execPath, [CLI_PATH, 'sim', 'swarm', '--arrival', 'sometimes'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--arrival/);
  });
});
