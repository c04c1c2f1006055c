/**
 * `Swarm.connectedPerIp`: the per-source count of connected peers the per-IP rules read
 * (newcomers, dials) instead of scanning every peer. Through a whole simulated swarm (peers
 * arriving, finishing, replaced, refused), every swarm's count is checked against a scan of
 * its peers each time a peer is adopted or leaves.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Swarm } from '../../src/swarm/swarm.js';
import { peerIpKey } from '../../src/swarm/peer-turnover.js';
import { runSwarmScenario } from '../../src/sim/scenarios/swarm-scenario.js';
import { withSwarmChecks } from '../helpers/swarm-checks.js';

function checkCounts(swarm: Swarm): void {
  const scan = new Map<string, number>();
  for (const p of swarm.peers.values()) scan.set(peerIpKey(p.address.host), (scan.get(peerIpKey(p.address.host)) ?? 0) + 1);
  for (const p of swarm.peers.values()) assert.equal(swarm.connectedPerIp.get(p.address.host), scan.get(peerIpKey(p.address.host)), `count for ${p.address.host}`);
}

describe('Swarm.connectedPerIp', () => {
  it('matches a scan of the connected peers after every arrival and departure', async () => {
    const checks = await withSwarmChecks(['adopt', 'onPeerClosed'], checkCounts, async () => {
      const r = await runSwarmScenario({ peers: 24, arrival: 'steady', seed: 1 });
      assert.equal(r.completed, 24);
    });
    assert.ok(checks > 200, `checked at ${checks} arrivals and departures`);
  });
});
