/**
 * A parsed torrent handed across threads as columns (metainfo/torrent-transfer.ts) comes back
 * equal to the one parsed: v1, v2 and hybrid (pads, roots), sanitised and renamed paths.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../../src/bencode/encode.js';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import { parseTorrent } from '../../src/metainfo/torrent.js';
import { ColumnsReader, fromColumns, toColumns } from '../../src/metainfo/torrent-transfer.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-transfer-'));
  mkdirSync(join(dir, 'multi', 'sub'), { recursive: true });
  writeFileSync(join(dir, 'multi', 'a.bin'), new Uint8Array(40_000).fill(1));
  writeFileSync(join(dir, 'multi', 'sub', 'b.bin'), new Uint8Array(70_000).fill(2));
  writeFileSync(join(dir, 'multi', 'sub', 'é.txt'), new Uint8Array(3).fill(3));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('torrent columns', () => {
  for (const version of ['v1', 'v2', 'hybrid'] as const) {
    it(`gives back the same ${version} torrent`, async () => {
      const { bytes } = await createTorrent(join(dir, 'multi'), { version, pieceLength: 32768, creationDate: null, threads: 0 });
      const t = parseTorrent(bytes);
      assert.deepEqual(fromColumns(structuredClone(toColumns(t))), t);
    });
  }

  it('keeps raw paths of sanitised and renamed files, attrs and empty files', () => {
    const files = [
      { length: 5, path: ['CON'], attr: 'x' },
      { length: 0, path: ['d', 'x.txt'] },
      { length: 7, path: ['d', 'X.txt'] },
      { length: 3, path: ['.pad', '3'], attr: 'p' },
      { length: 2, path: ['e', 'trailing.'] },
    ];
    const t = parseTorrent(encode({ info: { name: 'n', 'piece length': 16384, pieces: new Uint8Array(20), files } }));
    assert.ok(t.layout.files.some((f) => f.rawPath), 'some path was changed on disk');
    const back = fromColumns(structuredClone(toColumns(t)));
    assert.deepEqual(back, t);
    assert.equal(back.layout.fileAt(11), 2, "offsets recomputed: byte 11 is in X.txt");
  });

  it('rebuilds a slice of files per step', () => {
    const files = Array.from({ length: 25 }, (_, i) => ({ length: i, path: ['d', `f${i}`] }));
    const t = parseTorrent(encode({ info: { name: 'n', 'piece length': 16384, pieces: new Uint8Array(20), files } }));
    const r = new ColumnsReader(toColumns(t));
    let steps = 1;
    while (!r.step(10)) steps++;
    assert.equal(steps, 3);
    assert.deepEqual(r.torrent(), t);
  });
});
