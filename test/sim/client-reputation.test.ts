/**
 * A whole client (`createClient`) keeps one reputation store for all its torrents: what a
 * peer gave us in one torrent is there when the next torrent's choker asks (docs/swarm.md).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Simulator } from '../../src/sim/index.js';
import type { SimHost } from '../../src/sim/host.js';
import { createClient, type Client } from '../../src/session/client.js';
import { VirtualStorageFactory } from '../../src/session/storage-factory.js';
import { startTrackerServer } from '../../src/tracker/server.js';
import { makeFixture, type Fixture } from './swarm-fixture.js';

const PORT = 6881;
let first: Fixture, second: Fixture;

before(async () => {
  first = await makeFixture(512 * 1024, 64 * 1024);
  second = await makeFixture(256 * 1024, 32 * 1024);
});
after(() => {
  first.cleanup();
  second.cleanup();
});

async function settle<T>(sim: Simulator, p: Promise<T>): Promise<T> {
  let done = false;
  const watched = p.finally(() => (done = true));
  for (let i = 0; i < 1000 && !done; i++) await sim.run({ until: sim.now + 100 });
  return watched;
}

async function startClient(sim: Simulator, seed: boolean, reputation?: false): Promise<{ host: SimHost; client: Client }> {
  const host = sim.createHost({ uploadBps: 8e6, downloadBps: 8e6 });
  const virtual = new VirtualStorageFactory({ seed: () => seed });
  const client = await createClient(host.runtime, { stateDir: '/nonexistent', listen: { host: host.address, port: PORT }, storage: virtual, reputation });
  return { host, client };
}

describe('reputation across the torrents of one client', () => {
  it('shares one store between torrents, holding what a peer gave us in the first', async () => {
    const sim = new Simulator({ seed: 21, yieldMode: 'every-event' });
    const trackerHost = sim.createHost();
    const tracker = await settle(sim, startTrackerServer({ runtime: trackerHost.runtime, udp: { host: trackerHost.address, port: 6969 }, intervalSeconds: 60 }));
    const url = `udp://${trackerHost.address}:6969/announce`;
    const seed = await settle(sim, startClient(sim, true));
    const leecher = await settle(sim, startClient(sim, false));
    await settle(sim, seed.client.addTorrent({ torrent: first.torrent, downloadDir: '/data', extraTrackers: [url] }));
    const a = await settle(sim, leecher.client.addTorrent({ torrent: first.torrent, downloadDir: '/data', extraTrackers: [url] }));
    await sim.run({ until: 60_000 });
    assert.ok(a.status().complete, 'the first torrent completed');

    const store = leecher.client.session.reputation!;
    assert.ok(store, 'on by default');
    // The whole first torrent, less a minute's decay (24 h half-life).
    assert.ok((store.get(seed.host.address, sim.now)?.given ?? 0) >= 0.99 * first.torrent.length, 'the seed gave us the whole first torrent');
    const b = await settle(sim, leecher.client.addTorrent({ torrent: second.torrent, downloadDir: '/data', extraTrackers: [url] }));
    assert.equal(a.swarm.opts.choker?.reputation, store);
    assert.equal(b.swarm.opts.choker?.reputation, store, "the second torrent's choker reads the same store");
    assert.equal(store.standing(seed.host.address, sim.now), 'unknown', 'a seed gave us 512 KiB: under the 1 MiB of a contributor');
    // What a seed gives is a gift: the seed books nothing the leecher took (it could not pay a seed back).
    assert.equal(seed.client.session.reputation!.get(leecher.host.address, sim.now)?.taken ?? 0, 0);

    const off = await settle(sim, startClient(sim, false, false));
    assert.equal(off.client.session.reputation, undefined, 'reputation: false turns it off');
    await settle(sim, Promise.all([seed, leecher, off].map((p) => p.client.close())));
    await settle(sim, tracker.close());
  });
});
