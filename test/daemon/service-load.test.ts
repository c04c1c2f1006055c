/**
 * Torrents that must not take the daemon down (issue 12, item 3): one past a parse limit is
 * refused before it is saved, and a saved one that no longer loads (a 2 GiB piece length
 * saved by an older version, garbage, a missing file) puts only that torrent in 'error' at
 * start, with the reason; a malformed saved record is skipped with a logged reason; the
 * daemon and its other torrents start.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../../src/bencode/encode.js';
import { StateStore, type TorrentRecord } from '../../src/daemon/service/state-store.js';
import { ServiceError } from '../../src/daemon/types.js';
import { hex, makeTorrent, startService, waitFor } from './service-helpers.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'shoal-svc-load-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const GIB2 = 2 ** 31;

/** A v1 single-file torrent with a 2 GiB piece: one piece, its file 2 GiB + 1 byte (any hash will do). */
function hugePieceTorrent(name: string): Uint8Array {
  return encode({ info: { name, 'piece length': GIB2, pieces: new Uint8Array(40).fill(7), length: GIB2 + 1 } });
}

function record(id: string, name: string, savePath: string): TorrentRecord {
  return { id, name, savePath, addedAt: 0, paused: false, hasMetadata: true, size: 0, bytesHave: 0, complete: false, downloaded: 0, uploaded: 0 };
}

it('refuses a torrent with a 2 GiB piece length before saving anything (400)', async () => {
  const state = join(dir, 'refuse-state');
  const { service, runtime } = await startService(state, join(dir, 'refuse-dl'));
  try {
    await assert.rejects(service.add({ torrent: hugePieceTorrent('huge') }), (e: unknown) => e instanceof ServiceError && e.status === 400 && /maxPieceLength/.test(e.message));
    assert.equal(service.list({}).total, 0);
    assert.deepEqual(readdirSync(join(state, 'meta')), []);
  } finally {
    await service.close();
    runtime.close();
  }
});

it('starts with saved torrents that no longer load: each in error with its reason, the others running', async () => {
  const state = join(dir, 'start-state'), dl = join(dir, 'start-dl');
  mkdirSync(dl, { recursive: true });
  // What an older version saved: a 2 GiB-piece torrent whose (sparse) file is all there, so
  // opening it would hash its one piece, garbage metainfo, and a record whose metainfo is gone.
  writeFileSync(join(dl, 'huge.bin'), '');
  truncateSync(join(dl, 'huge.bin'), GIB2 + 1);
  const store = StateStore.open(state);
  const bad = [['a1'.repeat(20), 'huge.bin'], ['b2'.repeat(20), 'garbage'], ['c3'.repeat(20), 'gone']] as const;
  await store.writeMeta(bad[0][0], hugePieceTorrent('huge.bin'));
  await store.writeMeta(bad[1][0], new Uint8Array([1, 2, 3]));
  for (const [id, name] of bad) await store.put(record(id, name, dl));
  await store.close();

  const { service, runtime } = await startService(state, dl);
  try {
    const good = await makeTorrent(join(dir, 'src'), 'good', [{ path: 'f.bin', length: 40_000 }]);
    const id = await service.add({ torrent: good.bytes, savePath: join(dir, 'src') });
    await waitFor('the good torrent to seed', () => service.details(id).state === 'seeding');
    assert.equal(id, hex(good.torrent));
    for (const [badId] of bad) {
      const d = await waitFor(`${badId} in error`, () => {
        const x = service.details(badId);
        return x.state === 'error' ? x : undefined;
      });
      assert.match(d.error ?? '', /cannot load the saved torrent/);
      assert.deepEqual(d.files, []);
    }
    assert.match(service.details(bad[0][0]).error ?? '', /maxPieceLength/);
    // Resuming cannot fix it: it stays in error instead of crashing or looping.
    await service.resume(bad[0][0]);
    await waitFor('the huge torrent back in error', () => service.details(bad[0][0]).state === 'error');
    assert.ok(existsSync(join(dl, 'huge.bin')));
  } finally {
    await service.close();
    runtime.close();
  }
});

it('skips malformed saved records with a logged reason and starts with the rest', async (t) => {
  const state = join(dir, 'malformed-state'), dl = join(dir, 'malformed-dl');
  const good = await makeTorrent(join(dir, 'src-m'), 'kept', [{ path: 'f.bin', length: 30_000 }]);
  const id = hex(good.torrent);
  const store = StateStore.open(state);
  await store.writeMeta(id, good.bytes);
  await store.put({ ...record(id, 'kept', join(dir, 'src-m')), paused: true });
  await store.close();
  // Lines a crash cannot produce (those are torn tails) but a hand edit or another program can.
  const junk = ['{"op":"put"}', '{"op":"put","t":{"id":"zz"}}', 'null', '7', '{"op":"del"}', JSON.stringify({ op: 'put', t: { ...record('d4'.repeat(20), 'x', dl), savePath: 5 } })];
  appendFileSync(join(state, 'torrents.log'), junk.map((l) => `${l}\n`).join(''));
  const snapPath = join(state, 'torrents.json');
  const snap = JSON.parse(readFileSync(snapPath, 'utf8')) as { torrents: unknown[] };
  snap.torrents.push({ id: 'not-hex' }, null);
  writeFileSync(snapPath, JSON.stringify(snap));

  const logged = t.mock.method(console, 'error', () => undefined);
  const { service, runtime } = await startService(state, dl);
  try {
    assert.deepEqual(service.list({}).torrents.map((x) => x.infoHash), [id]);
    assert.equal(service.details(id).state, 'paused');
    const lines = logged.mock.calls.map((c) => String(c.arguments[0]));
    assert.equal(lines.filter((l) => l.startsWith('shoal daemon: skipped torrents.log: a malformed entry')).length, junk.length);
    assert.equal(lines.filter((l) => l.startsWith('shoal daemon: skipped torrents.json: a malformed record')).length, 2);
  } finally {
    await service.close();
    runtime.close();
  }
});
