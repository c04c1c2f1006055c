/**
 * Symbolic links inside the download directory (issue 12, item 5; docs/path-safety.md): writing
 * never goes through a symlinked directory below the download directory; the download directory
 * itself may be a link, and reads (seeding, the fast check) follow what the user put there.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkExisting } from '../../src/storage/check.js';
import { StorageIoError, SymlinkedPathError } from '../../src/storage/errors.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { MULTI_FILES, assertBytes, blocksOf, makeFixture, type Fixture } from './storage-fixtures.js';

let dir: string;
let multi: Fixture;
let n = 0;
const fresh = () => join(dir, `case-${n++}`);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-symlink-'));
  multi = await makeFixture(join(dir, 'src'), 'Name', MULTI_FILES, 'hybrid', 32_768);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Writes every block and verifies every piece; resolves with the first error, if any. */
async function download(s: FileStorage, f: Fixture): Promise<unknown> {
  try {
    for (const [p, o, len] of blocksOf(f.torrent)) await s.writeBlock(p, o, f.piece(p).subarray(o, o + len));
    for (let p = 0; p < f.torrent.pieceCount; p++) await s.verifyPiece(p);
    await s.flush();
  } catch (e) {
    return e;
  }
  return undefined;
}

const filesUnder = (d: string): string[] => readdirSync(d, { recursive: true }).map(String);

describe('symlinked directories inside the download directory', () => {
  it("refuses to write through a link 'dl/Name -> outside' for a torrent named Name: nothing lands outside", async () => {
    const c = fresh(), dl = join(c, 'dl'), outside = join(c, 'outside');
    mkdirSync(dl, { recursive: true });
    mkdirSync(outside);
    symlinkSync(outside, join(dl, 'Name'));
    const s = new FileStorage(multi.torrent, { downloadDir: dl, cacheBytes: 0 });
    const e = await download(s, multi);
    assert.ok(e instanceof SymlinkedPathError && e instanceof StorageIoError, String(e));
    assert.equal(e.code, 'ELOOP');
    assert.match(e.message, /symbolic link inside the download directory/);
    await s.close().catch(() => undefined);
    assert.deepEqual(filesUnder(outside), []);
  });

  it('refuses a link deeper down (dl/Name/sub -> outside) and a dangling one', async () => {
    for (const dangling of [false, true]) {
      const c = fresh(), dl = join(c, 'dl'), outside = join(c, 'outside');
      mkdirSync(join(dl, 'Name'), { recursive: true });
      if (!dangling) mkdirSync(outside);
      symlinkSync(outside, join(dl, 'Name', 'sub'));
      const s = new FileStorage(multi.torrent, { downloadDir: dl, cacheBytes: 0 });
      assert.ok((await download(s, multi)) instanceof SymlinkedPathError);
      await s.close().catch(() => undefined);
      assert.equal(existsSync(outside) ? filesUnder(outside).length : 0, 0);
    }
  });

  it('writes normally when the download directory itself is a link (the user chose it)', async () => {
    const c = fresh(), real = join(c, 'real');
    mkdirSync(real, { recursive: true });
    symlinkSync(real, join(c, 'dl'));
    const s = new FileStorage(multi.torrent, { downloadDir: join(c, 'dl') });
    assert.equal(await download(s, multi), undefined);
    assert.equal(s.bitfield().complete, true);
    await s.close();
    assertBytes(new Uint8Array(readFileSync(join(real, 'Name', 'sub', 'deeper', 'd.bin'))), multi.space.subarray(...span(multi, 'sub/deeper/d.bin')));
  });

  it('seeds from a symlinked directory the user moved the data to (reads follow links)', async () => {
    const c = fresh(), dl = join(c, 'dl'), moved = join(c, 'other-disk', 'Name');
    cpSync(join(dir, 'src', 'Name'), moved, { recursive: true });
    mkdirSync(dl);
    symlinkSync(moved, join(dl, 'Name'));
    const s = new FileStorage(multi.torrent, { downloadDir: dl });
    const r = await checkExisting(s);
    assert.equal(r.have.count, multi.torrent.pieceCount);
    const last = multi.torrent.pieceCount - 1;
    assertBytes(await s.readBlock(last, 0, multi.torrent.layout.pieceSize(last)), multi.piece(last));
    await s.close();
  });
});

function span(f: Fixture, path: string): [number, number] {
  const file = f.torrent.layout.files.find((x) => !x.pad && x.path.join('/') === path)!;
  return [file.offset, file.offset + file.length];
}
