/**
 * `Swarm.requests.requestingPeers` is kept per peer as chokes, unchokes, our interest and
 * departures change it (request-budget.ts), instead of a scan of every peer at each of those.
 * Through a whole simulated swarm it is checked against a scan after every batch of peer events
 * and every departure.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Swarm } from '../../src/swarm/swarm.js';
import { runSwarmScenario } from '../../src/sim/scenarios/swarm-scenario.js';
import { withSwarmChecks } from '../helpers/swarm-checks.js';

function check(swarm: Swarm): void {
  let n = 0;
  for (const p of swarm.peers.values()) if (p.conn.state === 'open' && p.conn.amInterested && !p.conn.peerChoking) n++;
  assert.equal(swarm.requests.requestingPeers, n);
}

describe('Swarm.requests', () => {
  it('counts the peers we can request from as a scan would, after every event and departure', async () => {
    const checks = await withSwarmChecks(['onPeerEvents', 'onPeerClosed'], check, async () => {
      const r = await runSwarmScenario({ peers: 24, arrival: 'steady', seed: 1 });
      assert.equal(r.completed, 24);
    });
    assert.ok(checks > 1000, `checked ${checks} times`);
  });
});
