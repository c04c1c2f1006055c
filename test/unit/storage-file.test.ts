import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PieceLayout } from '../../src/metainfo/layout.js';
import type { Torrent } from '../../src/metainfo/torrent.js';
import { checkExisting } from '../../src/storage/check.js';
import { PieceNotAvailableError, StorageIoError } from '../../src/storage/errors.js';
import { FdCache } from '../../src/runtime/node/disk/fd-cache.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { UnsafePathError } from '../../src/storage/path-safety.js';
import type { StorageEvent } from '../../src/storage/types.js';
import { MULTI_FILES, assertBytes, blocksOf, makeFixture, type Fixture } from './storage-fixtures.js';

let dir: string;
let single: Fixture;
let multi: Fixture;
let n = 0;
const fresh = () => join(dir, `dl-${n++}`);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-file-'));
  single = await makeFixture(join(dir, 'src'), 'single.bin', 10 * 32_768 - 100, 'v1', 32_768);
  multi = await makeFixture(join(dir, 'src'), 'multi', MULTI_FILES, 'hybrid', 32_768);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A copy of a parsed torrent with its name and real files' paths replaced (as a parser bug could hand storage). */
function withPaths(t: Torrent, name: string, paths: string[][]): Torrent {
  let k = 0;
  const files = t.layout.files.map((f) => (f.pad ? f : { ...f, path: paths[k++] ?? f.path }));
  return { ...t, name, layout: new PieceLayout(files, t.pieceLength) };
}

describe('file storage on disk', () => {
  it('writes sparse files: only the blocks written, at their offsets, nothing preallocated', async () => {
    const root = fresh();
    const s = new FileStorage(single.torrent, { downloadDir: root });
    await s.writeBlock(5, 0, single.piece(5));
    assert.equal(await s.verifyPiece(5), true);
    await s.close();
    const path = join(root, 'single.bin');
    const st = statSync(path);
    assert.equal(st.size, 6 * 32_768);
    const data = readFileSync(path);
    assertBytes(data.subarray(5 * 32_768), single.piece(5));
    assert.ok(data.subarray(0, 5 * 32_768).every((b) => b === 0));
    assert.ok(st.blocks * 512 < st.size, `allocated ${st.blocks * 512} of ${st.size}`);
  });

  it('serves pieces loaded from disk with their pad ranges as zeros (the load buffer is not zero-filled)', async () => {
    const t = multi.torrent;
    assert.ok(t.layout.files.some((x) => x.pad), 'the hybrid fixture has pad files');
    const root = fresh();
    const a = new FileStorage(t, { downloadDir: root });
    for (let p = 0; p < t.pieceCount; p++) {
      await a.writeBlock(p, 0, multi.piece(p));
      assert.equal(await a.verifyPiece(p), true);
    }
    await a.close();
    // A new storage over the same files: every read loads its piece from disk.
    const b = new FileStorage(t, { downloadDir: root });
    b.restoreBitfield(a.bitfield());
    const out = new Uint8Array(multi.space.length);
    for (const [p, o, len] of blocksOf(t)) out.set(await b.readBlock(p, o, len), p * t.pieceLength + o);
    assertBytes(out, multi.space);
    await b.close();
  });

  it('spills unverified blocks to disk when over cacheBytes and reads them back to verify', async () => {
    const s = new FileStorage(single.torrent, { downloadDir: fresh(), cacheBytes: 16_384 });
    for (const p of [0, 1]) for (const o of [0, 16_384]) await s.writeBlock(p, o, single.piece(p).subarray(o, o + 16_384));
    assert.ok(s.stats().diskWrites >= 2, 'blocks went to disk before verification');
    assert.ok(s.stats().writeCacheBytes <= 16_384);
    assert.equal(await s.verifyPiece(0), true);
    assert.equal(await s.verifyPiece(1), true);
    assert.ok(s.stats().peakCacheBytes <= 16_384);
    await s.close();
  });

  it('refuses a torrent whose names would leave the download directory, before touching the disk', () => {
    const root = fresh();
    const t = multi.torrent;
    const hostile: [string, string[][]][] = [
      ['..', []],
      ['multi', [['..', '..', 'escaped.bin']]],
      ['multi', [['/etc', 'passwd']]],
      ['multi', [['sub\\..\\..', 'x']]],
      ['C:evil', []],
      ['multi', [['ok', '']]],
    ];
    for (const [name, paths] of hostile) {
      assert.throws(() => new FileStorage(withPaths(t, name, paths), { downloadDir: root }), UnsafePathError, `${name} ${JSON.stringify(paths)}`);
    }
    assert.equal(existsSync(root), false);
    assert.deepEqual(readdirSync(dir).filter((x) => x.includes('escaped')), []);
  });

  it('neutralises device names and trailing dots, keeping every file inside the download directory', async () => {
    const root = fresh();
    const t = withPaths(multi.torrent, 'CON', [['aux.bin'], ['x.'], ['sub', 'nul'], ['sub', 'c.bin'], ['sub', 'deeper ', 'd.bin']]);
    const s = new FileStorage(t, { downloadDir: root });
    for (const p of s.paths) if (p) assert.ok(p.startsWith(join(root, 'CON_')), p);
    assert.ok(s.paths.includes(join(root, 'CON_', 'aux_.bin')));
    assert.ok(s.paths.includes(join(root, 'CON_', 'x._')));
    await s.close();
  });

  it('does not follow a symlink planted where a file goes', async () => {
    const root = fresh();
    const outside = join(dir, 'outside.bin');
    writeFileSync(outside, 'precious');
    mkdirSync(root);
    symlinkSync(outside, join(root, 'single.bin'));
    const s = new FileStorage(single.torrent, { downloadDir: root, cacheBytes: 0 });
    await assert.rejects(s.writeBlock(0, 0, single.piece(0)), StorageIoError);
    assert.equal(readFileSync(outside, 'utf8'), 'precious');
    await s.close();
  });

  it('cuts a longer pre-existing file to its length once all its pieces verify', async () => {
    const root = fresh();
    mkdirSync(root);
    writeFileSync(join(root, 'single.bin'), Buffer.concat([single.space, Buffer.from('trailing junk')]));
    const s = new FileStorage(single.torrent, { downloadDir: root });
    const r = await checkExisting(s);
    assert.equal(r.have.complete, true);
    await s.close();
    assert.equal(statSync(join(root, 'single.bin')).size, single.torrent.length);
  });

  it('reports a verified piece whose file vanished as lost', async () => {
    const root = fresh();
    const events: StorageEvent[] = [];
    const s = new FileStorage(single.torrent, { downloadDir: root, cacheBytes: 0, onEvent: (e) => events.push(e) });
    await s.writeBlock(0, 0, single.piece(0));
    assert.equal(await s.verifyPiece(0), true);
    await s.flush();
    await s.fdCache.closeAll();
    unlinkSync(join(root, 'single.bin'));
    await assert.rejects(s.readBlock(0, 0, 100), PieceNotAvailableError);
    assert.equal(s.hasPiece(0), false);
    assert.equal(events.at(-1)?.type, 'piece-lost');
    await s.close();
  });

  it('shares one handle cache between torrents and stays within its bound', async () => {
    const fdCache = new FdCache({ maxOpenFiles: 2 });
    const a = new FileStorage(multi.torrent, { downloadDir: fresh(), fdCache, cacheBytes: 0 });
    const b = new FileStorage(multi.torrent, { downloadDir: fresh(), fdCache, cacheBytes: 0 });
    await Promise.all([a, b].flatMap((s) => blocksOf(multi.torrent).map(([p, o, len]) => s.writeBlock(p, o, multi.piece(p).subarray(o, o + len)))));
    const ok = await Promise.all([a, b].flatMap((s) => [...Array(multi.torrent.pieceCount).keys()].map((p) => s.verifyPiece(p))));
    assert.ok(ok.every(Boolean));
    await Promise.all([a.close(), b.close()]);
    assert.ok(fdCache.peakOpen <= 2, `peak ${fdCache.peakOpen}`);
    assert.equal(fdCache.openFiles, 0);
  });
});

describe('FdCache', () => {
  it('makes a caller wait while every handle is in use, then reuses the slot', async () => {
    const root = fresh();
    mkdirSync(root);
    const [p1, p2] = [join(root, 'a'), join(root, 'b')];
    const c = new FdCache({ maxOpenFiles: 1 });
    let release!: () => void;
    const held = c.use(p1, 'write', () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setImmediate(r));
    let second = false;
    const next = c.use(p2, 'write', async () => void (second = true));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(second, false);
    release();
    await Promise.all([held, next]);
    assert.equal(second, true);
    assert.equal(c.peakOpen, 1);
    await c.closeAll();
    assert.equal(c.openFiles, 0);
  });

  it('a read of a missing file fails with ENOENT and frees its slot', async () => {
    const c = new FdCache({ maxOpenFiles: 1 });
    const err = await c.use(join(dir, 'nope'), 'read', async () => undefined).catch((e: unknown) => e);
    assert.ok(err instanceof StorageIoError && err.code === 'ENOENT');
    assert.equal(c.openFiles, 0);
    await c.use(join(dir, 'src', 'single.bin'), 'read', async () => undefined);
    await c.closeAll();
  });
});
