/**
 * `shoal create` / `shoal info` against real libtorrent (python3-libtorrent 2.0):
 * for each mode (v1, v2, hybrid), file shape and piece length,
 *  1. Shoal's info hash(es) equal libtorrent's for the same files and piece length;
 *  2. libtorrent verifies every piece of the data against the torrent Shoal wrote;
 *  3. libtorrent's parse of Shoal's torrent agrees on name, files and lengths, and so
 *     does `shoal info --json`.
 * The rules libtorrent follows (file order, pad files, ...) are in docs/libtorrent-compat.md.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import {
  libtorrentAvailable, ltCreate, ltParse, ltVerify, makeTempDir, removeDir, shoalCreate, shoalInfo, writeTree,
} from './helpers.js';
import type { FileSpec, LtCreated, LtParsed, ShoalInfo, TorrentMode } from './helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;

interface Shape {
  readonly name: string;
  /** 'file': the torrent is made from one file named `root`; 'dir': from directory `root`. */
  readonly kind: 'file' | 'dir';
  readonly root: string;
  readonly files: (pieceLength: number) => FileSpec[];
}

const SHAPES: readonly Shape[] = [
  { name: 'single small file', kind: 'file', root: 'small.bin', files: () => [{ path: '', length: 1000 }] },
  {
    name: 'single file not a multiple of the piece length', kind: 'file', root: 'unaligned.bin',
    files: (pl) => [{ path: '', length: 3 * pl + 4321 }],
  },
  { name: 'single file of exactly one piece', kind: 'file', root: 'one-piece.bin', files: (pl) => [{ path: '', length: pl }] },
  {
    name: 'multi-file with nested directories', kind: 'dir', root: 'album',
    files: (pl) => [
      { path: 'cover.jpg', length: pl / 2 + 3 },
      { path: 'disc 1/01 intro.flac', length: 2 * pl + 17 },
      { path: 'disc 1/02 song.flac', length: pl + 1 },
      { path: 'disc 2/extras/notes.txt', length: 123 },
      { path: 'readme.txt', length: pl }, // exactly one piece: a pieces root but no piece layer
      { path: 'z-last.bin', length: 777 },
    ],
  },
  {
    name: 'multi-file with empty files', kind: 'dir', root: 'withempty',
    files: (pl) => [
      { path: 'a.bin', length: pl + 5 },
      { path: 'empty.dat', length: 0 },
      { path: 'm/empty2', length: 0 },
      { path: 'z.bin', length: 999 },
    ],
  },
  {
    name: 'non-ASCII names', kind: 'dir', root: 'données',
    files: (pl) => [
      { path: 'ファイル.bin', length: pl + 100 },
      { path: 'café/naïve résumé.txt', length: 555 },
      { path: 'Ünïcödé/日本語/テスト.dat', length: 2 * pl },
      { path: 'emoji-🙂.txt', length: 42 },
    ],
  },
  {
    // libtorrent sorts by path components compared as bytes: 'a/x' < 'a b/q' < 'a-b' < 'a.b' < 'a0' < 'ab/c'.
    name: 'names that sort differently by component and by full path', kind: 'dir', root: 'order',
    files: () => ['B', 'a/x', 'a b/q', 'a-b', 'a.b', 'a0', 'ab/c', 'b.bin', '.hidden', 'z', 'é'].map((path, i) => ({ path, length: 10 + i })),
  },
  {
    // libtorrent pads after every file of a multi-file torrent, the last too, unless there is only one file.
    // v2 only: libtorrent reads a file tree with one file at its root as a single-file torrent (see below).
    name: 'directory holding one file', kind: 'dir', root: 'solo', files: (pl) => [{ path: 'only.bin', length: pl + 10 }],
  },
  {
    // An empty file counts: two files, so the last (non-empty, unaligned) file gets a tail pad in hybrid.
    name: 'directory holding one file and one empty file', kind: 'dir', root: 'pair',
    files: (pl) => [{ path: 'a-empty', length: 0 }, { path: 'b.bin', length: pl + 10 }],
  },
];

const PIECE_LENGTHS = [16 * KiB, 64 * KiB, 1 * MiB];
const MODES: readonly TorrentMode[] = ['v1', 'v2', 'hybrid'];

const lt = libtorrentAvailable();

/** Byte order of path components, as libtorrent sorts files (see docs/libtorrent-compat.md). */
function canonicalOrder(a: string, b: string): number {
  const x = a.split('/');
  const y = b.split('/');
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const c = Buffer.compare(Buffer.from(x[i]), Buffer.from(y[i]));
    if (c !== 0) return c;
  }
  return x.length - y.length;
}

/**
 * A v2-only torrent made from a directory holding a single file has a file tree with one
 * file at its root, which BEP 52 cannot tell apart from a single-file torrent. libtorrent
 * reads it as one: it names the torrent after the file and expects the data at
 * <save path>/<file name>, ignoring the info dict's `name` (the directory's name).
 */
function v2SingleFileAtRoot(shape: Shape, mode: TorrentMode, pieceLength: number): boolean {
  return mode === 'v2' && shape.kind === 'dir' && shape.files(pieceLength).length === 1 && !shape.files(pieceLength)[0].path.includes('/');
}

/** Paths relative to the torrent root, as `shoal info` lists them (single-file: the name). */
function relativeFiles(shape: Shape, files: LtParsed['files']): { path: string; length: number }[] {
  const prefix = `${shape.root}/`;
  return files.map((f) => ({
    path: shape.kind === 'dir' && f.path.startsWith(prefix) ? f.path.slice(prefix.length) : f.path,
    length: f.length,
  }));
}

interface Prepared {
  readonly shoalTorrent: string;
  readonly shoal: ShoalInfo;
  readonly lt: LtCreated;
  /** libtorrent's parse of Shoal's torrent. */
  readonly ltOfShoal: LtParsed;
  /** libtorrent's parse of its own torrent. */
  readonly ltOfLt: LtParsed;
}

describe('shoal create agrees with libtorrent', { skip: lt.ok ? false : lt.reason, concurrency: Math.min(8, availableParallelism()) }, () => {
  for (const pieceLength of PIECE_LENGTHS) {
    for (const shape of SHAPES) {
      // One shape at a time within this block; blocks run in parallel (the top-level concurrency).
      describe(`${shape.name}, piece length ${pieceLength / KiB} KiB`, { concurrency: 1 }, () => {
        let tmp = '';
        let dataDir = '';
        let source = '';
        const prepared = new Map<TorrentMode, Promise<Prepared>>();

        before(() => {
          tmp = makeTempDir();
          dataDir = join(tmp, 'data');
          source = join(dataDir, shape.root);
          const specs = shape.files(pieceLength);
          if (shape.kind === 'file') writeTree(dataDir, [{ path: shape.root, length: specs[0].length }]);
          else writeTree(source, specs);
        });
        after(() => removeDir(tmp));

        const prepare = (mode: TorrentMode): Promise<Prepared> => {
          let p = prepared.get(mode);
          if (!p) {
            p = (async () => {
              const shoalTorrent = join(tmp, `${mode}.shoal.torrent`);
              const ltTorrent = join(tmp, `${mode}.lt.torrent`);
              await shoalCreate(source, shoalTorrent, ['--piece-length', String(pieceLength), `--${mode}`]);
              const [shoal, created, ltOfShoal] = await Promise.all([
                shoalInfo(shoalTorrent), ltCreate(source, ltTorrent, pieceLength, mode), ltParse(shoalTorrent),
              ]);
              const ltOfLt = await ltParse(ltTorrent);
              return { shoalTorrent, shoal, lt: created, ltOfShoal, ltOfLt };
            })();
            prepared.set(mode, p);
          }
          return p;
        };

        for (const mode of MODES) {
          it(`${mode}: has the info hashes libtorrent gives the same files`, async () => {
            const p = await prepare(mode);
            const v1 = mode !== 'v2';
            const v2 = mode !== 'v1';
            assert.equal(p.lt.infoHash === null, !v1, `libtorrent made a ${mode} torrent`);
            assert.equal(p.lt.infoHashV2 === null, !v2, `libtorrent made a ${mode} torrent`);
            assert.deepEqual(
              { infoHash: p.ltOfShoal.infoHash, infoHashV2: p.ltOfShoal.infoHashV2 },
              { infoHash: p.lt.infoHash, infoHashV2: p.lt.infoHashV2 },
              'libtorrent hashes Shoal\'s info dict to different info hashes than its own torrent\'s',
            );
            assert.deepEqual(
              { infoHash: p.shoal.infoHash, infoHashV2: p.shoal.infoHashV2 },
              { infoHash: p.lt.infoHash, infoHashV2: p.lt.infoHashV2 },
              '`shoal info --json` reports different info hashes than libtorrent',
            );
          });

          it(`${mode}: libtorrent verifies every piece of the data against Shoal's torrent`, async () => {
            const p = await prepare(mode);
            // libtorrent looks for a lone root-level file of a v2 tree directly in the save path.
            const v = await ltVerify(p.shoalTorrent, v2SingleFileAtRoot(shape, mode, pieceLength) ? source : dataDir);
            assert.equal(v.error, null, `libtorrent reported an error: ${v.error}`);
            assert.equal(v.verifiedPieces, v.numPieces, `libtorrent verified ${v.verifiedPieces} of ${v.numPieces} pieces`);
            assert.equal(v.progress, 1);
          });

          it(`${mode}: libtorrent's parse of Shoal's torrent agrees on name, files and lengths`, async () => {
            const p = await prepare(mode);
            const { ltOfShoal: got, ltOfLt: want } = p;
            assert.equal(got.name, want.name);
            assert.equal(got.pieceLength, pieceLength);
            assert.equal(got.numPieces, want.numPieces);
            assert.equal(got.totalSize, want.totalSize, 'total size including pad files');
            assert.deepEqual(got.files, want.files, 'files (in order, pad files excluded)');
            assert.deepEqual(got.padFiles, want.padFiles, 'pad files');
            const expected = shape.kind === 'file'
              ? [{ path: shape.root, length: shape.files(pieceLength)[0].length }]
              : shape.files(pieceLength).sort((a, b) => canonicalOrder(a.path, b.path));
            assert.deepEqual(relativeFiles(shape, got.files), expected, 'files in canonical order');
          });

          it(`${mode}: shoal info --json agrees with libtorrent's parse`, async () => {
            const p = await prepare(mode);
            const { shoal, ltOfLt: want } = p;
            const files = relativeFiles(shape, want.files);
            // For a lone root-level v2 file libtorrent shows the file's name; Shoal shows the info dict's
            // `name` (what both wrote), which is the directory's.
            assert.equal(shoal.name, v2SingleFileAtRoot(shape, mode, pieceLength) ? shape.root : want.name);
            assert.equal(shoal.pieceLength, want.pieceLength);
            assert.equal(shoal.pieceCount, want.numPieces);
            assert.equal(shoal.length, files.reduce((n, f) => n + f.length, 0), 'length: total of the real (non-pad) files');
            assert.deepEqual(shoal.files.map((f) => ({ path: f.path, length: f.length })), files);
          });
        }
      });
    }
  }
});

describe('shoal create options agree with libtorrent', { skip: lt.ok ? false : lt.reason }, () => {
  let tmp = '';
  let source = '';
  before(() => {
    tmp = makeTempDir();
    source = join(tmp, 'data', 'opts');
    writeTree(source, [{ path: 'a.bin', length: 40_000 }, { path: 'b/c.bin', length: 70_000 }]);
  });
  after(() => removeDir(tmp));

  const trackers = ['http://tracker.example/announce', 'udp://tracker2.example:6969/announce'];
  for (const mode of ['v1', 'hybrid'] as const) {
    it(`${mode}: --private, --tracker and --comment (private is part of the info hash)`, async () => {
      const shoalTorrent = join(tmp, `${mode}.shoal.torrent`);
      await shoalCreate(source, shoalTorrent, [
        '--piece-length', String(32 * KiB), `--${mode}`, '--private', '--comment', 'interop ✓',
        ...trackers.flatMap((t) => ['--tracker', t]),
      ]);
      const created = await ltCreate(source, join(tmp, `${mode}.lt.torrent`), 32 * KiB, mode, { private: true, trackers, comment: 'interop ✓' });
      const parsed = await ltParse(shoalTorrent);
      assert.equal(parsed.private, true);
      assert.deepEqual(parsed.trackers, trackers);
      assert.equal(parsed.comment, 'interop ✓');
      assert.deepEqual({ infoHash: parsed.infoHash, infoHashV2: parsed.infoHashV2 }, { infoHash: created.infoHash, infoHashV2: created.infoHashV2 });
      const info = await shoalInfo(shoalTorrent);
      assert.equal(info.infoHash, created.infoHash);
      assert.equal(info.infoHashV2, created.infoHashV2);
      assert.equal(JSON.stringify(info.trackers).includes(trackers[1]), true, `trackers listed: ${JSON.stringify(info.trackers)}`);
    });
  }

  it('shoal info reads the magnet link libtorrent makes for a hybrid torrent', async () => {
    const ltTorrent = join(tmp, 'magnet.lt.torrent');
    const created = await ltCreate(source, ltTorrent, 16 * KiB, 'hybrid', { trackers });
    const parsed = await ltParse(ltTorrent);
    assert.match(parsed.magnet, /^magnet:\?xt=urn:btih:[0-9a-f]{40}&xt=urn:btmh:1220[0-9a-f]{64}/);
    const info = await shoalInfo(parsed.magnet);
    assert.equal(info.infoHash, created.infoHash);
    assert.equal(info.infoHashV2, created.infoHashV2);
    assert.equal(info.name, 'opts');
  });

  it('shoal info reads a torrent libtorrent made', async () => {
    const ltTorrent = join(tmp, 'read.lt.torrent');
    const created = await ltCreate(source, ltTorrent, 16 * KiB, 'hybrid');
    const info = await shoalInfo(ltTorrent);
    assert.equal(info.infoHash, created.infoHash);
    assert.equal(info.infoHashV2, created.infoHashV2);
    assert.equal(info.pieceCount, created.numPieces);
    assert.deepEqual(info.files.map((f) => ({ path: f.path, length: f.length })), [
      { path: 'a.bin', length: 40_000 }, { path: 'b/c.bin', length: 70_000 },
    ]);
  });
});
