/**
 * A swarm whose peers leave as soon as they finish, with small connection limits (10), on
 * the simulator with fixed seeds: every late arrival still finds live peers. Before the
 * peer pool offered never-failed addresses first, departed peers' addresses (each holding a
 * half-open slot until its connect timed out) crowded out the live ones, and the origin seed,
 * full when a peer first dialled it, was forgotten: the slowest peers took 212-220 s for a
 * 1 MiB file (their links need 3-11 s); now 16-46 s.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runSwarmScenario } from '../../src/sim/scenarios/swarm-scenario.js';

describe('shoal sim swarm: dialling under churn', () => {
  for (const seed of [1, 2]) {
    it(`60 peers, 10 connections each, leaving at once: nobody starves (seed ${seed})`, async () => {
      const r = await runSwarmScenario({
        peers: 60, arrival: 'steady', arrivalRatePerS: 1, fileBytes: 1 << 20, seed, maxVirtualS: 600,
        clientSetup: () => ({ swarm: { maxPeers: 10 } }),
      });
      assert.equal(r.completed, 60);
      const slowest = Math.max(...r.records.map((p) => p.completedS!));
      assert.ok(slowest < 80, `the slowest peer took ${slowest.toFixed(1)} s`);
      assert.ok(r.p95CompletionS < 40, `p95 ${r.p95CompletionS.toFixed(1)} s`);
    });
  }
});
