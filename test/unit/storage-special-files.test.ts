/**
 * Something other than a regular file where a torrent's file should be (a FIFO here; a device
 * or socket alike): reading it for a check or for seeding, and writing into it, end with a clear
 * StorageIoError instead of blocking a libuv thread until a writer appears (four such opens
 * once stalled every file operation of the process).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StorageIoError } from '../../src/storage/errors.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { makeFixture, type Fixture } from './storage-fixtures.js';

let dir: string;
let single: Fixture;
const mkfifo = (path: string) => spawnSync('mkfifo', [path]).status === 0;
const skip = spawnSync('mkfifo', ['--version']).status === 0 ? false : 'mkfifo is not available';

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-special-'));
  single = await makeFixture(join(dir, 'src'), 'movie.bin', 200_000, 'v1', 32_768);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('a FIFO in place of a torrent file', { skip }, () => {
  it('refuses to read it (seeding, checking) with a clear error', async () => {
    const dl = join(dir, 'read');
    mkdirSync(dl, { recursive: true });
    assert.ok(mkfifo(join(dl, 'movie.bin')));
    const s = new FileStorage(single.torrent, { downloadDir: dl, cacheBytes: 0 });
    // Verifying a piece reads it from disk: on the old code that open never returned.
    const e = await s.verifyPiece(0).then(() => undefined, (err: unknown) => err);
    assert.ok(e instanceof StorageIoError, String(e));
    assert.match(e.message, /not a regular file/);
    await s.close().catch(() => undefined);
  });

  it('refuses to write into it with a clear error', async () => {
    const dl = join(dir, 'write');
    mkdirSync(dl, { recursive: true });
    assert.ok(mkfifo(join(dl, 'movie.bin')));
    const s = new FileStorage(single.torrent, { downloadDir: dl, cacheBytes: 0 });
    const e = await (async () => {
      await s.writeBlock(0, 0, single.piece(0).subarray(0, 16_384));
      await s.writeBlock(0, 16_384, single.piece(0).subarray(16_384, 32_768));
      await s.verifyPiece(0);
      await s.flush();
    })().then(() => undefined, (err: unknown) => err);
    assert.ok(e instanceof StorageIoError, String(e));
    assert.match(e.message, /not a regular file/);
    await s.close().catch(() => undefined);
  });
});
