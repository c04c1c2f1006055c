/**
 * A web seed (BEP 19) on the simulator, in virtual time with a fixed seed: an HTTP server on
 * a simulated host answers Range requests from the torrent's data; a leecher with no peer
 * completes from it with at most one request per piece, and a seeder peer plus the web seed
 * together both send data.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { Simulator } from '../../src/sim/index.js';
import type { HttpServerRequest, HttpServerResponse } from '../../src/runtime/types.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { Swarm } from '../../src/swarm/swarm.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import { generatePeerId } from '../../src/wire/index.js';
import { makeFixture, seededStorage, type Fixture } from './swarm-fixture.js';

const PIECE = 64 * 1024;
let f: Fixture;
before(async () => {
  f = await makeFixture(2 * 1024 * 1024 + 333, PIECE);
});
after(() => f.cleanup());

/** Serves the fixture's bytes at /data.bin with Range; counts the ranges asked for. */
function rangeHandler(ranges: string[]): (r: HttpServerRequest) => HttpServerResponse {
  return (r) => {
    if (r.target !== '/data.bin') return { status: 404, body: '' };
    const m = /^bytes=(\d+)-(\d+)$/.exec(r.headers.range ?? '');
    if (!m) return { status: 200, body: f.payload };
    const start = Number(m[1]), end = Math.min(Number(m[2]), f.payload.length - 1);
    ranges.push(`${start}-${end}`);
    return { status: 206, headers: { 'content-range': `bytes ${start}-${end}/${f.payload.length}` }, body: f.payload.subarray(start, end + 1) };
  };
}

async function run(withPeer: boolean): Promise<{ completeAt: number; ranges: string[]; fromWeb: number; fromPeer: number }> {
  const sim = new Simulator({ seed: 19, yieldMode: 'every-event' });
  const web = sim.createHost({ uploadBps: 4e6, downloadBps: 4e6 });
  const seedHost = sim.createHost({ uploadBps: 4e6, downloadBps: 4e6 });
  const host = sim.createHost({ uploadBps: 1e8, downloadBps: 1e8 });
  const ranges: string[] = [];
  void web.runtime.httpServer.listen({ host: web.address, port: 80 }, rangeHandler(ranges));
  let seeder: Swarm | undefined;
  if (withPeer) {
    const rt = seedHost.runtime;
    const storage = await seededStorage(f);
    seeder = new Swarm({ runtime: rt, peerId: generatePeerId(rt.random), listenPort: 6881, torrent: f.torrent, openStorage: async () => ({ storage, have: storage.bitfield() }) });
    await seeder.start();
    const s = seeder;
    void rt.stream.listen({ host: seedHost.address, port: 6881 }, (stream) => routeIncoming(rt, generatePeerId(rt.random), stream, () => s));
  }
  let completeAt = -1;
  const storage = new MemoryStorage(f.torrent);
  const leecher = new Swarm({
    runtime: host.runtime, peerId: generatePeerId(host.runtime.random), torrent: f.torrent,
    webSeedUrls: [`http://${web.address}/data.bin`], webSeedOptions: withPeer ? { maxRequestBytes: 4 * PIECE } : {},
    openStorage: async () => ({ storage, have: storage.bitfield() }),
    onEvent: (e) => {
      if (e.type === 'complete') completeAt = sim.now;
    },
  });
  await leecher.start();
  if (withPeer) leecher.addPeer({ host: seedHost.address, port: 6881 }, 'manual');
  await sim.run({ until: 60_000 });
  for (let p = 0; p < f.torrent.pieceCount; p++) assert.ok(storage.hasPiece(p), `piece ${p}`);
  const fromWeb = leecher.webSeedList()[0].downloaded;
  const fromPeer = seeder?.stats().uploaded ?? 0;
  await leecher.stop();
  await seeder?.stop();
  return { completeAt, ranges, fromWeb, fromPeer };
}

it('completes from a web seed alone on the simulator with at most one Range request per piece', async () => {
  const r = await run(false);
  assert.ok(r.completeAt > 0, 'completed in virtual time');
  assert.ok(r.ranges.length <= f.torrent.pieceCount, `${r.ranges.length} requests for ${f.torrent.pieceCount} pieces`);
  assert.ok(r.ranges.length < f.torrent.pieceCount / 4, `${r.ranges.length} requests: runs were not coalesced`);
  assert.equal(r.fromWeb, f.payload.length);
});

it('completes from a web seed and a peer together on the simulator, both sending data', async () => {
  const r = await run(true);
  assert.ok(r.completeAt > 0);
  assert.ok(r.fromWeb > 0 && r.fromPeer > 0, `web ${r.fromWeb} B, peer ${r.fromPeer} B`);
  assert.ok(r.ranges.length <= f.torrent.pieceCount);
});
