/**
 * A PEX message feeds two tables: the peer pool (addresses to dial) and BEP 55's adverts (who
 * may relay a rendezvous to whom). Its dropped entries go to the adverts first: a peer that
 * says it dropped an address is no longer connected to it and cannot relay to it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeFixture, seededStorage, simSwarm } from './swarm-fixture.js';
import { Simulator } from '../../src/sim/index.js';
import { onPeerEvent } from '../../src/swarm/peer-events.js';
import type { PeerSession } from '../../src/swarm/peer-session.js';
import { addressKey } from '../../src/util/address-key.js';
import { decodePex, encodePex, PEX_FLAG_HOLEPUNCH } from '../../src/wire/index.js';

describe('ut_pex into the pool and the BEP 55 adverts', () => {
  it('takes dropped entries out of the adverts before the added ones go in, and adds every added address to the pool', async () => {
    const f = await makeFixture(64 * 1024, 16 * 1024);
    try {
      const sim = new Simulator({ seed: 5 });
      const swarm = simSwarm(sim.createHost(), f, await seededStorage(f));
      const hp = swarm.holepunch;
      assert.ok(hp);
      const calls: string[] = [];
      hp.dropped = (_peer, key) => void calls.push(`dropped ${key}`);
      hp.heardOf = (_peer, flags, key) => void calls.push(`heard ${key} ${flags}`);
      const a = { host: '10.7.0.1', port: 6881, flags: PEX_FLAG_HOLEPUNCH };
      const b = { host: '10.7.0.2', port: 6882, flags: 0 };
      const c = { host: '10.7.0.3', port: 6883 };
      const peer = {} as PeerSession; // the pex path reads nothing of the peer but its identity
      onPeerEvent(swarm, peer, { type: 'pex', message: decodePex(encodePex({ added: [a, b], dropped: [c] })) });
      assert.deepEqual(calls, [`dropped ${addressKey(c)}`, `heard ${addressKey(a)} ${PEX_FLAG_HOLEPUNCH}`, `heard ${addressKey(b)} 0`]);
      assert.ok(swarm.pool.knows(addressKey(a)) && swarm.pool.knows(addressKey(b)));
      assert.ok(!swarm.pool.knows(addressKey(c)), 'a dropped address is not one to dial');
    } finally {
      await f.cleanup();
    }
  });
});
