/**
 * The swarm engine on the simulator (virtual time, in-memory storage): the same Swarm code
 * the CLI runs trades a torrent between simulated hosts, and its rate limits hold the
 * transfer to the configured byte rate.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { Simulator } from '../../src/sim/index.js';
import type { SimHost } from '../../src/sim/host.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { RateLimiter } from '../../src/swarm/rate-limit.js';
import { Swarm } from '../../src/swarm/swarm.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import { generatePeerId } from '../../src/wire/index.js';
import { makeFixture, seededStorage as seededFixtureStorage, type Fixture } from './swarm-fixture.js';

const SIZE = 2 * 1024 * 1024;
let fixture: Fixture;
let torrent: Torrent;
let payload: Uint8Array;

before(async () => {
  fixture = await makeFixture(SIZE, 64 * 1024);
  ({ torrent, payload } = fixture);
});
after(() => fixture.cleanup());

const seededStorage = (): Promise<MemoryStorage> => seededFixtureStorage(fixture);

interface Limits {
  download?: number;
  upload?: number;
}

function startSwarm(host: SimHost, storage: MemoryStorage, port: number | undefined, limits: Limits, onComplete?: () => void): Swarm {
  const rt = host.runtime;
  const download = limits.download ? [new RateLimiter(rt.clock, limits.download)] : [];
  const upload = limits.upload ? [new RateLimiter(rt.clock, limits.upload)] : [];
  return new Swarm({
    runtime: rt,
    peerId: generatePeerId(rt.random),
    listenPort: port,
    torrent,
    rateLimiters: { download, upload },
    openStorage: async () => ({ storage, have: storage.bitfield() }),
    onEvent: (e) => {
      if (e.type === 'complete') onComplete?.();
    },
  });
}

/** Seeds from one host to another; resolves with the virtual ms the download took. */
async function transfer(seedLimits: Limits, leechLimits: Limits): Promise<{ ms: number; same: boolean; uploaded: number }> {
  const sim = new Simulator({ seed: 5, yieldMode: 'every-event' });
  const a = sim.createHost({ uploadBps: 1e9, downloadBps: 1e9 });
  const b = sim.createHost({ uploadBps: 1e9, downloadBps: 1e9 });
  const leechStorage = new MemoryStorage(torrent);
  let doneAt = -1;
  const seeder = startSwarm(a, await seededStorage(), 6881, seedLimits);
  const leecher = startSwarm(b, leechStorage, undefined, leechLimits, () => (doneAt = sim.now));
  const listener = a.runtime.stream.listen({ host: a.address, port: 6881 }, (stream) => routeIncoming(a.runtime, seederId, stream, () => seeder));
  const seederId = generatePeerId(a.runtime.random);
  void (async () => {
    await listener;
    await seeder.start();
    await leecher.start();
    leecher.addPeer({ host: a.address, port: 6881 });
  })();
  await sim.run({ until: 60_000 });
  const result = { ms: doneAt, same: await sameAsPayload(leechStorage), uploaded: seeder.stats().uploaded };
  await leecher.stop();
  await seeder.stop();
  (await listener).close();
  return result;
}

function sameAsPayload(s: MemoryStorage): Promise<boolean> {
  return (async () => {
    for (let p = 0; p < torrent.pieceCount; p++) {
      const start = p * torrent.pieceLength;
      if (!s.hasPiece(p)) return false;
      const got = await s.readBlock(p, 0, Math.min(torrent.pieceLength, SIZE - start));
      if (Buffer.compare(got, payload.subarray(start, start + got.length)) !== 0) return false;
    }
    return true;
  })();
}

describe('the swarm on the simulator', () => {
  it('downloads a torrent between two simulated hosts', async () => {
    const r = await transfer({}, {});
    assert.ok(r.ms > 0, 'the download completed');
    assert.ok(r.same, 'the data matches');
    assert.ok(r.ms < 20_000, `unlimited: ${r.ms} ms of virtual time`);
  });

  it('holds a download to its download limit', async () => {
    const limit = 256 * 1024;
    const r = await transfer({}, { download: limit });
    assert.ok(r.ms > 0, 'the download completed');
    assert.ok(r.same, 'the data matches');
    const expected = (SIZE / limit) * 1000; // 8 s, less the initial burst
    assert.ok(r.ms > expected * 0.85 && r.ms < expected * 1.3, `2 MiB at 256 KiB/s took ${r.ms} ms of virtual time (expected about ${expected})`);
  });

  it('holds a seeder to its upload limit', async () => {
    const limit = 512 * 1024;
    const r = await transfer({ upload: limit }, {});
    assert.ok(r.ms > 0, 'the download completed');
    assert.ok(r.same, 'the data matches');
    const expected = (SIZE / limit) * 1000; // 4 s
    assert.ok(r.ms > expected * 0.85 && r.ms < expected * 1.3, `2 MiB at 512 KiB/s took ${r.ms} ms of virtual time (expected about ${expected})`);
  });
});
