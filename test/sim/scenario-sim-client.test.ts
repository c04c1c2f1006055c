/**
 * The `shoal sim` scenarios run the session layer's client (`createClient`, the assembly of
 * `shoal get` and the daemon), not a swarm of their own: each client's swarm is the one its
 * session built through `Client.addTorrent` (the session's dialer, ban list and listener), and
 * the swarm settings a scenario gives arrive as session and torrent options.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Client } from '../../src/session/client.js';
import { PEER_PORT, type SimClient } from '../../src/sim/scenarios/sim-client.js';
import { runSwarmScenario } from '../../src/sim/scenarios/swarm-scenario.js';
import { ReputationStore } from '../../src/swarm/reputation.js';

describe('shoal sim swarm clients', () => {
  it('are Clients whose sessions built their swarms, with the scenario settings as session options', async () => {
    const clients = new Map<number, SimClient>();
    const store = new ReputationStore();
    const r = await runSwarmScenario({
      peers: 4, arrival: 'flash', flashWindowS: 1, fileBytes: 256 * 1024, pieceLength: 32 * 1024, seed: 3, maxVirtualS: 300,
      setupPeer: (i) => (i === 0 ? { swarm: { picker: { randomFirstPieces: 2 }, silentPeerTimeoutMs: 1234, maxPeers: 7, unchokeSlots: 3, choker: { policy: 'random', reputation: store } } } : {}),
      onClient: (i, c) => clients.set(i, c),
    });
    assert.equal(r.completed, 4);
    assert.equal(clients.size, 5, 'the origin seed and four leechers');
    for (const [i, c] of clients) {
      assert.ok(c.client instanceof Client, `client ${i}`);
      assert.equal(c.swarm.dialer, c.client.session.dialer, `client ${i}: its swarm dials through its session`);
      assert.equal(c.swarm.bans, c.client.session.bans, `client ${i}: its swarm shares the session's ban list`);
      assert.equal(c.client.session.listenAddress?.port, PEER_PORT);
      assert.equal(c.swarm.opts.listenAddress?.host, c.host.address, `client ${i}: the session's listen address`);
    }
    const first = clients.get(0)!;
    assert.deepEqual(first.swarm.opts.picker, { randomFirstPieces: 2 });
    assert.equal(first.swarm.opts.silentPeerTimeoutMs, 1234);
    assert.equal(first.swarm.opts.maxPeers, 7);
    assert.equal(first.swarm.opts.unchokeSlots, 3);
    assert.equal(first.swarm.opts.choker?.policy, 'random');
    assert.equal(first.client.session.reputation, store, 'the store the scenario gave is the session\'s');
    assert.equal(clients.get(1)!.client.session.reputation, undefined, 'no store given: no memory, as the scenarios always ran');
  });
});
