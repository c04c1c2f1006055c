/**
 * Swarms with several peers on the simulator (virtual time, in-memory storage): leechers that
 * arrive between rechoke rounds are unchoked as soon as they are interested while a slot is
 * free, up to the slot count, instead of waiting for the next 10 s round; blocks answered
 * together go out in few writes; a leecher verifies pieces while another connection is
 * still handshaking.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { Simulator } from '../../src/sim/index.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { Swarm } from '../../src/swarm/swarm.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import { generatePeerId } from '../../src/wire/index.js';
import type { ByteStream } from '../../src/runtime/types.js';
import { makeFixture, seededStorage as seededFixtureStorage, type Fixture } from './swarm-fixture.js';

const SIZE = 4 * 1024 * 1024;
const PORT = 6881;
let fixture: Fixture;
let torrent: Torrent;

before(async () => {
  fixture = await makeFixture(SIZE, 64 * 1024);
  ({ torrent } = fixture);
});
after(() => fixture.cleanup());

const seededStorage = (): Promise<MemoryStorage> => seededFixtureStorage(fixture);

/**
 * One seeder (2 Mbit/s up by default: nobody finishes early), `leechers` leechers starting 100 ms apart
 * from t = 5 s, after the seeder's first rechoke round (t = 1 s) and well before its next
 * (t = 11 s). Returns, at t = 9 s, how many leechers the seeder unchokes and how many
 * have received data.
 */
/** The stream, counting the writes made on it. */
function counting(s: ByteStream, counter: { writes: number }): ByteStream {
  return {
    get local() {
      return s.local;
    },
    get remote() {
      return s.remote;
    },
    get volatileData() {
      return s.volatileData;
    },
    get bufferedBytes() {
      return s.bufferedBytes;
    },
    write: (d) => {
      counter.writes++;
      return s.write(d);
    },
    writev: (c) => {
      counter.writes++;
      return s.writev(c);
    },
    end: () => s.end(),
    destroy: (e) => s.destroy(e),
    onData: (h) => s.onData(h),
    onEnd: (h) => s.onEnd(h),
    onClose: (h) => s.onClose(h),
    onDrain: (h) => s.onDrain(h),
  };
}

async function arrivals(leechers: number, until = 9000, seederBitsPerSecond = 2e6): Promise<{ unchoked: number; receiving: number; connected: number; complete: number; writes: number }> {
  const sim = new Simulator({ seed: 9, yieldMode: 'every-event' });
  const seedHost = sim.createHost({ uploadBps: seederBitsPerSecond, downloadBps: 1e9 });
  const rt = seedHost.runtime;
  const seeder = new Swarm({
    runtime: rt, peerId: generatePeerId(rt.random), listenPort: PORT, torrent,
    openStorage: async () => {
      const storage = await seededStorage();
      return { storage, have: storage.bitfield() };
    },
  });
  const seederId = generatePeerId(rt.random);
  const counter = { writes: 0 };
  const listener = rt.stream.listen({ host: seedHost.address, port: PORT }, (stream) => routeIncoming(rt, seederId, counting(stream, counter), () => seeder));
  const swarms: Swarm[] = [];
  for (let k = 0; k < leechers; k++) {
    const host = sim.createHost({ uploadBps: 1e9, downloadBps: 1e9 });
    const lrt = host.runtime;
    const leecher = new Swarm({
      runtime: lrt, peerId: generatePeerId(lrt.random), torrent,
      openStorage: async () => {
        const storage = new MemoryStorage(torrent);
        return { storage, have: storage.bitfield() };
      },
    });
    swarms.push(leecher);
    lrt.clock.setTimer(5000 + 100 * k, () => {
      void leecher.start().then(() => leecher.addPeer({ host: seedHost.address, port: PORT }));
    });
  }
  void (async () => {
    await listener;
    await seeder.start();
  })();
  await sim.run({ until });
  const unchoked = [...seeder.peers.values()].filter((p) => !p.conn.amChoking).length;
  const receiving = swarms.filter((s) => s.stats().downloaded > 0).length;
  const connected = seeder.peers.size;
  const complete = swarms.filter((s) => s.stats().complete).length;
  for (const s of swarms) await s.stop();
  await seeder.stop();
  (await listener).close();
  return { unchoked, receiving, connected, complete, writes: counter.writes };
}

describe('a seeder on the simulator', () => {
  it('unchokes leechers that arrive between rechoke rounds at once while slots are free', async () => {
    const r = await arrivals(6);
    assert.equal(r.connected, 6);
    assert.equal(r.unchoked, 6, 'every interested leecher holds a slot');
    assert.equal(r.receiving, 6, 'every leecher is downloading before the next rechoke round');
  });

  it('fills no more than the eight regular slots between rounds', async () => {
    const r = await arrivals(10);
    assert.equal(r.connected, 10);
    assert.equal(r.unchoked, 8);
    assert.equal(r.receiving, 8);
  });

  it('sends the blocks it answers together in few writes, not one write per block', async () => {
    const r = await arrivals(1, 20_000, 1e9);
    assert.equal(r.complete, 1);
    const blocks = SIZE / (16 * 1024);
    assert.ok(r.writes < blocks / 4, `${r.writes} writes for ${blocks} blocks`);
  });

  it('verifies pieces while another peer is still handshaking (its have waits for the bitfield)', async () => {
    const sim = new Simulator({ seed: 3, yieldMode: 'every-event' });
    const seedHost = sim.createHost({ uploadBps: 1e9, downloadBps: 1e9 });
    const silent = sim.createHost({ uploadBps: 1e9, downloadBps: 1e9 });
    const host = sim.createHost({ uploadBps: 1e9, downloadBps: 1e9 });
    const rt = seedHost.runtime;
    const seeder = new Swarm({
      runtime: rt, peerId: generatePeerId(rt.random), listenPort: PORT, torrent,
      openStorage: async () => {
        const storage = await seededStorage();
        return { storage, have: storage.bitfield() };
      },
    });
    const seederId = generatePeerId(rt.random);
    const listener = rt.stream.listen({ host: seedHost.address, port: PORT }, (stream) => routeIncoming(rt, seederId, stream, () => seeder));
    // Accepts connections and never answers the handshake.
    const mute = silent.runtime.stream.listen({ host: silent.address, port: PORT }, (stream) => stream.onData(() => undefined));
    const errors: Error[] = [];
    let completeAt = -1;
    const leecher = new Swarm({
      runtime: host.runtime, peerId: generatePeerId(host.runtime.random), torrent,
      openStorage: async () => {
        const storage = new MemoryStorage(torrent);
        return { storage, have: storage.bitfield() };
      },
      onEvent: (e) => {
        if (e.type === 'error') errors.push(e.error);
        if (e.type === 'complete') completeAt = sim.now;
      },
    });
    void (async () => {
      await listener;
      await mute;
      await seeder.start();
      await leecher.start();
      leecher.addPeer({ host: silent.address, port: PORT });
      leecher.addPeer({ host: seedHost.address, port: PORT });
    })();
    await sim.run({ until: 5000 });
    const handshaking = [...leecher.peers.values()].filter((p) => p.conn.state !== 'open').length;
    await leecher.stop();
    await seeder.stop();
    (await listener).close();
    (await mute).close();
    assert.deepEqual(errors, []);
    assert.ok(completeAt > 0, 'the download completed');
    assert.equal(handshaking, 1, 'the silent peer was still handshaking throughout');
  });
});
