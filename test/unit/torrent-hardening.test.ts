/**
 * Issue 12, items 3 and 6 at parse time: the largest piece length and piece count accepted,
 * and files that would share a path on disk (renamed on disk as libtorrent does; the info
 * hash unchanged).
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode } from '../../src/bencode/encode.js';
import type { Encodable } from '../../src/bencode/types.js';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import { TorrentParseError } from '../../src/metainfo/errors.js';
import { MAX_PIECE_LENGTH, parseTorrent, realFiles, type Torrent } from '../../src/metainfo/torrent.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import { bytes, blocksOf } from './storage-fixtures.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'shoal-collide-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

const PL = 16_384;

/** A v1 multi-file torrent over `files` (path components -> bytes) with correct piece hashes. */
function v1Torrent(files: [string[], Uint8Array][], extra: Record<string, Encodable> = {}): Uint8Array {
  const space = Buffer.concat(files.map(([, b]) => b));
  const hashes: Uint8Array[] = [];
  for (let o = 0; o < space.length; o += PL) hashes.push(createHash('sha1').update(space.subarray(o, o + PL)).digest());
  return encode({ info: { name: 'T', 'piece length': PL, pieces: Buffer.concat(hashes), files: files.map(([path, b]) => ({ length: b.length, path })), ...extra } });
}

const pathsOf = (t: Torrent): string[] => realFiles(t).map((f) => f.path.join('/'));
/** SHA-1 over the info dict exactly as it sits in the raw bytes. */
function infoHashOf(raw: Uint8Array): Buffer {
  const start = Buffer.from(raw).indexOf('4:infod') + 6;
  return createHash('sha1').update(raw.subarray(start, raw.length - 1)).digest();
}

/** Downloads every block into a fresh directory; true when every piece verified. */
async function downloads(t: Torrent, space: Uint8Array, root: string): Promise<boolean> {
  const s = new FileStorage(t, { downloadDir: root });
  for (const [p, o, len] of blocksOf(t)) await s.writeBlock(p, o, space.subarray(p * t.pieceLength + o, p * t.pieceLength + o + len));
  let ok = true;
  for (let p = 0; p < t.pieceCount; p++) ok = (await s.verifyPiece(p)) && ok;
  await s.close();
  return ok;
}

describe('piece length limit', () => {
  const single = (pieceLength: number) => encode({ info: { name: 'x', 'piece length': pieceLength, pieces: new Uint8Array(20), length: 100 } });

  it('refuses a 2 GiB piece length with a typed error naming maxPieceLength', () => {
    assert.throws(() => parseTorrent(single(2 ** 31)), (e: unknown) => e instanceof TorrentParseError && /maxPieceLength \(536854528 bytes\)/.test((e as Error).message));
    assert.throws(() => parseTorrent(single(MAX_PIECE_LENGTH + 1)), /maxPieceLength/);
  });

  it("accepts libtorrent's largest piece length, and a caller's own smaller limit applies", () => {
    assert.equal(MAX_PIECE_LENGTH, 536_854_528);
    assert.equal(parseTorrent(single(MAX_PIECE_LENGTH)).pieceLength, MAX_PIECE_LENGTH);
    assert.throws(() => parseTorrent(single(1 << 20), { maxPieceLength: 1 << 19 }), /maxPieceLength/);
  });
});

describe('piece count and total length', () => {
  /** A v2 info dict as fetched for a magnet link (no piece layers) declaring one file of `length` bytes. */
  const v2Magnet = (length: number) => encode({ info: { name: 'T', 'piece length': PL, 'meta version': 2, 'file tree': { 'a.bin': { '': { length, 'pieces root': new Uint8Array(32).fill(1) } } } } });

  it('refuses millions of declared pieces by maxPieces before anything is sized by them', () => {
    // 2^50 bytes in 16 KiB pieces: 2^36 pieces, nothing in the input to back them.
    assert.throws(() => parseTorrent(v2Magnet(2 ** 50), { requirePieceLayers: false }), (e: unknown) => e instanceof TorrentParseError && /maxPieces \(2097152\)/.test((e as Error).message));
    assert.throws(() => parseTorrent(v2Magnet(PL * 3_000_001), { requirePieceLayers: false, maxPieces: 3_000_000 }), /maxPieces/);
    assert.equal(parseTorrent(v2Magnet(PL * 3_000_000), { requirePieceLayers: false, maxPieces: 3_000_000 }).pieceCount, 3_000_000);
  });

  it('accepts a torrent larger than any disk (files are sparse; a full disk is a storage error)', () => {
    const t = parseTorrent(v2Magnet(2 ** 48), { requirePieceLayers: false, maxPieces: 2 ** 40 });
    assert.equal(t.length, 2 ** 48);
  });
});

describe('files that would share a path on disk', () => {
  const b = (n: number, seed: number) => bytes(n, seed);

  it('renames duplicate names like libtorrent: x.txt, x.1.txt, x.2.txt; the info hash is unchanged', () => {
    const raw = v1Torrent([[['x.txt'], b(10, 1)], [['x.txt'], b(20, 2)], [['d', 'x.txt'], b(5, 3)], [['x.txt'], b(7, 4)]]);
    const t = parseTorrent(raw);
    assert.deepEqual(pathsOf(t), ['x.txt', 'x.1.txt', 'd/x.txt', 'x.2.txt']);
    // The hash is over the original bytes, which still name x.txt three times.
    assert.deepEqual(t.infoHashV1, infoHashOf(raw));
    assert.ok(Buffer.from(t.infoBytes).toString('latin1').includes('5:x.txt'));
  });

  it("renames a file where another file's directory goes, whichever comes first", () => {
    assert.deepEqual(pathsOf(parseTorrent(v1Torrent([[['a'], b(3, 1)], [['a', 'b'], b(3, 2)]]))), ['a.1', 'a/b']);
    assert.deepEqual(pathsOf(parseTorrent(v1Torrent([[['a', 'b'], b(3, 1)], [['a'], b(3, 2)]]))), ['a/b', 'a.1']);
    // Deeper: 'p/q' is a file, and a directory of 'p/q/r'.
    assert.deepEqual(pathsOf(parseTorrent(v1Torrent([[['p', 'q'], b(3, 1)], [['p', 'q', 'r'], b(3, 2)]]))), ['p/q.1', 'p/q/r']);
  });

  it('renames names that are equal once sanitised (device names, trailing dots, cut long names)', () => {
    assert.deepEqual(pathsOf(parseTorrent(v1Torrent([[['CON'], b(3, 1)], [['CON_'], b(3, 2)]]))), ['CON_', 'CON_.1']);
    assert.deepEqual(pathsOf(parseTorrent(v1Torrent([[['x.'], b(3, 1)], [['x._'], b(3, 2)]]))), ['x._', 'x.1._']);
    const long1 = `${'n'.repeat(300)}1.mkv`, long2 = `${'n'.repeat(300)}2.mkv`;
    const [p1, p2] = pathsOf(parseTorrent(v1Torrent([[[long1], b(3, 1)], [[long2], b(3, 2)]])));
    assert.notEqual(p1, p2);
    for (const p of [p1, p2]) assert.ok(Buffer.byteLength(p) <= 255 && p.endsWith('.mkv'), p);
    assert.ok(p2.endsWith('.1.mkv'));
  });

  it('renames names equal on a case-insensitive or normalising file system, directories included', () => {
    assert.deepEqual(pathsOf(parseTorrent(v1Torrent([[['Readme.md'], b(3, 1)], [['README.md'], b(3, 2)]]))), ['Readme.md', 'README.1.md']);
    // NFC 'é' and NFD 'e' + U+0301 are one name on APFS.
    assert.deepEqual(pathsOf(parseTorrent(v1Torrent([[['caf\u00e9'], b(3, 1)], [['cafe\u0301'], b(3, 2)]]))), ['caf\u00e9', 'cafe\u0301.1']);
    // 'A/x' and 'a/x' are one file where 'A' and 'a' are one directory; 'A/y' beside 'a/x' is fine.
    assert.deepEqual(pathsOf(parseTorrent(v1Torrent([[['A', 'x'], b(3, 1)], [['a', 'x'], b(3, 2)], [['a', 'y'], b(3, 3)]]))), ['A/x', 'a/x.1', 'a/y']);
  });

  it('skips a candidate name that is taken, and keeps a hidden name whole', () => {
    assert.deepEqual(pathsOf(parseTorrent(v1Torrent([[['x'], b(3, 1)], [['x.1'], b(3, 2)], [['x'], b(3, 3)]]))), ['x', 'x.1', 'x.2']);
    assert.deepEqual(pathsOf(parseTorrent(v1Torrent([[['.env'], b(3, 1)], [['.env'], b(3, 2)]]))), ['.env', '.env.1']);
  });

  it('leaves pad files alone (BEP 47: they are never on disk)', () => {
    const raw = encode({ info: { name: 'T', 'piece length': PL, pieces: new Uint8Array(60), files: [
      { length: 100, path: ['a'] }, { length: PL - 100, path: ['.pad', '16284'], attr: 'p' }, { length: 100, path: ['b'] },
      { length: PL - 100, path: ['.pad', '16284'], attr: 'p' }, { length: 1, path: ['c'] },
    ] } });
    assert.deepEqual(parseTorrent(raw).layout.files.map((f) => f.path.join('/')), ['a', '.pad/16284', 'b', '.pad/16284', 'c']);
  });

  it('refuses a torrent past maxDuplicateFilenames, and renames many plain duplicates in linear time', () => {
    // 'x', 'x.1' … 'x.40' then 'x': every candidate for the last one is taken.
    const files: [string[], Uint8Array][] = [[['x'], b(1, 0)], ...Array.from({ length: 40 }, (_, i): [string[], Uint8Array] => [[`x.${i + 1}`], b(1, i)]), [['x'], b(1, 99)]];
    assert.throws(() => parseTorrent(v1Torrent(files), { maxDuplicateFilenames: 20 }), (e: unknown) => e instanceof TorrentParseError && /maxDuplicateFilenames \(20\)/.test((e as Error).message));
    assert.equal(pathsOf(parseTorrent(v1Torrent(files), { maxDuplicateFilenames: 40 })).at(-1), 'x.41');
    // 2,000 files all named 'same': each takes the next free counter, no candidate is ever retried.
    const same = Array.from({ length: 2000 }, (_, i): [string[], Uint8Array] => [['same'], b(1, i)]);
    const paths = pathsOf(parseTorrent(v1Torrent(same), { maxDuplicateFilenames: 0 }));
    assert.equal(new Set(paths).size, 2000);
    assert.equal(paths[1999], 'same.1999');
  });

  it('downloads a v1 torrent with duplicate names into distinct files, every piece verifying', async () => {
    const files: [string[], Uint8Array][] = [[['x.bin'], b(20_000, 1)], [['x.bin'], b(30_000, 2)], [['X.BIN'], b(9_000, 3)], [['x.bin', 'inner'], b(5_000, 4)]];
    const t = parseTorrent(v1Torrent(files));
    const root = join(dir, 'dl-v1');
    assert.equal(await downloads(t, Buffer.concat(files.map(([, x]) => x)), root), true);
    for (const [i, f] of realFiles(t).entries()) assert.deepEqual(new Uint8Array(readFileSync(join(root, 'T', ...f.path))), files[i][1], f.path.join('/'));
  });

  for (const version of ['v2', 'hybrid'] as const) {
    it(`downloads a ${version} torrent whose names differ only by case into distinct files`, async () => {
      const src = join(dir, `src-${version}`, 'Case');
      mkdirSync(join(src, 'Dir'), { recursive: true });
      mkdirSync(join(src, 'dir'), { recursive: true });
      const contents: Record<string, Uint8Array> = { 'A.txt': b(20_000, 1), 'a.txt': b(40_000, 2), 'Dir/f': b(17_000, 3), 'dir/F': b(100, 4) };
      for (const [p, x] of Object.entries(contents)) writeFileSync(join(src, ...p.split('/')), x);
      const made = await createTorrent(src, { version, pieceLength: PL, creationDate: null, threads: 0 });
      const t = parseTorrent(made.bytes);
      assert.deepEqual(pathsOf(t), ['A.txt', 'Dir/f', 'a.1.txt', 'dir/F.1']);
      assert.deepEqual(t.infoHashV2, createHash('sha256').update(t.infoBytes).digest());
      // The torrent's own names, in its order (byte order of the file tree).
      const named = ['A.txt', 'Dir/f', 'a.txt', 'dir/F'];
      let k = 0;
      const space = Buffer.concat(t.layout.files.map((f) => (f.pad ? new Uint8Array(f.length) : contents[named[k++]])));
      const root = join(dir, `dl-${version}`);
      assert.equal(await downloads(t, space, root), true);
      for (const [i, f] of realFiles(t).entries()) assert.deepEqual(new Uint8Array(readFileSync(join(root, 'Case', ...f.path))), contents[named[i]]);
    });
  }
});
