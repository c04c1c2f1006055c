/**
 * How many requests a peer is sent (transfer.ts): a fast start after its first block, then
 * two seconds at its measured rate. A slow seeder is not handed a 16-block queue it needs a
 * minute to serve (blocks the end game then asks of someone else, and both copies come);
 * a fast one still gets a deep queue within its first round trips.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import type { SimHost } from '../../src/sim/host.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import type { Swarm } from '../../src/swarm/swarm.js';
import { generatePeerId } from '../../src/wire/index.js';
import { makeFixture, seededStorage, simSwarm, type Fixture } from './swarm-fixture.js';

let f: Fixture;
before(async () => (f = await makeFixture(2 * 1024 * 1024, 64 * 1024)));
after(() => f.cleanup());

async function seeder(sim: Simulator, host: SimHost): Promise<Swarm> {
  const s = simSwarm(host, f, await seededStorage(f));
  const id = generatePeerId(host.runtime.random);
  await host.runtime.stream.listen({ host: host.address, port: 6881 }, (st) => routeIncoming(host.runtime, id, st, () => s));
  await s.start();
  return s;
}

describe('the request queue', () => {
  it('keeps a slow seeder to a few requests while a fast one gets a deep queue', async () => {
    const sim = new Simulator({ seed: 21, latency: new ConstantLatency(25), yieldMode: 'every-event' });
    const slowHost = sim.createHost({ uploadBps: 64e3 }); // 8 KB/s: 2 s a block
    const fastHost = sim.createHost({ uploadBps: 2e6 }); // 250 KB/s: the 2 MiB take about 8 s
    const us = sim.createHost();
    const setup = (async () => [await seeder(sim, slowHost), await seeder(sim, fastHost)])();
    await sim.run({ until: 10 });
    const seeders = await setup;
    let completeAt = -1;
    const leecher = simSwarm(us, f, new MemoryStorage(f.torrent), { onEvent: (e) => { if (e.type === 'complete') completeAt = sim.now; } });
    await leecher.start();
    leecher.addPeer({ host: slowHost.address, port: 6881 });
    leecher.addPeer({ host: fastHost.address, port: 6881 });
    let slowMax = 0, fastMax = 0;
    for (let t = 100; t <= 120_000 && completeAt < 0; t += 50) {
      await sim.run({ until: t });
      for (const p of leecher.peers.values()) {
        const n = p.conn.outstandingRequests.size;
        if (p.address.host === slowHost.address) slowMax = Math.max(slowMax, n);
        if (p.address.host === fastHost.address) fastMax = Math.max(fastMax, n);
      }
    }
    assert.ok(completeAt > 0, 'the download completed');
    // Before: 16 each (a fixed floor); 16 blocks at 8 KB/s are half a minute.
    assert.ok(slowMax <= 6, `the slow seeder held ${slowMax} requests at most`);
    assert.ok(fastMax >= 16, `the fast seeder held ${fastMax} requests at most`);
    await leecher.stop();
    for (const s of seeders) await s.stop();
  });
});
