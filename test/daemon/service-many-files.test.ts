/**
 * A torrent with tens of thousands of files: GET /api/torrents/:id lists one page of its files
 * (`fileOffset`, `fileLimit`, default and most `maxFilesPerPage`) with `fileCount`, instead of
 * building and sending every file on every poll (700,000 files were a 50 MB answer a second).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../../src/bencode/encode.js';
import { DEFAULT_API_LIMITS } from '../../src/daemon/http/limits.js';
import { startHarness } from './http-harness.js';
import { startService } from './service-helpers.js';

const FILES = 25_000;

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'shoal-svc-files-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A v1 torrent of `n` files of 100 bytes in one 4 MiB piece set (the hashes do not matter: it stays paused). */
function manyFiles(n: number): Uint8Array {
  const files = Array.from({ length: n }, (_, i) => ({ length: 100, path: [`d${Math.floor(i / 1000)}`, `f${i}.txt`] }));
  const pieces = Math.ceil((n * 100) / (4 * 1024 * 1024));
  return encode({ info: { name: 'many', 'piece length': 4 * 1024 * 1024, pieces: new Uint8Array(pieces * 20), files } });
}

describe('file list paging', () => {
  it(`lists the first ${DEFAULT_API_LIMITS.maxFilesPerPage} files with fileCount, and any page on request`, async () => {
    const { service, runtime } = await startService(join(dir, 'state'), join(dir, 'dl'));
    try {
      const id = await service.add({ torrent: manyFiles(FILES), paused: true });
      const first = service.details(id, { offset: 0, limit: DEFAULT_API_LIMITS.maxFilesPerPage });
      assert.equal(first.fileCount, FILES);
      assert.equal(first.files.length, DEFAULT_API_LIMITS.maxFilesPerPage);
      const last = service.details(id, { offset: FILES - 10, limit: 100 });
      assert.deepEqual(last.files.map((f) => f.index), Array.from({ length: 10 }, (_, i) => FILES - 10 + i));
      assert.equal(last.files[9].path, `many/d24/f${FILES - 1}.txt`);
      assert.equal(last.fileOffset, FILES - 10);
      assert.deepEqual(service.details(id, { offset: FILES, limit: 10 }).files, [], 'past the end: an empty page');
    } finally {
      await service.close();
      runtime.close();
    }
  });

  it('takes fileOffset and fileLimit from the query, refusing a fileLimit past maxFilesPerPage', async () => {
    const h = await startHarness({ limits: { maxFilesPerPage: 2 } });
    try {
      const id = h.service.seed({ name: 'three', files: [{ path: 'three/a', data: new Uint8Array(1) }, { path: 'three/b', data: new Uint8Array(1) }, { path: 'three/c', data: new Uint8Array(1) }] });
      const d = (await h.request('GET', `/api/torrents/${id}`)).json() as { files: { index: number }[]; fileCount: number };
      assert.deepEqual([d.files.map((f) => f.index), d.fileCount], [[0, 1], 3], 'the default page is maxFilesPerPage');
      const p = (await h.request('GET', `/api/torrents/${id}?fileOffset=2&fileLimit=2`)).json() as { files: { index: number }[] };
      assert.deepEqual(p.files.map((f) => f.index), [2]);
      assert.equal((await h.request('GET', `/api/torrents/${id}?fileLimit=3`)).status, 400);
      assert.equal((await h.request('GET', `/api/torrents/${id}?fileOffset=-1`)).status, 400);
    } finally {
      await h.close();
    }
  });
});
