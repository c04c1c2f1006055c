/**
 * Client options the simulator's scenarios set through the session layer, as `shoal get` and
 * the daemon could: peers asked of each tracker (`numwant`), and a closing client that takes
 * no new peers while its trackers hear `stopped`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Simulator } from '../../src/sim/index.js';
import { createClient, type Client } from '../../src/session/client.js';
import { VirtualStorageFactory } from '../../src/session/storage-factory.js';
import { simTorrent } from '../../src/sim/scenarios/torrent.js';
import { startTrackerServer } from '../../src/tracker/server.js';
import type { SimHost } from '../../src/sim/host.js';

const PORT = 6881;
const torrent = simTorrent(256 * 1024, 32 * 1024);

async function settle<T>(sim: Simulator, p: Promise<T>): Promise<T> {
  let done = false;
  const watched = p.finally(() => (done = true));
  for (let i = 0; i < 1000 && !done; i++) await sim.run({ until: sim.now + 100 });
  return watched;
}

async function start(sim: Simulator, trackerUrl: string, o: { numwant?: number; onPeers?: (n: number) => void } = {}): Promise<{ host: SimHost; client: Client }> {
  const host = sim.createHost();
  const client = await settle(sim, createClient(host.runtime, {
    stateDir: '/nonexistent', listen: { host: host.address, port: PORT }, storage: new VirtualStorageFactory(), numwant: o.numwant,
  }));
  await settle(sim, client.addTorrent({
    torrent, downloadDir: '/data', trackers: [[trackerUrl]],
    onTrackerEvent: (e) => {
      if (e.type === 'announced' && e.event === 'started') o.onPeers?.(e.response.peers.length);
    },
  }));
  return { host, client };
}

describe('client options', () => {
  it('numwant: the peers asked of each tracker per announce', async () => {
    const sim = new Simulator({ seed: 5, yieldMode: 'every-event' });
    const trackerHost = sim.createHost();
    const tracker = await settle(sim, startTrackerServer({ runtime: trackerHost.runtime, udp: { host: trackerHost.address, port: 6969 }, intervalSeconds: 60 }));
    const url = `udp://${trackerHost.address}:6969`;
    for (let i = 0; i < 4; i++) await start(sim, url);
    const got: Record<string, number> = {};
    await start(sim, url, { numwant: 2, onPeers: (n) => (got.two = n) });
    await start(sim, url, { onPeers: (n) => (got.default = n) });
    await sim.run({ until: sim.now + 1000 });
    assert.deepEqual(got, { two: 2, default: 5 });
    tracker.core.stop();
  });

  it("a closing client takes no new peers while its trackers hear 'stopped'", async () => {
    const sim = new Simulator({ seed: 6, yieldMode: 'every-event' });
    const nowhere = sim.createHost(); // no tracker listens: the 'stopped' announce waits for its deadline
    const { host, client } = await start(sim, `udp://${nowhere.address}:6969`);
    let closed = false;
    void client.close().then(() => (closed = true));
    await sim.run({ until: sim.now + 500 });
    assert.equal(closed, false, "still waiting for the 'stopped' announce");
    const other = sim.createHost();
    const dial = other.runtime.stream.connect({ host: host.address, port: PORT }).then(() => 'connected', (e: Error) => e.message);
    const outcome = await settle(sim, dial);
    assert.match(outcome, /refused/i);
    await sim.run({ until: sim.now + 5000 });
    assert.equal(closed, true);
  });
});
