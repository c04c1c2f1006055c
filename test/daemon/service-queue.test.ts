/**
 * The daemon service without peers: adding (and refusing), listing with paging, filters and
 * sorting, the download queue, pause / resume, and removing with and without the data.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceError, type TorrentState } from '../../src/daemon/types.js';
import type { DaemonService } from '../../src/daemon/service/service.js';
import type { NodeRuntime } from '../../src/runtime/node/index.js';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import { hex, makeTorrent, payload, startService, waitFor } from './service-helpers.js';

let dir: string;
const open: { service: DaemonService; runtime: NodeRuntime }[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-svc-queue-'));
});
after(async () => {
  for (const o of open) {
    await o.service.close();
    o.runtime.close();
  }
  rmSync(dir, { recursive: true, force: true });
});

async function service(name: string, maxActiveDownloads?: number) {
  const s = await startService(join(dir, `${name}-state`), join(dir, `${name}-dl`), '127.0.0.1', { maxActiveDownloads });
  open.push(s);
  return s.service;
}

function stateOf(s: DaemonService, id: string): TorrentState {
  return s.details(id).state;
}

async function rejects(p: Promise<unknown> | (() => unknown), status: number): Promise<void> {
  await assert.rejects(async () => (typeof p === 'function' ? p() : p), (e: unknown) => e instanceof ServiceError && e.status === status);
}

it('adds torrents, refuses duplicates and garbage, and lists them paged, filtered and sorted', async () => {
  const s = await service('list');
  const ids: string[] = [];
  for (const name of ['delta', 'alpha', 'charlie', 'echo', 'bravo']) {
    const t = await makeTorrent(join(dir, 'src-list'), name, [{ path: 'f.bin', length: 20_000 }]);
    ids.push(await s.add({ torrent: t.bytes, paused: name === 'alpha' || name === 'echo' }));
    assert.equal(ids.at(-1), hex(t.torrent));
  }
  await rejects(s.add({ torrent: (await makeTorrent(join(dir, 'src-list'), 'delta', [{ path: 'f.bin', length: 20_000 }])).bytes }), 409);
  await rejects(s.add({ torrent: new Uint8Array([1, 2, 3]) }), 400);
  await rejects(s.add({ magnet: 'magnet:?xt=urn:btih:nothex' }), 400);
  await rejects(s.add({}), 400);
  await rejects(async () => s.list({ limit: 0 }), 400);
  await rejects(async () => s.details('00'.repeat(20)), 404);

  const all = s.list({});
  assert.equal(all.total, 5);
  assert.deepEqual(all.torrents.map((t) => t.name), ['delta', 'alpha', 'charlie', 'echo', 'bravo']); // addition order
  const page = s.list({ offset: 1, limit: 2 });
  assert.deepEqual([page.total, page.offset, page.torrents.map((t) => t.name)], [5, 1, ['alpha', 'charlie']]);
  assert.deepEqual(s.list({ sort: 'name' }).torrents.map((t) => t.name), ['alpha', 'bravo', 'charlie', 'delta', 'echo']);
  assert.deepEqual(s.list({ sort: 'name', order: 'desc', limit: 2 }).torrents.map((t) => t.name), ['echo', 'delta']);
  const paused = s.list({ state: 'paused' });
  assert.deepEqual([paused.total, paused.torrents.map((t) => t.name)], [2, ['alpha', 'echo']]);
  assert.deepEqual(s.list({ search: 'HAR' }).torrents.map((t) => t.name), ['charlie']);
  assert.deepEqual(s.list({ search: ids[4].slice(0, 12) }).torrents.map((t) => t.name), ['bravo']);
});

it('runs at most maxActiveDownloads downloads; the rest wait as queued and move up when one pauses', async () => {
  const s = await service('queue', 1);
  const ids: string[] = [];
  for (const name of ['q1', 'q2', 'q3']) ids.push(await s.add({ torrent: (await makeTorrent(join(dir, 'src-queue'), name, [{ path: 'f.bin', length: 50_000 }])).bytes, savePath: join(dir, 'queue-empty') }));
  await waitFor('one download running', () => stateOf(s, ids[0]) === 'downloading');
  assert.deepEqual(ids.map((id) => stateOf(s, id)), ['downloading', 'queued', 'queued']);
  assert.equal(s.stats().torrents.queued, 2);

  await s.pause(ids[0]);
  assert.equal(stateOf(s, ids[0]), 'paused');
  await waitFor('the next download to start', () => stateOf(s, ids[1]) === 'downloading');
  assert.equal(stateOf(s, ids[2]), 'queued');

  // Resumed, the first waits: the running download keeps its slot.
  await s.resume(ids[0]);
  await waitFor('resumed torrent queued', () => stateOf(s, ids[0]) === 'queued');
  assert.equal(stateOf(s, ids[1]), 'downloading');

  // A bigger queue starts the waiting ones.
  await s.updateSettings({ maxActiveDownloads: 3 });
  await waitFor('all three downloading', () => ids.every((id) => stateOf(s, id) === 'downloading'));
  await rejects(s.updateSettings({ maxActiveDownloads: 0 }), 400);
  await rejects(s.updateSettings({ nonsense: 1 } as never), 400);
});

it('seeds data already present, and removes a torrent with or without its data (only its own files)', async () => {
  const s = await service('remove');
  const saveDir = join(dir, 'remove-data');
  const multi = await makeTorrent(saveDir, 'multi', [{ path: 'a.bin', length: 40_000 }, { path: 'sub/b.bin', length: 10_000 }]);
  writeFileSync(join(saveDir, 'x.bin'), payload(30_000, 5));
  const single = await createTorrent(join(saveDir, 'x.bin'), { pieceLength: 16 * 1024, creationDate: null, threads: 0 });
  writeFileSync(join(saveDir, 'unrelated.txt'), 'keep me');

  const m = await s.add({ torrent: multi.bytes, savePath: saveDir });
  const o = await s.add({ torrent: single.bytes, savePath: saveDir });
  await waitFor('both seeding after the check', () => stateOf(s, m) === 'seeding' && stateOf(s, o) === 'seeding');
  assert.equal(s.details(m).progress, 1);
  assert.deepEqual(s.details(m).files.map((f) => [f.path, f.progress]), [['multi/a.bin', 1], ['multi/sub/b.bin', 1]]);

  await s.remove(m, { deleteData: false });
  assert.equal(s.list({}).total, 1);
  assert.ok(existsSync(join(saveDir, 'multi', 'a.bin')), 'data kept');
  await rejects(async () => s.details(m), 404);

  const again = await s.add({ torrent: multi.bytes, savePath: saveDir });
  await waitFor('seeding again', () => stateOf(s, again) === 'seeding');
  await s.remove(again, { deleteData: true });
  await s.remove(o, { deleteData: true });
  assert.ok(!existsSync(join(saveDir, 'multi')), 'multi-file torrent directory deleted');
  assert.ok(!existsSync(join(saveDir, 'x.bin')), 'single file deleted');
  assert.ok(existsSync(join(saveDir, 'unrelated.txt')), 'other files in the save path stay');
  assert.equal(s.list({}).total, 0);
});

it('applies the encryption setting to the session, refuses a bad one, and keeps it across a restart', async () => {
  const s = await service('encryption');
  assert.equal(s.settings().encryption, 'prefer');
  assert.equal(s.session.dialer.policy, 'prefer');
  await s.updateSettings({ encryption: 'require' });
  assert.equal(s.session.dialer.policy, 'require');
  await rejects(s.updateSettings({ encryption: 'maybe' as never }), 400);
  assert.equal(s.settings().encryption, 'require');
  const again = await service('encryption');
  assert.equal(again.session.dialer.policy, 'require');
});
