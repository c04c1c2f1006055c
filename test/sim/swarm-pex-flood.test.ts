/**
 * A peer that sends ut_pex messages as fast as it likes (BEP 11 says once a minute) used to
 * fill the peer pool with its 200 picks a message; now a message sooner than
 * `minPexIntervalMs` after the last one taken from that connection is ignored.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeFixture, seededStorage, simSwarm } from './swarm-fixture.js';
import { Simulator } from '../../src/sim/index.js';
import { onPeerEvent } from '../../src/swarm/peer-events.js';
import type { PeerSession } from '../../src/swarm/peer-session.js';
import { decodePex, encodePex, type PeerEvent } from '../../src/wire/index.js';

function pexEvent(round: number): PeerEvent {
  const added = Array.from({ length: 200 }, (_, i) => ({ host: `10.${100 + round}.${i >> 8}.${i & 0xff}`, port: 6881, flags: 0 }));
  return { type: 'pex', message: decodePex(encodePex({ added, dropped: [] })) };
}

describe('ut_pex flood', () => {
  it('takes one message per minPexIntervalMs from a peer: ten messages in a second add 200 addresses, not 2000', async () => {
    const f = await makeFixture(64 * 1024, 16 * 1024);
    try {
      const sim = new Simulator({ seed: 4 });
      const host = sim.createHost();
      // Its dials to these made-up addresses fail once each, which keeps them in the pool.
      const swarm = simSwarm(host, f, await seededStorage(f), { minPexIntervalMs: 45_000 });
      const peer = {} as PeerSession; // the pex path reads nothing of the peer but its identity
      for (let round = 0; round < 10; round++) {
        onPeerEvent(swarm, peer, pexEvent(round));
        await sim.run({ until: sim.now + 100 });
      }
      assert.equal(swarm.pool.size, 200);
      await sim.run({ until: sim.now + 45_000 });
      onPeerEvent(swarm, peer, pexEvent(10));
      assert.equal(swarm.pool.size, 400, 'a message a minimum interval later is taken');
      const other = {} as PeerSession;
      onPeerEvent(swarm, other, pexEvent(11));
      assert.equal(swarm.pool.size, 600, 'another peer has its own interval');
    } finally {
      await f.cleanup();
    }
  });
});
