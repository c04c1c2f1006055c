/**
 * Web seeds (BEP 19) against a local HTTP server on 127.0.0.x that counts its Range requests:
 * a download from a web seed alone completes with at most one request per piece (adjacent
 * pieces coalesced), multi-file torrents map to name/path URLs (percent-encoded), a server
 * that corrupts data is dropped, 404 drops, 503 + Retry-After waits, redirects are followed,
 * a server ignoring Range is used only for a small file, and a web seed works beside a peer.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import { parseTorrent, type Torrent } from '../../src/metainfo/torrent.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { Swarm, type SwarmEvent, type SwarmOptions } from '../../src/swarm/swarm.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import { generatePeerId } from '../../src/wire/index.js';
import { RangeServer } from '../helpers/range-server.js';

const PIECE = 64 * 1024;
let dir: string;
let rt: NodeRuntime;

function bytes(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed;
  for (let i = 0; i < size; i++) out[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
  return out;
}

/** A torrent over `files` (name -> bytes; one entry without '/': single-file). */
async function torrentOf(name: string, files: Record<string, Uint8Array>, webSeeds: string[] = []): Promise<Torrent> {
  const root = mkdtempSync(join(dir, 't-'));
  const keys = Object.keys(files);
  let path: string;
  if (keys.length === 1 && !keys[0].includes('/')) {
    path = join(root, name);
    writeFileSync(path, files[keys[0]]);
  } else {
    path = join(root, name);
    for (const k of keys) {
      mkdirSync(join(path, ...k.split('/').slice(0, -1)), { recursive: true });
      writeFileSync(join(path, ...k.split('/')), files[k]);
    }
  }
  const { bytes: b } = await createTorrent(path, { pieceLength: PIECE, creationDate: null, threads: 0, webSeeds });
  return parseTorrent(b);
}

interface Run {
  swarm: Swarm;
  storage: MemoryStorage;
  events: SwarmEvent[];
  done: Promise<void>;
}

function leech(torrent: Torrent, extra: Partial<SwarmOptions> = {}): Run {
  const storage = new MemoryStorage(torrent);
  const events: SwarmEvent[] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  const swarm = new Swarm({
    runtime: rt, peerId: generatePeerId(rt.random), torrent,
    openStorage: async () => ({ storage, have: storage.bitfield() }),
    onEvent: (e) => {
      events.push(e);
      if (e.type === 'complete') resolve();
    },
    ...extra,
  });
  return { swarm, storage, events, done };
}

async function readAll(storage: MemoryStorage, t: Torrent): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let p = 0; p < t.pieceCount; p++) parts.push(await storage.readBlock(p, 0, t.layout.pieceSize(p)));
  return new Uint8Array(Buffer.concat(parts));
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-webseed-'));
  rt = createNodeRuntime({ seed: 7, unrefTimers: true }); // a failed test's swarm must not hold the process
});
after(() => {
  rt.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('web seeds (BEP 19)', { timeout: 60_000 }, () => {
  it('downloads a single-file torrent from a web seed alone with at most one Range request per piece', async () => {
    const data = bytes(40 * PIECE + 1234, 1);
    const server = new RangeServer('127.0.0.41');
    await server.start();
    server.files.set('/files/big.bin', data);
    try {
      const t = await torrentOf('big.bin', { 'big.bin': data }, [server.url('/files/')]);
      assert.deepEqual(t.webSeeds, [server.url('/files/')]);
      const r = leech(t);
      await r.swarm.start();
      await r.done;
      assert.deepEqual(await readAll(r.storage, t), data);
      assert.ok(server.ranges.length <= t.pieceCount, `${server.ranges.length} requests for ${t.pieceCount} pieces`);
      // Coalesced: fewer requests than pieces, and each one a whole number of pieces (or the tail).
      assert.ok(server.ranges.length < t.pieceCount / 2, `${server.ranges.length} requests: adjacent pieces were not coalesced`);
      for (const q of server.ranges) {
        assert.equal(q.start % PIECE, 0);
        assert.ok((q.end + 1) % PIECE === 0 || q.end === data.length - 1);
        assert.ok(q.end + 1 - q.start <= 4 * 1024 * 1024);
      }
      await r.swarm.stop();
    } finally {
      await server.close();
    }
  });

  it('maps a multi-file torrent to root/name/path URLs, percent-encoded, several ranges for a piece across files', async () => {
    const files = { 'a.bin': bytes(PIECE + 100, 2), 'sub dir/b c.bin': bytes(3 * PIECE + 7, 3), 'z.txt': bytes(50, 4) };
    const server = new RangeServer('127.0.0.42');
    await server.start();
    for (const [k, v] of Object.entries(files)) server.files.set(`/pub/my files/${k}`, v);
    try {
      const t = await torrentOf('my files', files, [server.url('/pub')]); // no trailing '/': added
      const r = leech(t);
      await r.swarm.start();
      await r.done;
      const paths = new Set(server.ranges.map((q) => q.path));
      assert.deepEqual([...paths].sort(), Object.keys(files).map((k) => `/pub/my files/${k}`).sort());
      for (const f of t.layout.files.filter((f) => !f.pad)) {
        const want = files[f.path.join('/') as keyof typeof files];
        const got = new Uint8Array(f.length);
        for (let off = 0; off < f.length;) {
          const p = Math.floor((f.offset + off) / PIECE), begin = (f.offset + off) % PIECE;
          const n = Math.min(f.length - off, PIECE - begin);
          got.set(await r.storage.readBlock(p, begin, n), off);
          off += n;
        }
        assert.deepEqual(got, want, f.path.join('/'));
      }
      await r.swarm.stop();
    } finally {
      await server.close();
    }
  });

  it('drops a web seed whose data fails the hash check and finishes from a good one', async () => {
    const data = bytes(12 * PIECE, 5);
    const bad = new RangeServer('127.0.0.43'), good = new RangeServer('127.0.0.44');
    await bad.start();
    await good.start();
    bad.files.set('/d.bin', data);
    bad.behaviour.set('/d.bin', { corrupt: true });
    good.files.set('/d.bin', data);
    good.behaviour.set('/d.bin', { status: { code: 503, headers: { 'retry-after': '1' }, times: 1 } });
    try {
      const t = await torrentOf('d.bin', { 'd.bin': data });
      const r = leech(t, { webSeedUrls: [bad.url('/d.bin'), good.url('/d.bin')] });
      await r.swarm.start();
      await r.done;
      const dropped = r.events.filter((e) => e.type === 'webseed-dropped');
      assert.deepEqual(dropped.map((e) => e.type === 'webseed-dropped' && e.url), [bad.url('/d.bin')]);
      assert.match(dropped[0].type === 'webseed-dropped' ? dropped[0].reason : '', /hash check/);
      assert.ok(r.events.some((e) => e.type === 'webseed-backoff' && e.url === good.url('/d.bin') && e.retryInMs === 1000), '503 with Retry-After: 1 waits 1 s');
      assert.equal(r.swarm.webSeeds?.list().find((w) => w.url === bad.url('/d.bin'))?.jobs.size, 0);
      assert.deepEqual(await readAll(r.storage, t), data);
      await r.swarm.stop();
    } finally {
      await bad.close();
      await good.close();
    }
  });

  it('drops a 404 and a redirect loop (after 3 redirects), follows a redirect, takes a small file from a server that ignores Range, drops a large one', async () => {
    const small = bytes(3 * PIECE, 6);
    const s = new RangeServer('127.0.0.45');
    await s.start();
    s.files.set('/real/small.bin', small);
    s.behaviour.set('/moved/small.bin', { status: { code: 302, headers: { location: '/real/small.bin' } } });
    s.behaviour.set('/real/small.bin', { ignoreRange: true });
    try {
      const t = await torrentOf('small.bin', { 'small.bin': small });
      s.behaviour.set('/loop/small.bin', { status: { code: 302, headers: { location: '/loop/small.bin' } } });
      const r = leech(t, { webSeedUrls: [s.url('/missing/small.bin'), s.url('/loop/small.bin'), s.url('/moved/small.bin')] });
      await r.swarm.start();
      await r.done;
      const dropped = r.events.flatMap((e) => (e.type === 'webseed-dropped' ? [e.url] : []));
      assert.deepEqual(dropped.sort(), [s.url('/loop/small.bin'), s.url('/missing/small.bin')]);
      // Each request in flight (2 per web seed) is the request and 3 redirects, no more; then the URL is dropped.
      const loops = s.paths.filter((p) => p === '/loop/small.bin').length;
      assert.ok(loops % 4 === 0 && loops <= 8, `${loops} requests to the loop`);
      assert.deepEqual(await readAll(r.storage, t), small);
      await r.swarm.stop();

      // The same server ignoring Range for a file over maxUnrangedBodyBytes: dropped, nothing taken.
      const r2 = leech(t, { webSeedUrls: [s.url('/real/small.bin')], webSeedOptions: { maxUnrangedBodyBytes: PIECE, maxRequestBytes: PIECE } });
      const gone = new Promise<SwarmEvent>((resolve, reject) => {
        const giveUp = setTimeout(() => reject(new Error(`not dropped: ${JSON.stringify(r2.events)}`)), 20_000);
        const check = setInterval(() => {
          const e = r2.events.find((x) => x.type === 'webseed-dropped');
          if (e) {
            clearInterval(check);
            clearTimeout(giveUp);
            resolve(e);
          }
        }, 20);
      });
      await r2.swarm.start();
      const e = await gone;
      assert.match(e.type === 'webseed-dropped' ? e.reason : '', /larger than 65536 bytes/);
      assert.equal(r2.swarm.stats().have, 0);
      await r2.swarm.stop();
    } finally {
      await s.close();
    }
  });

  it('keeps requestsPerWebSeed in flight per web seed, and the session-wide shared limit across torrents', async () => {
    const data = bytes(16 * PIECE, 9);
    const server = new RangeServer('127.0.0.48');
    await server.start();
    server.files.set('/c.bin', data);
    server.delayMs = 30;
    try {
      const t = await torrentOf('c.bin', { 'c.bin': data });
      const one = { maxRequestBytes: PIECE };
      const r = leech(t, { webSeedUrls: [server.url('/c.bin')], webSeedOptions: { ...one, requestsPerWebSeed: 3 } });
      await r.swarm.start();
      await r.done;
      await r.swarm.stop();
      assert.equal(server.maxInFlight, 3, 'three requests at once');
      assert.equal(server.ranges.length, t.pieceCount);

      // Two torrents' swarms sharing a session-wide limit of 2: never more than 2 at once.
      server.maxInFlight = 0;
      const shared = { max: 2, count: 0 };
      const a = leech(t, { webSeedUrls: [server.url('/c.bin')], webSeedOptions: { ...one, requestsPerWebSeed: 3, shared } });
      const b = leech(t, { webSeedUrls: [server.url('/c.bin')], webSeedOptions: { ...one, requestsPerWebSeed: 3, shared } });
      await Promise.all([a.swarm.start(), b.swarm.start()]);
      await Promise.all([a.done, b.done]);
      await Promise.all([a.swarm.stop(), b.swarm.stop()]);
      assert.equal(server.maxInFlight, 2);
      assert.equal(shared.count, 0, 'every slot given back');
    } finally {
      await server.close();
    }
  });

  it('downloads from a web seed and a peer together, both contributing', async () => {
    const data = bytes(48 * PIECE, 8);
    const server = new RangeServer('127.0.0.46');
    await server.start();
    server.files.set('/w.bin', data);
    try {
      const t = await torrentOf('w.bin', { 'w.bin': data });
      // The seeder: a swarm holding every piece, listening on 127.0.0.47.
      const seedStore = new MemoryStorage(t);
      for (let p = 0; p < t.pieceCount; p++) {
        await seedStore.writeBlock(p, 0, data.subarray(p * PIECE, (p + 1) * PIECE));
        assert.ok(await seedStore.verifyPiece(p));
      }
      const seeder = new Swarm({ runtime: rt, peerId: generatePeerId(rt.random), torrent: t, openStorage: async () => ({ storage: seedStore, have: seedStore.bitfield() }) });
      await seeder.start();
      const listener = await rt.stream.listen({ host: '127.0.0.47', port: 0 }, (stream) => routeIncoming(rt, seeder.ourPeerId, stream, () => seeder));
      // Small requests so the web seed does not take the whole torrent before the peer connects.
      const r = leech(t, { webSeedUrls: [server.url('/w.bin')], webSeedOptions: { maxRequestBytes: PIECE, requestsPerWebSeed: 1 } });
      await r.swarm.start();
      r.swarm.addPeer(listener.address, 'manual');
      await r.done;
      assert.deepEqual(await readAll(r.storage, t), data);
      const fromSeed = seeder.stats().uploaded;
      const fromWeb = r.swarm.webSeeds!.list()[0].download.total;
      assert.ok(fromSeed > 0, 'the peer sent data');
      assert.ok(fromWeb > 0, 'the web seed sent data');
      assert.ok(server.ranges.length <= t.pieceCount);
      listener.close();
      await r.swarm.stop();
      await seeder.stop();
    } finally {
      await server.close();
    }
  });
});
