/**
 * Issue 12 against real libtorrent (python3-libtorrent 2.0): the on-disk names Shoal gives
 * files that would share a path are the ones libtorrent gives them (`resolve_duplicate_filenames`),
 * and both accept and refuse the same piece lengths at the limit. (Device names are not
 * compared: libtorrent on Linux leaves `CON` alone, Shoal neutralises it everywhere.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encode } from '../../src/bencode/encode.js';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import { MAX_PIECE_LENGTH, parseTorrent, realFiles } from '../../src/metainfo/torrent.js';
import { libtorrentAvailable, ltParse, makeTempDir, removeDir } from './helpers.js';

const lt = libtorrentAvailable();
const PL = 16_384;
let dir: string;

/** A v1 multi-file torrent named T over `files` (path components, length), with correct hashes. */
function v1(files: [string[], number][]): Uint8Array {
  const space = Buffer.concat(files.map(([, n], i) => Buffer.alloc(n, i + 1)));
  const h: Uint8Array[] = [];
  for (let o = 0; o < space.length; o += PL) h.push(createHash('sha1').update(space.subarray(o, o + PL)).digest());
  return encode({ info: { name: 'T', 'piece length': PL, pieces: Buffer.concat(h), files: files.map(([path, length]) => ({ length, path })) } });
}

/** Shoal's on-disk paths as libtorrent prints them: '<name>/<path>'. */
function shoalPaths(bytes: Uint8Array): string[] {
  const t = parseTorrent(bytes);
  return realFiles(t).map((f) => [t.name, ...f.path].join('/'));
}

describe('file name collisions and piece lengths agree with libtorrent', { skip: lt.ok ? false : lt.reason }, () => {
  before(() => (dir = makeTempDir('shoal-lt-collide-')));
  after(() => removeDir(dir));

  const cases: [string, () => Promise<Uint8Array> | Uint8Array][] = [
    ['duplicate names and a taken rename', () => v1([[['x.txt'], 10], [['x.txt'], 20], [['x.1.txt'], 5], [['x.txt'], 7], [['d', 'x.txt'], 3]])],
    ['a file beside its own directory, either order', () => v1([[['a'], 10], [['a', 'b'], 20], [['q', 'r'], 3], [['q'], 4]])],
    ['names equal case-folded, files and directories', () => v1([[['Readme'], 1], [['README'], 2], [['A', 'x'], 3], [['a', 'x'], 4], [['a', 'y'], 5]])],
    ['a hybrid torrent made from names that differ by case', async () => {
      const src = join(dir, 'Case');
      mkdirSync(join(src, 'Dir'), { recursive: true });
      mkdirSync(join(src, 'dir'), { recursive: true });
      for (const [p, n] of [['A.txt', 20_000], ['a.txt', 40_000], ['Dir/f', 17_000], ['dir/F', 100]] as const) writeFileSync(join(src, p), Buffer.alloc(n, p.length));
      return (await createTorrent(src, { version: 'hybrid', pieceLength: PL, creationDate: null, threads: 0 })).bytes;
    }],
  ];
  for (const [name, make] of cases) {
    it(`${name}: the same on-disk paths`, async () => {
      const file = join(dir, `${name.replace(/\W+/g, '-')}.torrent`);
      const bytes = await make();
      writeFileSync(file, bytes);
      const theirs = (await ltParse(file)).files.map((f) => f.path);
      assert.deepEqual(shoalPaths(bytes), theirs);
    });
  }

  it('accepts a piece length of MAX_PIECE_LENGTH and refuses 2 GiB, as libtorrent does', async () => {
    const single = (pl: number): Uint8Array => encode({ info: { name: 'x', 'piece length': pl, pieces: new Uint8Array(20), length: 100 } });
    const at = async (pl: number): Promise<{ theirs: boolean; ours: boolean }> => {
      const file = join(dir, `pl-${pl}.torrent`);
      writeFileSync(file, single(pl));
      const theirs = await ltParse(file).then(() => true, () => false);
      let ours = true;
      try {
        parseTorrent(single(pl));
      } catch {
        ours = false;
      }
      return { theirs, ours };
    };
    assert.deepEqual(await at(MAX_PIECE_LENGTH), { theirs: true, ours: true });
    assert.deepEqual(await at(2 ** 31), { theirs: false, ours: false });
    // libtorrent checks MAX_PIECE_LENGTH itself from 2.0.10 (before: 2^30 - 1).
    const [major, minor, patch] = lt.reason.replace('libtorrent ', '').split('.').map(Number);
    const enforces = major > 2 || (major === 2 && (minor > 0 || patch >= 10));
    assert.deepEqual(await at(MAX_PIECE_LENGTH + 1), { theirs: !enforces, ours: false });
  });
});
