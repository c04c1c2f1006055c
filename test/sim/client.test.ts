/**
 * Whole clients (`createClient`: session, trackers, DHT) on the simulator, with storage that
 * moves no bytes: the same assembly `shoal get` and the daemon use, on virtual time. Peers
 * are found only through a UDP tracker or the DHT, never handed over by the test.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Dht } from '../../src/dht/dht.js';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { Simulator } from '../../src/sim/index.js';
import type { SimHost } from '../../src/sim/host.js';
import { createClient, type Client, type ClientTorrent } from '../../src/session/client.js';
import { VirtualStorageFactory, type StorageRequest } from '../../src/session/storage-factory.js';
import { startTrackerServer } from '../../src/tracker/server.js';
import { makeFixture, type Fixture } from './swarm-fixture.js';

const PORT = 6881;
let fixture: Fixture;
let torrent: Torrent;

before(async () => {
  fixture = await makeFixture(1024 * 1024, 64 * 1024);
  ({ torrent } = fixture);
});
after(() => fixture.cleanup());

/** Runs the simulator until `p` settles (binds and listens resolve on simulated events). */
async function settle<T>(sim: Simulator, p: Promise<T>): Promise<T> {
  let done = false;
  const watched = p.finally(() => (done = true));
  for (let i = 0; i < 1000 && !done; i++) await sim.run({ until: sim.now + 100 });
  return watched;
}

interface Peer {
  readonly host: SimHost;
  readonly client: Client;
  readonly completedAt: number | undefined;
  readonly torrent: ClientTorrent;
  readonly opened: StorageRequest[];
}

async function startPeer(sim: Simulator, o: { seed: boolean; trackers?: string[]; dhtBootstrap?: string[] }): Promise<Peer> {
  const host = sim.createHost({ uploadBps: 8e6, downloadBps: 8e6 });
  const opened: StorageRequest[] = [];
  const virtual = new VirtualStorageFactory({ seed: () => o.seed });
  const client = await createClient(host.runtime, {
    stateDir: '/nonexistent', // virtual storage writes no resume data
    listen: { host: host.address, port: PORT },
    storage: { open: (r) => (opened.push(r), virtual.open(r)), close: () => virtual.close() },
    dht: o.dhtBootstrap ? { bootstrap: o.dhtBootstrap, rounds: 'per-torrent' } : undefined,
  });
  const box: { at?: number } = {};
  const t = await client.addTorrent({
    torrent, downloadDir: '/data', extraTrackers: o.trackers,
    onEvent: (e) => {
      if (e.type === 'complete') box.at = sim.now;
    },
  });
  return { host, client, torrent: t, opened, get completedAt() { return box.at; } };
}

describe('one client on the simulator', () => {
  it('leechers find the seed through a UDP tracker and complete on virtual storage', async () => {
    const sim = new Simulator({ seed: 15, yieldMode: 'every-event' });
    const trackerHost = sim.createHost();
    const tracker = await settle(sim, startTrackerServer({ runtime: trackerHost.runtime, udp: { host: trackerHost.address, port: 6969 }, intervalSeconds: 60 }));
    // By name: the simulated resolver answers from the simulator's table.
    sim.setName('tracker.test', trackerHost.address);
    const url = 'udp://tracker.test:6969/announce';
    const seed = await settle(sim, startPeer(sim, { seed: true, trackers: [url] }));
    const leechers = [];
    for (let i = 0; i < 3; i++) leechers.push(await settle(sim, startPeer(sim, { seed: false, trackers: [url] })));
    await sim.run({ until: 60_000 });
    for (const l of leechers) assert.ok(l.completedAt !== undefined, `leecher ${l.host.address} completed`);
    assert.ok(seed.torrent.status().uploaded >= torrent.length, 'the seed uploaded at least one copy');
    // Upper layers read snapshots: plain copies that changing does not change the swarm.
    const status = leechers[0].torrent.status();
    assert.equal(status.ready && status.complete && status.have === torrent.pieceCount, true);
    assert.equal(status.writeBacklog, 0);
    const have = leechers[0].torrent.swarm.haveSnapshot()!;
    have.clear(0);
    assert.equal(leechers[0].torrent.swarm.hasPiece(0), true, 'clearing a copy leaves the swarm as it was');
    const peers = leechers[0].torrent.peers();
    assert.ok(peers.length >= 1 && peers.every((p) => typeof p.address === 'string' && p.piecesHave <= torrent.pieceCount));
    const withId = peers.find((p) => p.peerId)!;
    withId.peerId!.fill(0);
    assert.notDeepEqual(leechers[0].torrent.peers().find((p) => p.address === withId.address)?.peerId, withId.peerId, 'the peer id is a copy');
    // Storage came from the injected factory, for the one torrent, under the absolute download dir.
    assert.deepEqual(leechers[0].opened.map((r) => [r.torrent.name, r.downloadDir]), [[torrent.name, '/data']]);
    assert.equal(leechers[0].client.session.openFiles, 0, 'no file was opened');
    // Closing tells the tracker 'stopped': it forgets every client.
    const closing = Promise.all([seed, ...leechers].map((p) => p.client.close()));
    await settle(sim, closing);
    assert.equal(tracker.core.stats().peers, 0);
    await tracker.close();
  });

  it('leechers find the seed through an HTTP tracker served and reached over simulated streams', async () => {
    const sim = new Simulator({ seed: 17, yieldMode: 'every-event' });
    const trackerHost = sim.createHost();
    const tracker = await settle(sim, startTrackerServer({ runtime: trackerHost.runtime, http: { host: trackerHost.address, port: 80 }, intervalSeconds: 60 }));
    sim.setName('tracker.test', trackerHost.address);
    const url = 'http://tracker.test/announce';
    const seed = await settle(sim, startPeer(sim, { seed: true, trackers: [url] }));
    const leechers = [];
    for (let i = 0; i < 2; i++) leechers.push(await settle(sim, startPeer(sim, { seed: false, trackers: [url] })));
    await sim.run({ until: 60_000 });
    for (const l of leechers) assert.ok(l.completedAt !== undefined, `leecher ${l.host.address} completed`);
    assert.ok(tracker.http!.requests >= 3, 'every client announced over HTTP');
    assert.equal(tracker.http!.failures, 0);
    const closing = Promise.all([seed, ...leechers].map((p) => p.client.close()));
    await settle(sim, closing);
    assert.equal(tracker.core.stats().peers, 0, "every client's 'stopped' reached the tracker");
    await settle(sim, tracker.close());
  });

  it('leechers find the seed through the DHT alone (per-torrent lookups on virtual time)', async () => {
    const sim = new Simulator({ seed: 16, yieldMode: 'every-event' });
    const routerHost = sim.createHost();
    const router = await settle(sim, Dht.start(routerHost.runtime, { bind: { host: routerHost.address, port: 6881 } }));
    const bootstrap = [`${routerHost.address}:6881`];
    const seed = await settle(sim, startPeer(sim, { seed: true, dhtBootstrap: bootstrap }));
    const leechers = [];
    for (let i = 0; i < 2; i++) leechers.push(await settle(sim, startPeer(sim, { seed: false, dhtBootstrap: bootstrap })));
    // Ten minutes: past several keep-alive deadlines at fractional virtual times (a zero-delay timer loop once hung here).
    await sim.run({ until: 10 * 60_000 });
    for (const l of leechers) {
      assert.equal(l.client.dhtState, 'running');
      assert.ok(l.completedAt !== undefined, `leecher ${l.host.address} completed`);
    }
    const closing = Promise.all([seed, ...leechers].map((p) => p.client.close()));
    await settle(sim, closing);
    router.close();
  });
});
