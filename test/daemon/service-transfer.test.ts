/**
 * The daemon service trading with a real Shoal seeder on loopback: a priority-0 file is
 * skipped, a file range streams with the right bytes mid-download, and a clean restart keeps
 * torrents and progress without hashing anything again.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DaemonService } from '../../src/daemon/service/service.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import type { Session } from '../../src/session/session.js';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import { formatAddress } from '../../src/runtime/types.js';
import { startTrackerServer } from '../../src/tracker/server.js';
import type { ServiceEvent } from '../../src/daemon/types.js';
import { makeTorrent, startSeeder, startService, waitFor } from './service-helpers.js';

let dir: string;
let seedRuntime: NodeRuntime;
const seeders: Session[] = [];
const services: { service: DaemonService; runtime: NodeRuntime }[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-svc-transfer-'));
  seedRuntime = createNodeRuntime();
});
after(async () => {
  for (const s of services) {
    await s.service.close();
    s.runtime.close();
  }
  for (const s of seeders) await s.close();
  seedRuntime.close();
  rmSync(dir, { recursive: true, force: true });
});

async function seed(name: string, files: { path: string; length: number }[], host: string) {
  const t = await makeTorrent(join(dir, `${name}-seed`), name, files);
  const seeder = await startSeeder(seedRuntime, join(dir, `${name}-seed-state`), host, t.torrent, join(dir, `${name}-seed`));
  seeders.push(seeder.session);
  return { ...t, seeder };
}

async function daemon(name: string, host: string) {
  const s = await startService(join(dir, `${name}-state`), join(dir, `${name}-dl`), host);
  services.push(s);
  return s.service;
}

/** The daemon's torrent runs: let the seeder dial it. */
async function connect(s: DaemonService, id: string, seeder: { swarm: { addPeer(a: { host: string; port: number }): void } }) {
  await waitFor('the torrent to run', () => ['downloading', 'seeding'].includes(s.details(id).state));
  seeder.swarm.addPeer(s.listenAddress!);
}

it('skips a file whose priority is 0 and completes the rest', async () => {
  const src = await seed('prio', [{ path: 'keep.bin', length: 300_000 }, { path: 'skip.bin', length: 300_000 }], '127.0.0.41');
  const s = await daemon('prio', '127.0.0.42');
  const id = await s.add({ torrent: src.bytes, paused: true });
  s.setFilePriorities(id, [{ index: 1, priority: 0 }]);
  await s.resume(id);
  await connect(s, id, src.seeder);
  await waitFor('the wanted file to complete', () => s.details(id).state === 'seeding');
  const d = s.details(id);
  assert.equal(d.progress, 1, 'progress counts wanted bytes only');
  assert.deepEqual(d.files.map((f) => [f.path, f.priority, f.progress]), [['prio/keep.bin', 1, 1], ['prio/skip.bin', 0, 0]]);
  assert.deepEqual(readFileSync(join(dir, 'prio-dl', 'prio', 'keep.bin')), readFileSync(join(src.root, 'keep.bin')));
});

it('streams a range of a file with the right bytes while it is still downloading', async () => {
  const src = await seed('stream', [{ path: 'movie.bin', length: 3_000_000 }], '127.0.0.43');
  const s = await daemon('stream', '127.0.0.44');
  await s.updateSettings({ downloadRateLimit: 300_000 }); // ~10 s for the whole file
  const id = await s.add({ torrent: src.bytes });
  await connect(s, id, src.seeder);
  const stream = s.openFile(id, 0);
  assert.equal(stream.fileLength, 3_000_000);
  const [start, end] = [2_000_123, 2_400_456];
  assert.ok(s.details(id).progress < 0.5, 'the read starts well before the download ends');
  const chunks: Uint8Array[] = [];
  for await (const c of stream.read(start, end, new AbortController().signal)) chunks.push(c);
  assert.ok(s.details(id).progress < 1, 'the range arrived before the whole file');
  assert.deepEqual(Buffer.concat(chunks), readFileSync(join(src.root, 'movie.bin')).subarray(start, end + 1));
  await s.updateSettings({ downloadRateLimit: 0 });
});

it('keeps torrents and progress across a clean restart without hashing a piece again', async () => {
  const src = await seed('restart', [{ path: 'a.bin', length: 400_000 }, { path: 'b.bin', length: 100_000 }], '127.0.0.45');
  const stateDir = join(dir, 'restart-state');
  let s = await daemon('restart', '127.0.0.46');
  const id = await s.add({ torrent: src.bytes });
  const paused = await s.add({ torrent: (await makeTorrent(join(dir, 'restart-other'), 'other', [{ path: 'o.bin', length: 10_000 }])).bytes, paused: true });
  await connect(s, id, src.seeder);
  await waitFor('the download to complete', () => s.details(id).state === 'seeding');
  const before = s.details(id);
  await s.close();

  // Corrupt a verified piece and put the file's mtime back: only a re-hash could notice.
  const file = join(dir, 'restart-dl', 'restart', 'a.bin');
  const st = statSync(file, { bigint: true });
  const fd = openSync(file, 'r+');
  writeSync(fd, Buffer.from([0xde, 0xad]), 0, 2, 100_000);
  closeSync(fd);
  const ns = st.mtimeNs;
  const touched = spawnSync('touch', ['-m', '-d', `@${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, '0')}`, file]);
  assert.equal(touched.status, 0, String(touched.stderr));
  assert.equal(statSync(file, { bigint: true }).mtimeNs, ns);

  const runtime = createNodeRuntime();
  const { DaemonService } = await import('../../src/daemon/service/service.js');
  s = await DaemonService.create({ runtime, stateDir, downloadDir: join(dir, 'restart-dl'), listen: { host: '127.0.0.46', port: 0 }, dhtBootstrap: false, wallClock: () => Date.now() });
  services.push({ service: s, runtime });
  assert.deepEqual(s.list({}).torrents.map((t) => [t.infoHash, t.state, t.progress]), [[id, 'seeding', 1], [paused, 'paused', 0]], 'listed from state before any swarm starts');
  s.startAll();
  const stats = await waitFor('the swarm to run', () => s.storageStats(id));
  assert.equal(stats.piecesHashed, 0, 'nothing re-hashed');
  const after = s.details(id);
  assert.equal(after.pieces, before.pieces, 'every piece still verified (the corrupted one included: it was not re-checked)');
  assert.deepEqual([after.state, after.progress, after.addedAt], ['seeding', 1, before.addedAt]);
  assert.equal(s.details(paused).state, 'paused');
});

it('announces to the torrent\'s trackers tier by tier, reports each one\'s status, and sends events', async () => {
  const tracker = await startTrackerServer({ runtime: seedRuntime, http: { host: '127.0.0.47', port: 0 } });
  try {
    const src = await seed('tracked', [{ path: 'f.bin', length: 100_000 }], '127.0.0.48');
    const good = `http://${formatAddress(tracker.http!.address)}/announce`;
    const bad = 'http://127.0.0.47:1/announce'; // nothing listens there
    const { bytes } = await createTorrent(join(src.root), { pieceLength: 16 * 1024, creationDate: null, threads: 0, trackers: [bad, good] });
    const s = await daemon('tracked', '127.0.0.49');
    const events: ServiceEvent[] = [];
    const unsubscribe = s.subscribe((e) => events.push(e));
    const id = await s.add({ torrent: bytes, savePath: join(dir, 'tracked-seed') });
    await waitFor('an announce to succeed', () => s.details(id).trackers.find((t) => t.url === good)?.status === 'working');
    const trackers = s.details(id).trackers;
    assert.deepEqual(trackers.map((t) => [t.url, t.tier, t.status]), [[bad, 0, 'error'], [good, 1, 'working']]);
    assert.ok(trackers[1].lastAnnounce! <= Date.now() && trackers[1].nextAnnounce! > Date.now());
    const m = s.metrics();
    assert.ok(m.trackerAnnounces.success >= 1 && m.trackerAnnounces.failure >= 1, JSON.stringify(m.trackerAnnounces));
    await waitFor('a stats event', () => events.some((e) => e.type === 'stats'));
    await s.remove(id, { deleteData: false });
    unsubscribe();
    const types = events.map((e) => e.type);
    assert.equal(types[0], 'torrent-added');
    assert.ok(types.includes('torrent-updated'), types.join(','));
    assert.equal(types.at(-1), 'torrent-removed');
    const seedingUpdate = events.find((e) => e.type === 'torrent-updated' && e.torrent.state === 'seeding');
    assert.ok(seedingUpdate, 'an update reports the torrent seeding');
  } finally {
    await tracker.close();
  }
});
