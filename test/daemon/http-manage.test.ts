/**
 * Managing torrents through the HTTP API over the real service: trackers (GET/PUT, status
 * with seeders/leechers from a tracker that counts its announces, reannounce), adding a peer
 * by hand, recheck, moving the data, renaming a file, PATCH (name, category, seeding limits)
 * and categories.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonService } from '../../src/daemon/service/service.js';
import { MAX_CONCURRENT_RECHECKS, rechecksOf } from '../../src/daemon/service/manage.js';
import type { RunContext } from '../../src/daemon/service/runner.js';
import type { Category, TorrentDetails, TorrentPage } from '../../src/daemon/types.js';
import type { NodeRuntime } from '../../src/runtime/node/index.js';
import { startHarnessFor, type Harness } from './http-harness.js';
import { hex, makeTorrent, startSeeder, startService, waitFor } from './service-helpers.js';

/** An HTTP tracker on loopback that counts announces and answers with fixed swarm counts (BEP 3, compact peers). */
async function countingTracker(host: string): Promise<{ url: string; announces: () => number; events: string[]; close: () => Promise<void> }> {
  let n = 0;
  const events: string[] = [];
  const server: Server = createServer((req, res) => {
    if (req.url?.startsWith('/announce')) {
      n++;
      events.push(new URL(req.url, 'http://x').searchParams.get('event') ?? '');
    }
    res.end('d8:completei7e10:incompletei3e8:intervali1800e5:peers0:e');
  });
  await new Promise<void>((r) => server.listen(0, host, r));
  const port = (server.address() as AddressInfo).port;
  return { url: `http://${host}:${port}/announce`, announces: () => n, events, close: () => new Promise((r) => server.close(() => r())) };
}

describe('HTTP API: managing torrents over the real service', { timeout: 120_000 }, () => {
  const base = mkdtempSync(join(tmpdir(), 'shoal-api-manage-'));
  let h: Harness<DaemonService>;
  let runtime: NodeRuntime;

  before(async () => {
    const started = await startService(join(base, 'state'), join(base, 'downloads'), '127.0.0.61');
    runtime = started.runtime;
    h = await startHarnessFor(started.service);
  });

  after(async () => {
    await h?.close();
    await h?.service.close();
    runtime?.close();
    rmSync(base, { recursive: true, force: true });
  });

  const details = async (id: string): Promise<TorrentDetails> => (await h.request('GET', `/api/torrents/${id}`)).json() as TorrentDetails;
  const addSeed = async (name: string, files: { path: string; length: number }[], extra: Record<string, unknown> = {}) => {
    const dir = join(base, 'data-' + name);
    const { torrent, bytes, root } = await makeTorrent(dir, name, files);
    const r = await h.request('POST', '/api/torrents', { body: { torrent: Buffer.from(bytes).toString('base64'), savePath: dir, ...extra } });
    assert.equal(r.status, 201, r.body.toString());
    const id = hex(torrent);
    await waitFor(`${name} seeding`, async () => (await details(id)).state === 'seeding');
    return { id, dir, root, torrent };
  };

  it('lists, replaces and validates trackers; shows per-tracker status with seeders and leechers; reannounces now', async () => {
    const tracker = await countingTracker('127.0.0.62');
    try {
      const { id } = await addSeed('tracked', [{ path: 'a.bin', length: 40_000 }]);
      const initial = await h.request('GET', `/api/torrents/${id}/trackers`);
      assert.equal(initial.status, 200);
      assert.deepEqual(initial.json(), [], 'a torrent made without trackers has none');

      const tiers = [[tracker.url], ['udp://127.0.0.63:1/announce', 'http://127.0.0.63:1/announce']];
      const put = await h.request('PUT', `/api/torrents/${id}/trackers`, { body: tiers });
      assert.equal(put.status, 200);
      assert.deepEqual(put.json(), tiers);
      assert.deepEqual((await h.request('GET', `/api/torrents/${id}/trackers`)).json(), tiers);
      // Announcing restarted with the new list: the first tier's tracker answers.
      const working = await waitFor('the new tracker to work', async () => (await details(id)).trackers.find((t) => t.url === tracker.url && t.status === 'working'));
      assert.equal(working.seeders, 7);
      assert.equal(working.leechers, 3);
      assert.equal(working.tier, 0);
      assert.ok(working.nextAnnounceAt! > Date.now());
      const listed = (await details(id)).trackers.map((t) => [t.url, t.tier]);
      assert.deepEqual(listed, [[tracker.url, 0], ['udp://127.0.0.63:1/announce', 1], ['http://127.0.0.63:1/announce', 1]]);

      const before = tracker.announces();
      assert.equal((await h.request('POST', `/api/torrents/${id}/reannounce`)).status, 202);
      await waitFor('an announce after the reannounce', () => tracker.announces() > before);
      assert.deepEqual(tracker.events.slice(before), [''], 'a regular announce: no stopped/started pair');

      // The object form; bad lists are refused whole and change nothing.
      assert.equal((await h.request('PUT', `/api/torrents/${id}/trackers`, { body: { trackers: [[tracker.url]] } })).status, 200);
      for (const bad of [[['ftp://x/announce']], [['not a url']], 'udp://x', [[`http://x/${'a'.repeat(3000)}`]], Array.from({ length: 201 }, (_, i) => [`http://t${i}.test/announce`])]) {
        const r = await h.request('PUT', `/api/torrents/${id}/trackers`, { body: bad });
        assert.equal(r.status, 400, JSON.stringify(bad).slice(0, 80));
      }
      assert.deepEqual((await h.request('GET', `/api/torrents/${id}/trackers`)).json(), [[tracker.url]]);
    } finally {
      await tracker.close();
    }
  });

  it('dials a peer given by hand (host:port) and downloads from it', async () => {
    const src = await makeTorrent(join(base, 'peer-src'), 'bypeer', [{ path: 'x.bin', length: 100_000 }]);
    const seeder = await startSeeder(runtime, join(base, 'peer-seeder-state'), '127.0.0.64', src.torrent, join(base, 'peer-src'));
    try {
      const id = hex(src.torrent);
      const add = await h.request('POST', '/api/torrents', { body: { torrent: Buffer.from(src.bytes).toString('base64'), savePath: join(base, 'peer-dl') } });
      assert.equal(add.status, 201);
      await waitFor('the torrent to run', async () => (await details(id)).state === 'downloading');
      // No tracker, no DHT, no magnet peer: only the address given here can bring the data.
      for (const bad of ['nonsense', '127.0.0.64:0', '127.0.0.64:70000', '[::1', '[nothex]:5']) {
        assert.equal((await h.request('POST', `/api/torrents/${id}/peers`, { body: { address: bad } })).status, 400, bad);
      }
      assert.equal((await h.request('POST', `/api/torrents/${id}/peers`, { body: { address: `127.0.0.64:${seeder.port}` } })).status, 202);
      await waitFor('the download to complete', async () => (await details(id)).state === 'seeding');
      assert.deepEqual(readFileSync(join(base, 'peer-dl', 'bypeer', 'x.bin')), readFileSync(join(src.root, 'x.bin')));
    } finally {
      await seeder.session.close();
    }
  });

  it('rechecks: state checking while it runs, then finds a piece damaged on disk', async () => {
    const { id, root, torrent } = await addSeed('recheck', [{ path: 'r.bin', length: 64 * 1024 }]);
    assert.equal((await details(id)).progress, 1);
    const file = join(root, 'r.bin');
    const data = readFileSync(file);
    data[20_000] ^= 0xff; // inside piece 1
    writeFileSync(file, data);
    const r = await h.request('POST', `/api/torrents/${id}/recheck`);
    assert.equal(r.status, 202);
    const checking = h.service.details(id).state;
    const done = await waitFor('the recheck to end', async () => {
      const d = await details(id);
      return d.state !== 'checking' && d.progress < 1 ? d : undefined;
    });
    assert.equal(checking, 'checking', 'checking from the moment it was asked for');
    assert.equal(done.progress, (torrent.pieceCount - 1) / torrent.pieceCount, 'exactly the damaged piece is missing');
  });

  it('a bulk recheck hashes at most MAX_CONCURRENT_RECHECKS torrents at once; the rest wait in state checking, then all finish', async () => {
    const seeds = [];
    for (let i = 0; i < 5; i++) seeds.push(await addSeed(`bulkcheck${i}`, [{ path: 'x.bin', length: 3 * 1024 * 1024 + i }]));
    // The service's recheck slots (its run context is private: read here to watch them).
    const slots = rechecksOf((h.service as unknown as { ctx: RunContext }).ctx);
    let most = 0, sawWaiting = false, sampling = true;
    const sample = () => {
      most = Math.max(most, slots.active);
      sawWaiting ||= slots.waiting > 0;
      if (sampling) setImmediate(sample);
    };
    sample();
    const r = await h.request('POST', '/api/torrents/bulk', { body: { action: 'recheck', infoHashes: seeds.map((s) => s.id) } });
    assert.equal(r.status, 200);
    for (const s of seeds) assert.equal(h.service.details(s.id).state, 'checking', 'checking from the moment it was asked for');
    for (const s of seeds) await waitFor(`${s.id} rechecked`, async () => (await details(s.id)).state === 'seeding');
    sampling = false;
    assert.ok(most <= MAX_CONCURRENT_RECHECKS, `${most} rechecks hashed at once`);
    assert.ok(sawWaiting, 'five asked for at once: some waited for a slot');
    assert.equal(slots.active, 0);
  });

  it('moves the data to a new save path while it runs, and leaves it in place when the move fails', async () => {
    const { id, dir } = await addSeed('mover', [{ path: 'one.bin', length: 30_000 }, { path: 'sub/two.bin', length: 20_000 }]);
    const dest = join(base, 'moved-to');
    const r = await h.request('POST', `/api/torrents/${id}/move`, { body: { savePath: dest } });
    assert.equal(r.status, 202);
    const after = await waitFor('seeding from the new place', async () => {
      const d = await details(id);
      return d.state === 'seeding' && d.savePath === dest ? d : undefined;
    });
    assert.equal(after.progress, 1);
    assert.ok(existsSync(join(dest, 'mover', 'sub', 'two.bin')));
    assert.ok(!existsSync(join(dir, 'mover')), 'nothing left at the old place');

    // A file in the way at the destination: the move fails, the data stays whole where it was.
    const blocked = join(base, 'blocked');
    mkdirSync(join(blocked, 'mover', 'sub'), { recursive: true });
    writeFileSync(join(blocked, 'mover', 'sub', 'two.bin'), 'in the way');
    assert.equal((await h.request('POST', `/api/torrents/${id}/move`, { body: { savePath: blocked } })).status, 202);
    const failed = await waitFor('the move to fail', async () => {
      const d = await details(id);
      return d.state === 'error' ? d : undefined;
    });
    assert.match(failed.error!, /already exists/);
    assert.equal(failed.savePath, dest);
    assert.ok(existsSync(join(dest, 'mover', 'one.bin')) && existsSync(join(dest, 'mover', 'sub', 'two.bin')), 'the data is still at the old place');
    assert.equal(readFileSync(join(blocked, 'mover', 'sub', 'two.bin'), 'utf8'), 'in the way');
    assert.equal((await h.request('POST', `/api/torrents/${id}/resume`)).status, 204);
    await waitFor('seeding again from the old place', async () => (await details(id)).state === 'seeding');
    assert.equal((await h.request('POST', `/api/torrents/${id}/move`, { body: { savePath: 'relative/dir' } })).status, 400);
  });

  it('moves across file systems by copying, deleting the originals once all are copied', async (t) => {
    const shm = '/dev/shm';
    if (!existsSync(shm) || statSync(shm).dev === statSync(base).dev) return t.skip('no second file system (tmpfs /dev/shm) here');
    const { id, dir } = await addSeed('crossfs', [{ path: 'one.bin', length: 30_000 }, { path: 'two.bin', length: 20_000 }]);
    const dest = mkdtempSync(join(shm, 'shoal-move-'));
    try {
      assert.equal((await h.request('POST', `/api/torrents/${id}/move`, { body: { savePath: dest } })).status, 202);
      const d = await waitFor('seeding from the other file system', async () => {
        const x = await details(id);
        return x.state === 'seeding' && x.savePath === dest ? x : undefined;
      });
      assert.equal(d.progress, 1);
      assert.ok(existsSync(join(dest, 'crossfs', 'two.bin')) && !existsSync(join(dir, 'crossfs')));
      assert.equal((await h.request('DELETE', `/api/torrents/${id}?deleteData=1`)).status, 204);
    } finally {
      rmSync(dest, { recursive: true, force: true });
    }
  });

  it('renames a file on disk and keeps seeding it; refuses unsafe paths', async () => {
    const { id, root } = await addSeed('renamer', [{ path: 'a.bin', length: 20_000 }, { path: 'b.bin', length: 20_000 }]);
    for (const bad of ['../escape.bin', '/abs.bin', 'a/../../x', 'b.bin', '', 'x\u0001y']) {
      const r = await h.request('POST', `/api/torrents/${id}/files/0/rename`, { body: { path: bad } });
      assert.ok(r.status === 400 || r.status === 409, `${JSON.stringify(bad)}: ${r.status}`);
    }
    assert.equal((await h.request('POST', `/api/torrents/${id}/files/9/rename`, { body: { path: 'z.bin' } })).status, 404);
    const r = await h.request('POST', `/api/torrents/${id}/files/0/rename`, { body: { path: 'episodes/first.bin' } });
    assert.equal(r.status, 204, r.body.toString());
    assert.ok(existsSync(join(root, 'episodes', 'first.bin')) && !existsSync(join(root, 'a.bin')));
    const d = await waitFor('seeding after the rename', async () => {
      const x = await details(id);
      return x.state === 'seeding' ? x : undefined;
    });
    assert.deepEqual(d.files.map((f) => f.path), ['renamer/episodes/first.bin', 'renamer/b.bin']);
    assert.equal(d.progress, 1, 'the renamed file still verifies');
  });

  it('keeps categories, saves a torrent added with one under its path, filters the list by it, and edits a torrent with PATCH', async () => {
    const films = join(base, 'films');
    assert.equal((await h.request('PUT', '/api/categories/films', { body: { savePath: films } })).status, 200);
    for (const [name, body] of [['a%2Fb', { savePath: films }], ['x'.repeat(65), { savePath: films }], ['ok', { savePath: 'relative' }]] as const) {
      assert.equal((await h.request('PUT', `/api/categories/${name}`, { body })).status, 400, name);
    }
    assert.deepEqual((await h.request('GET', '/api/categories')).json() as Category[], [{ name: 'films', savePath: films }]);

    const made = await makeTorrent(join(base, 'cat-src'), 'catfilm', [{ path: 'f.bin', length: 10_000 }]);
    const id = hex(made.torrent);
    assert.equal((await h.request('POST', '/api/torrents', { body: { torrent: Buffer.from(made.bytes).toString('base64'), category: 'films', paused: true } })).status, 201);
    assert.equal((await h.request('POST', '/api/torrents', { body: { magnet: `magnet:?xt=urn:btih:${'ab'.repeat(20)}`, category: 'nope' } })).status, 400);
    const d = await details(id);
    assert.equal(d.savePath, films);
    assert.equal(d.category, 'films');
    const inFilms = (await h.request('GET', '/api/torrents?category=films')).json() as TorrentPage;
    assert.deepEqual(inFilms.torrents.map((t) => t.infoHash), [id]);
    const none = (await h.request('GET', '/api/torrents?category=')).json() as TorrentPage;
    assert.ok(none.total > 0 && none.torrents.every((t) => t.category === ''));

    const patched = await h.request('PATCH', `/api/torrents/${id}`, { body: { name: 'My film', seedRatioLimit: 2.5, seedTimeLimit: -1, category: '' } });
    assert.equal(patched.status, 200);
    const p = patched.json() as TorrentDetails;
    assert.equal(p.name, 'My film');
    assert.equal(p.category, '');
    assert.equal(p.seedRatioLimit, 2.5);
    assert.equal(p.seedTimeLimit, -1);
    assert.equal(p.effectiveSeedRatioLimit, 2.5);
    assert.equal(p.effectiveSeedTimeLimit, null);
    assert.equal(p.savePath, films, 'the data stays where it is');
    assert.equal(p.files[0].path, 'catfilm/f.bin', 'the name is for display only');
    for (const bad of [{ seedRatioLimit: -2 }, { seedTimeLimit: 1.5 }, { name: '' }, { category: 'nope' }, { other: 1 }]) {
      assert.equal((await h.request('PATCH', `/api/torrents/${id}`, { body: bad })).status, 400, JSON.stringify(bad));
    }
    await h.request('PATCH', `/api/torrents/${id}`, { body: { category: 'films' } });
    assert.equal((await h.request('DELETE', '/api/categories/films')).status, 204);
    assert.equal((await details(id)).category, '', 'its torrents become uncategorised');
    assert.equal((await h.request('DELETE', '/api/categories/films')).status, 404);
  });
});
