/**
 * The daemon service under the conditions of issue 12: removing with the data deletes only
 * what the torrent wrote, a full daemon refuses more torrents, a save path that cannot be
 * written is refused up front, removing and shutting down finish even when a swarm does not
 * stop, and the session's byte totals never go down (completion, removal, restart).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { DaemonService } from '../../src/daemon/service/service.js';
import { ServiceError } from '../../src/daemon/types.js';
import { formatMagnet } from '../../src/metainfo/magnet.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import type { Session } from '../../src/session/session.js';
import { startHarnessFor } from './http-harness.js';
import { hex, makeTorrent, startSeeder, waitFor } from './service-helpers.js';

let dir: string;
let runtime: NodeRuntime;
const services: DaemonService[] = [];
const seeders: Session[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-svc-hardening-'));
  runtime = createNodeRuntime();
});
after(async () => {
  for (const s of services) await s.close();
  for (const s of seeders) await s.close();
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

async function service(name: string, extra: { maxTorrents?: number; stopTimeoutMs?: number; log?: (m: string) => void } = {}): Promise<DaemonService> {
  const s = await DaemonService.create({
    runtime, stateDir: join(dir, `${name}-state`), downloadDir: join(dir, `${name}-dl`), listen: { host: '127.0.0.1', port: 0 },
    dhtBootstrap: false, wallClock: () => Date.now(), ...extra,
  });
  services.push(s);
  void s.startAll();
  return s;
}

async function rejects(p: Promise<unknown>, status: number, message: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => e instanceof ServiceError && e.status === status && message.test(e.message));
}

it('deleteData removes only the torrent\'s files and the folders they leave empty, not a user\'s own files', async () => {
  const s = await service('delete');
  const save = join(dir, 'delete-save');
  const t = await makeTorrent(save, 'album', [{ path: 'cd1/01.flac', length: 20_000 }, { path: 'cd1/02.flac', length: 10_000 }, { path: 'art/deep/cover.jpg', length: 5_000 }, { path: 'notes.txt', length: 100 }]);
  mkdirSync(join(save, 'album', 'Docs'));
  writeFileSync(join(save, 'album', 'Docs', 'important.txt'), 'mine');
  writeFileSync(join(save, 'album', 'cd1', 'lyrics.txt'), 'also mine');
  const id = await s.add({ torrent: t.bytes, savePath: save });
  await waitFor('seeding', () => s.details(id).state === 'seeding');

  await s.remove(id, { deleteData: true });
  assert.equal(readFileSync(join(save, 'album', 'Docs', 'important.txt'), 'utf8'), 'mine');
  assert.equal(readFileSync(join(save, 'album', 'cd1', 'lyrics.txt'), 'utf8'), 'also mine');
  assert.deepEqual(readdirSync(join(save, 'album')).sort(), ['Docs', 'cd1'], 'the torrent\'s files and the emptied art/deep folders are gone');
  assert.deepEqual(readdirSync(join(save, 'album', 'cd1')), ['lyrics.txt']);

  // With nothing of the user's inside, the torrent's folder goes too; the save path stays.
  const t2 = await makeTorrent(save, 'clean', [{ path: 'a/b.bin', length: 3_000 }, { path: 'c.bin', length: 3_000 }]);
  const id2 = await s.add({ torrent: t2.bytes, savePath: save, paused: true });
  await s.remove(id2, { deleteData: true });
  assert.equal(existsSync(join(save, 'clean')), false);
  assert.equal(existsSync(save), true);
});

it('refuses torrents past maxTorrents with 409 and takes one again after a removal', async () => {
  const s = await service('cap', { maxTorrents: 2 });
  const ids: string[] = [];
  for (const n of ['one', 'two']) ids.push(await s.add({ magnet: `magnet:?xt=urn:btih:${Buffer.from(n.padEnd(20, '.')).toString('hex')}`, paused: true }));
  await rejects(s.add({ magnet: `magnet:?xt=urn:btih:${'ab'.repeat(20)}`, paused: true }), 409, /maximum of 2 torrents/);
  assert.equal(s.list({}).total, 2);
  await s.remove(ids[0], { deleteData: false });
  assert.equal((await s.add({ magnet: `magnet:?xt=urn:btih:${'ab'.repeat(20)}`, paused: true })).length, 40);
});

it('refuses a save path it cannot create or write with a 400 that says why, and keeps nothing of the torrent', async () => {
  const s = await service('unwritable');
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  const t = await makeTorrent(join(dir, 'unwritable-src'), 'payload', [{ path: 'a.bin', length: 5_000 }]);
  await rejects(s.add({ torrent: t.bytes, savePath: join(file, 'sub') }), 400, /cannot be written: a file is in the way \(ENOTDIR\)/);
  await rejects(s.add({ torrent: t.bytes, savePath: file }), 400, /cannot be written/);
  assert.equal(s.list({}).total, 0);
  // The default save path is checked when it is set.
  await rejects(s.updateSettings({ downloadDir: join(file, 'downloads') }), 400, /^downloadDir ".*" cannot be written: a file is in the way/);
  assert.notEqual(s.settings().downloadDir, join(file, 'downloads'));
  // Over HTTP: a 400 naming the path.
  const h = await startHarnessFor(s);
  try {
    const r = await h.request('POST', '/api/torrents', { body: { torrent: Buffer.from(t.bytes).toString('base64'), savePath: join(file, 'sub') } });
    assert.equal(r.status, 400);
    assert.match((r.json() as { error: string }).error, /savePath ".*a-file\/sub" cannot be written/);
  } finally {
    await h.close();
  }
});

it('refuses a directory it may not write (EACCES) when the torrent is added', async (t) => {
  const locked = join(dir, 'locked');
  mkdirSync(locked, { mode: 0o555 });
  chmodSync(locked, 0o555);
  chmodSync(dir, 0o755);
  const check = `import('${pathToFileURL(join(import.meta.dirname, '../../src/daemon/service/save-path.js')).href}').then((m) => m.prepareSavePath(${JSON.stringify(join(locked, 'dl'))}, 'savePath')).then(() => console.log('accepted'), (e) => console.log(e.status, e.message))`;
  // root may write anywhere: run the check as an unprivileged user when the tests run as root.
  const asRoot = process.getuid?.() === 0;
  if (asRoot && !existsSync('/usr/bin/setpriv')) return t.skip('running as root without setpriv to drop privileges');
  const argv = asRoot ? ['/usr/bin/setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath] : [process.execPath];
  const r = spawnSync(argv[0], [...argv.slice(1), '-e', check], { encoding: 'utf8', timeout: 20_000 });
  if (asRoot && r.stdout.trim() === '') return t.skip(`cannot run the check as nobody: ${r.stderr.split('\n').find((l) => l.includes('Error')) ?? r.stderr.slice(0, 200)}`);
  assert.match(r.stdout.trim(), /^400 savePath ".*locked\/dl" cannot be written: permission denied \(EACCES\)$/, r.stderr);
});

it('answers a pause or removal and shuts down within stopTimeoutMs when a swarm never stops or never starts (a hung disk)', async () => {
  const logged: string[] = [];
  const s = await service('hung', { stopTimeoutMs: 300, log: (m) => logged.push(m) });
  const t = await makeTorrent(join(dir, 'hung-save'), 'stuck', [{ path: 'a.bin', length: 40_000 }]);
  const keep = await makeTorrent(join(dir, 'hung-save'), 'other', [{ path: 'b.bin', length: 40_000 }]);
  const id = await s.add({ torrent: t.bytes, savePath: join(dir, 'hung-save') });
  const other = await s.add({ torrent: keep.bytes, savePath: join(dir, 'hung-save') });
  await waitFor('both seeding', () => s.details(id).state === 'seeding' && s.details(other).state === 'seeding');
  // Every swarm stop from now on hangs, as it would on a disk that stopped answering.
  s.session.removeTorrent = () => new Promise<void>(() => undefined);

  await s.remove(id, { deleteData: false });
  assert.equal(s.list({}).total, 1);
  assert.match(logged.join('\n'), /did not stop within 300 ms/);

  // A start that never finishes (checking a file that blocks every read): still answered.
  s.session.addTorrent = () => new Promise(() => undefined);
  const blocked = await s.add({ torrent: (await makeTorrent(join(dir, 'hung-save'), 'blocked', [{ path: 'c.bin', length: 4_000 }])).bytes, savePath: join(dir, 'hung-save') });
  await waitFor('checking', () => s.details(blocked).state === 'checking');
  await s.pause(blocked);
  assert.equal(s.details(blocked).state, 'paused');
  await s.remove(blocked, { deleteData: true });
  assert.equal(s.list({}).total, 1);

  await s.close(); // `other` hangs the same way
  assert.match(logged.at(-1) ?? '', /^1 swarm\(s\) did not stop within 300 ms of the last one that did/);
});

it('shuts down only once every swarm has stopped while stops keep completing, however long they take in all', async () => {
  const logged: string[] = [];
  const s = await service('slow-stops', { stopTimeoutMs: 1500, log: (m) => logged.push(m) });
  const save = join(dir, 'slow-stops-save');
  const ids: string[] = [];
  for (let i = 0; i < 8; i++) ids.push(await s.add({ torrent: (await makeTorrent(save, `t${i}`, [{ path: 'f.bin', length: 2_000 }])).bytes, savePath: save }));
  await waitFor('all seeding', () => ids.every((id) => s.details(id).state === 'seeding'));
  // A slow disk: stops complete one at a time, 250 ms apart (2 s in all, more than stopTimeoutMs;
  // each gap well under it, so a loaded machine's late timers do not end the wait early).
  const removeTorrent = s.session.removeTorrent.bind(s.session);
  let disk = Promise.resolve();
  let stopped = 0;
  s.session.removeTorrent = (swarm) => (disk = disk.then(() => new Promise((r) => setTimeout(r, 250))).then(() => removeTorrent(swarm)).then(() => void stopped++));
  await s.close();
  assert.equal(stopped, 8);
  assert.deepEqual(logged, []);
});

it('keeps the session totals growing through completion, removal and a restart, in /api/stats and /metrics', async () => {
  const src = await makeTorrent(join(dir, 'totals-seed'), 'payload', [{ path: 'big.bin', length: 600_000 }]);
  const seeder = await startSeeder(runtime, join(dir, 'totals-seed-state'), '127.0.0.71', src.torrent, join(dir, 'totals-seed'));
  seeders.push(seeder.session);
  const magnet = formatMagnet({ infoHashV1: src.torrent.infoHashV1, name: 'payload', trackers: [], webSeeds: [], peers: [{ host: '127.0.0.71', port: seeder.port }] });
  const stateDir = join(dir, 'totals-state');
  const open = () => DaemonService.create({ runtime, stateDir, downloadDir: join(dir, 'totals-dl'), listen: { host: '127.0.0.72', port: 0 }, dhtBootstrap: false, wallClock: () => Date.now() });

  let s = await open();
  void s.startAll();
  const id = await s.add({ magnet });
  assert.equal(id, hex(src.torrent));
  const seen: number[] = [];
  await waitFor('the download to complete', () => {
    seen.push(s.stats().downloaded);
    return s.details(id).state === 'seeding';
  });
  seen.push(s.stats().downloaded);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i] >= seen[i - 1], `downloaded went from ${seen[i - 1]} to ${seen[i]}`);
  assert.ok(s.stats().downloaded >= 600_000, `after completion: ${s.stats().downloaded}`);
  assert.equal(s.metrics().bytesDownloaded, s.stats().downloaded);

  await s.remove(id, { deleteData: false });
  const afterRemove = s.stats().downloaded;
  assert.ok(afterRemove >= 600_000, `after removal: ${afterRemove}`);
  await s.close();

  s = await open();
  services.push(s);
  assert.equal(s.stats().downloaded, afterRemove, 'restored from the state directory');
  const h = await startHarnessFor(s);
  try {
    const metrics = (await h.request('GET', '/metrics')).body.toString();
    assert.match(metrics, new RegExp(`^shoal_bytes_downloaded_total ${afterRemove}$`, 'm'));
  } finally {
    await h.close();
  }
});
