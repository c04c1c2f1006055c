/**
 * The pex switch on the simulator: a seeder that two leechers dial (and that knows of no one
 * else) introduces them to each other over ut_pex (BEP 11) when peer exchange is on, does not
 * when it is off, and starts to as soon as a live setting turns it back on.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Simulator } from '../../src/sim/index.js';
import type { SimHost } from '../../src/sim/host.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import { Swarm } from '../../src/swarm/swarm.js';
import { generatePeerId } from '../../src/wire/index.js';
import { makeFixture, seededStorage, type Fixture } from './swarm-fixture.js';

const PORT = 6881;
let fixture: Fixture;

before(async () => {
  fixture = await makeFixture(2 * 1024 * 1024, 64 * 1024);
});
after(() => fixture.cleanup());

interface Node {
  readonly host: SimHost;
  readonly swarm: Swarm;
}

/** A swarm on its own host, listening on PORT. */
function node(sim: Simulator, storage: () => Promise<MemoryStorage>, pex: () => boolean, uploadBps: number): Node {
  const host = sim.createHost({ uploadBps, downloadBps: 1e9 });
  const rt = host.runtime;
  const peerId = generatePeerId(rt.random);
  const swarm = new Swarm({
    runtime: rt, peerId, listenPort: PORT, listenAddress: { host: host.address, port: PORT }, torrent: fixture.torrent,
    get pex() { return pex(); },
    openStorage: async () => {
      const s = await storage();
      return { storage: s, have: s.bitfield() };
    },
  });
  void rt.stream.listen({ host: host.address, port: PORT }, (stream) => routeIncoming(rt, peerId, stream, () => swarm));
  return { host, swarm };
}

/** Whether leechers a and b have a connection between them at the end of `untilMs`. */
async function meet(seederPex: { on: boolean }, switchOnAtMs?: number): Promise<{ at20s: boolean; atEnd: boolean }> {
  const sim = new Simulator({ seed: 5, yieldMode: 'every-event' });
  // A slow seeder: nobody finishes (finished leechers stop caring about each other).
  const seed = node(sim, () => seededStorage(fixture), () => seederPex.on, 64e3);
  const empty = async () => new MemoryStorage(fixture.torrent);
  const a = node(sim, empty, () => true, 1e9);
  const b = node(sim, empty, () => true, 1e9);
  const linked = () => [...a.swarm.peerList()].some((p) => p.address.startsWith(`${b.host.address}:`))
    || [...b.swarm.peerList()].some((p) => p.address.startsWith(`${a.host.address}:`));
  await Promise.all([seed.swarm.start(), a.swarm.start(), b.swarm.start()]);
  a.swarm.addPeer({ host: seed.host.address, port: PORT });
  b.swarm.addPeer({ host: seed.host.address, port: PORT });
  if (switchOnAtMs !== undefined) seed.host.runtime.clock.setTimer(switchOnAtMs, () => (seederPex.on = true));
  await sim.run({ until: 20_000 });
  const at20s = linked();
  await sim.run({ until: 90_000 });
  const atEnd = linked();
  for (const n of [a, b, seed]) await n.swarm.stop();
  return { at20s, atEnd };
}

describe('peer exchange switch', () => {
  it('introduces two leechers through the seeder when pex is on', async () => {
    const r = await meet({ on: true });
    assert.equal(r.at20s, true);
  });

  it('keeps them apart when the seeder has pex off', async () => {
    const r = await meet({ on: false });
    assert.deepEqual(r, { at20s: false, atEnd: false });
  });

  it('starts introducing them once the setting turns pex on, without a restart', async () => {
    const r = await meet({ on: false }, 30_000);
    assert.deepEqual(r, { at20s: false, atEnd: true });
  });
});
