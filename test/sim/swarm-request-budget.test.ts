/**
 * `Swarm.requests.requestingPeers` is kept per peer as chokes, unchokes, our interest and
 * departures change it (request-budget.ts), instead of a scan of every peer at each of those.
 * Through a whole simulated swarm it is checked against a scan after every batch of peer events
 * and every departure.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Swarm } from '../../src/swarm/swarm.js';
import { runSwarmScenario } from '../../src/sim/scenarios/swarm-scenario.js';

function check(swarm: Swarm): void {
  let n = 0;
  for (const p of swarm.peers.values()) if (p.conn.state === 'open' && p.conn.amInterested && !p.conn.peerChoking) n++;
  assert.equal(swarm.requests.requestingPeers, n);
}

describe('Swarm.requests', () => {
  it('counts the peers we can request from as a scan would, after every event and departure', async () => {
    const proto = Swarm.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
    const events = proto.onPeerEvents, closed = proto.onPeerClosed;
    let checks = 0;
    const checked = (f: (...a: unknown[]) => unknown) => function (this: Swarm, ...a: unknown[]) {
      const r = f.apply(this, a);
      check(this);
      checks++;
      return r;
    };
    proto.onPeerEvents = checked(events);
    proto.onPeerClosed = checked(closed);
    try {
      const r = await runSwarmScenario({ peers: 24, arrival: 'steady', seed: 1 });
      assert.equal(r.completed, 24);
    } finally {
      proto.onPeerEvents = events;
      proto.onPeerClosed = closed;
    }
    assert.ok(checks > 1000, `checked ${checks} times`);
  });
});
