/**
 * Checking a torrent's files asks each directory once (DirProbe, src/storage/file-io.ts): a
 * fresh 200,000-file torrent was 200,000 failing `stat` calls, each an ENOENT error built on
 * the daemon's main thread, before its swarm started; a missing directory now answers for all
 * its files, and files that are there are still stat'ed one by one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DirProbe } from '../../src/storage/file-io.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { parseTorrent } from '../../src/metainfo/torrent.js';
import { encode } from '../../src/bencode/encode.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'shoal-dirprobe-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('DirProbe', () => {
  it('stats each directory once, and nothing below a missing one', async () => {
    const root = join(dir, 'probe');
    mkdirSync(join(root, 'there', 'deep'), { recursive: true });
    const asked: string[] = [];
    const probe = new DirProbe(root, (p) => (asked.push(p), stat(p)));
    const answers = await Promise.all([
      ...Array.from({ length: 100 }, (_, i) => probe.exists(join(root, 'gone', `d${i % 10}`))),
      probe.exists(join(root, 'there', 'deep')),
      probe.exists(join(root, 'there')),
    ]);
    assert.deepEqual(answers, [...new Array<boolean>(100).fill(false), true, true]);
    assert.deepEqual(asked.sort(), [root, join(root, 'gone'), join(root, 'there'), join(root, 'there', 'deep')].sort(), 'gone/d0..d9 never asked: their parent is missing');
  });

  it('leaves a failure other than "not there" to the files (they report it)', async () => {
    const probe = new DirProbe('/r', () => Promise.reject(Object.assign(new Error('denied'), { code: 'EACCES' })));
    assert.equal(await probe.exists('/r/a'), true);
  });
});

describe('FileStorage.fileStates with missing directories', () => {
  it('reports each file as before: present ones with their size, the rest (missing directory, a file in the way) missing', async () => {
    const files = [
      { length: 3, path: ['a', 'x.bin'] }, { length: 3, path: ['a', 'y.bin'] },
      { length: 3, path: ['b', 'c', 'z.bin'] }, { length: 3, path: ['f', 'w.bin'] },
    ];
    const t = parseTorrent(encode({ info: { name: 'tree', 'piece length': 16384, pieces: new Uint8Array(20), files } }));
    const root = join(dir, 'dl');
    mkdirSync(join(root, 'tree', 'a'), { recursive: true });
    writeFileSync(join(root, 'tree', 'a', 'x.bin'), 'abcd');
    writeFileSync(join(root, 'tree', 'f'), 'not a directory');
    const s = new FileStorage(t, { downloadDir: root });
    try {
      const states = await s.fileStates();
      assert.deepEqual(states.map((st) => [st.exists, st.size]), [[true, 4], [false, 0], [false, 0], [false, 0]]);
    } finally {
      await s.close();
    }
  });
});
