import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, truncateSync, unlinkSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TorrentVersion } from '../../src/metainfo/torrent.js';
import { checkExisting, type CheckProgress } from '../../src/storage/check.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { MULTI_FILES, assertBytes, makeFixture, type Fixture } from './storage-fixtures.js';

let dir: string;
const fixtures = new Map<TorrentVersion, Fixture>();
let n = 0;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-check-'));
  for (const v of ['v1', 'v2', 'hybrid'] as const) fixtures.set(v, await makeFixture(join(dir, `src-${v}`), 'multi', MULTI_FILES, v, 32_768));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A download directory holding a copy of the fixture's files. */
function copy(v: TorrentVersion): string {
  const root = join(dir, `dl-${n++}`);
  cpSync(join(dir, `src-${v}`, 'multi'), join(root, 'multi'), { recursive: true });
  return root;
}

/** Pieces holding any byte of the file at `rel`. */
function piecesOf(f: Fixture, rel: string): number[] {
  const i = f.torrent.layout.files.findIndex((x) => !x.pad && x.path.join('/') === rel);
  const r = f.torrent.layout.filePieces(i);
  return r ? Array.from({ length: r.last - r.first + 1 }, (_, k) => r.first + k) : [];
}

describe('fast check of existing files', () => {
  for (const v of ['v1', 'v2', 'hybrid'] as const) {
    it(`finds every piece of complete files and reports progress (${v})`, async () => {
      const f = fixtures.get(v) as Fixture;
      const s = new FileStorage(f.torrent, { downloadDir: copy(v) });
      const progress: CheckProgress[] = [];
      const r = await checkExisting(s, { onProgress: (p) => progress.push(p) });
      assert.equal(r.mode, 'full');
      assert.equal(r.have.complete, true);
      assert.equal(r.hashed, f.torrent.pieceCount);
      assert.equal(progress.length, f.torrent.pieceCount);
      assert.deepEqual(progress.at(-1), { checked: f.torrent.pieceCount, total: f.torrent.pieceCount, found: f.torrent.pieceCount });
      assertBytes(await s.readBlock(0, 0, 1000), f.piece(0).subarray(0, 1000));
      await s.close();
    });

    it(`over partial files: a missing file and a short one are missing without hashing, a corrupt piece fails (${v})`, async () => {
      const f = fixtures.get(v) as Fixture;
      const root = copy(v);
      unlinkSync(join(root, 'multi', 'sub', 'b.bin'));
      truncateSync(join(root, 'multi', 'sub', 'deeper', 'd.bin'), 40_000);
      const fd = openSync(join(root, 'multi', 'a.bin'), 'r+');
      writeSync(fd, Uint8Array.of(0xde, 0xad), 0, 2, 40_000); // inside piece 1
      closeSync(fd);
      const s = new FileStorage(f.torrent, { downloadDir: root });
      const r = await checkExisting(s);
      const d = piecesOf(f, 'sub/deeper/d.bin');
      const missing = new Set([...piecesOf(f, 'sub/b.bin'), 1, ...d.filter((p) => (p + 1) * 32_768 - f.torrent.layout.files[f.torrent.layout.files.findIndex((x) => x.path.join('/') === 'sub/deeper/d.bin')].offset > 40_000)]);
      const expected = [...Array(f.torrent.pieceCount).keys()].filter((p) => !missing.has(p));
      assert.deepEqual([...r.have.indices()], expected);
      // Pieces past the end of d.bin or in b.bin were never hashed.
      const absent = [...piecesOf(f, 'sub/b.bin'), ...d.filter((p) => !expected.includes(p))];
      assert.equal(r.hashed, f.torrent.pieceCount - new Set(absent).size);
      await s.close();
    });
  }

  it('stops when its signal aborts', async () => {
    const f = fixtures.get('v1') as Fixture;
    const s = new FileStorage(f.torrent, { downloadDir: copy('v1') });
    const ac = new AbortController();
    const r = checkExisting(s, { signal: ac.signal, concurrency: 1, onProgress: (p) => p.checked === 2 && ac.abort(new Error('removed')) });
    await assert.rejects(r, /removed/);
    assert.ok(s.stats().piecesHashed < f.torrent.pieceCount);
    await s.close();
  });

  it('finds nothing and hashes nothing in an empty directory', async () => {
    const f = fixtures.get('hybrid') as Fixture;
    const s = new FileStorage(f.torrent, { downloadDir: join(dir, `dl-${n++}`) });
    const r = await checkExisting(s);
    assert.deepEqual([r.have.count, r.hashed], [0, 0]);
    await s.close();
  });

  it('treats a directory where a file should be as missing', async () => {
    const f = fixtures.get('v1') as Fixture;
    const root = copy('v1');
    unlinkSync(join(root, 'multi', 'sub', 'c.bin'));
    cpSync(join(root, 'multi', 'sub', 'deeper'), join(root, 'multi', 'sub', 'c.bin'), { recursive: true });
    writeFileSync(join(root, 'unrelated'), 'x');
    const s = new FileStorage(f.torrent, { downloadDir: root });
    const r = await checkExisting(s);
    for (const p of piecesOf(f, 'sub/c.bin')) assert.equal(r.have.has(p), false);
    await s.close();
  });
});
