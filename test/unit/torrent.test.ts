import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decode } from '../../src/bencode/decode.js';
import { encode } from '../../src/bencode/encode.js';
import type { BDict, Encodable } from '../../src/bencode/types.js';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import { TorrentParseError } from '../../src/metainfo/errors.js';
import { parseTorrent, realFiles, type Torrent } from '../../src/metainfo/torrent.js';

let dir: string;

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Re-hashes every v1 piece from the files on disk. */
function v1PiecesVerify(t: Torrent, root: string): boolean {
  const parts: Uint8Array[] = t.layout.files.map((f) => (f.pad ? new Uint8Array(f.length) : readFileSync(join(root, ...f.path))));
  const all = Buffer.concat(parts);
  for (let p = 0; p < t.pieceCount; p++) {
    const piece = all.subarray(p * t.pieceLength, Math.min((p + 1) * t.pieceLength, all.length));
    const expected = t.pieces!.subarray(p * 20, p * 20 + 20);
    if (Buffer.compare(createHash('sha1').update(piece).digest(), expected) !== 0) return false;
  }
  return true;
}

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-torrent-'));
  mkdirSync(join(dir, 'multi', 'sub', 'deeper'), { recursive: true });
  writeFileSync(join(dir, 'multi', 'a.bin'), bytes(70_000, 1));
  writeFileSync(join(dir, 'multi', 'empty.txt'), '');
  writeFileSync(join(dir, 'multi', 'sub', 'b.bin'), bytes(16_384, 2));
  writeFileSync(join(dir, 'multi', 'sub', 'deeper', 'ü-名前.bin'), bytes(100_001, 3));
  writeFileSync(join(dir, 'single.bin'), bytes(200_000, 4));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('creating and parsing torrents', () => {
  for (const version of ['v1', 'v2', 'hybrid'] as const) {
    it(`round-trips a multi-file ${version} torrent with nested dirs, an empty file and non-ASCII names`, async () => {
      const { bytes: b, torrent } = await createTorrent(join(dir, 'multi'), { version, pieceLength: 32768, creationDate: null, threads: 0 });
      const t = parseTorrent(b);
      assert.equal(t.version, version);
      assert.equal(t.name, 'multi');
      assert.equal(t.multiFile, true);
      assert.deepEqual(realFiles(t).map((f) => [f.path.join('/'), f.length]), [
        ['a.bin', 70_000], ['empty.txt', 0], ['sub/b.bin', 16_384], ['sub/deeper/ü-名前.bin', 100_001],
      ]);
      assert.equal(t.length, 70_000 + 16_384 + 100_001);
      assert.deepEqual(t.infoHashV1, torrent.infoHashV1);
      assert.equal(t.infoHashV1 !== undefined, version !== 'v2');
      assert.equal(t.infoHashV2 !== undefined, version !== 'v1');
      if (t.pieces) assert.ok(v1PiecesVerify(t, join(dir, 'multi')), 'v1 piece hashes match the data');
      if (version !== 'v1') {
        // Each non-empty file starts on a piece boundary; files longer than a piece have a layer.
        for (const f of realFiles(t)) if (f.length > 0) assert.equal(f.offset % t.pieceLength, 0, f.path.join('/'));
        assert.equal(t.pieceLayers.size, 2);
      }
    });

    it(`round-trips a single-file ${version} torrent`, async () => {
      const { bytes: b } = await createTorrent(join(dir, 'single.bin'), { version, pieceLength: 65536, creationDate: null, threads: 0 });
      const t = parseTorrent(b);
      assert.equal(t.multiFile, false);
      assert.equal(t.name, 'single.bin');
      assert.equal(t.pieceCount, 4);
      assert.deepEqual(realFiles(t).map((f) => f.path), [['single.bin']]);
      if (t.pieces) assert.ok(v1PiecesVerify(t, dir));
    });
  }

  it('hashes identically on worker threads and on the calling thread', async () => {
    const a = await createTorrent(join(dir, 'multi'), { pieceLength: 16384, creationDate: null, threads: 0 });
    const b = await createTorrent(join(dir, 'multi'), { pieceLength: 16384, creationDate: null, threads: 2 });
    assert.deepEqual(a.bytes, b.bytes);
  });

  it('writes trackers as BEP 12 tiers, comment, private flag and web seeds', async () => {
    const { torrent } = await createTorrent(join(dir, 'single.bin'), {
      trackers: ['udp://a.example:1/announce', ['http://b.example/announce', 'http://c.example/announce']],
      comment: 'hello', private: true, webSeeds: ['http://seed.example/'], creationDate: 1234,
    });
    assert.deepEqual(torrent.trackers, [['udp://a.example:1/announce'], ['http://b.example/announce', 'http://c.example/announce']]);
    assert.equal(torrent.comment, 'hello');
    assert.equal(torrent.private, true);
    assert.equal(torrent.creationDate, 1234);
    assert.deepEqual(torrent.webSeeds, ['http://seed.example/']);
  });

  it('refuses a v2 piece length that is not a power of two', async () => {
    await assert.rejects(createTorrent(join(dir, 'single.bin'), { version: 'hybrid', pieceLength: 3 * 16384 }), /power-of-two/);
    const { torrent } = await createTorrent(join(dir, 'single.bin'), { version: 'v1', pieceLength: 3 * 16384, threads: 0 });
    assert.equal(torrent.pieceCount, Math.ceil(200_000 / (3 * 16384)));
  });
});

/** Builds a small valid v1 torrent dict to break in tests. */
function v1Dict(info: Record<string, Encodable | undefined>): Uint8Array {
  return encode({ info: { name: 'x', 'piece length': 16384, pieces: new Uint8Array(20), length: 100, ...info } });
}

describe('parsing hostile or broken torrents', () => {
  const rejects = (b: Uint8Array, pattern: RegExp) => assert.throws(() => parseTorrent(b), (e: unknown) => e instanceof TorrentParseError && pattern.test((e as Error).message));

  it('accepts the minimal valid torrent', () => {
    assert.equal(parseTorrent(v1Dict({})).pieceCount, 1);
  });
  it('rejects garbage and truncated input', () => {
    rejects(new TextEncoder().encode('hello'), /bencode/);
    const good = v1Dict({});
    rejects(good.subarray(0, good.length - 3), /bencode/);
    rejects(encode([1, 2]), /not a bencoded dictionary/);
  });
  it('rejects missing or mistyped fields, naming them', () => {
    rejects(encode({ announce: 'x' }), /missing 'info'/);
    rejects(v1Dict({ 'piece length': 'big' }), /'piece length'/);
    rejects(v1Dict({ pieces: new Uint8Array(19) }), /multiple of 20/);
    rejects(v1Dict({ pieces: new Uint8Array(40) }), /holds 2 hashes but the files need 1/);
    rejects(v1Dict({ length: -1 }), /'length'/);
  });
  it('rejects file names that would escape the download directory', () => {
    rejects(v1Dict({ length: undefined, files: [{ length: 100, path: ['..', '..', 'etc', 'passwd'] }] }), /\.\./);
    rejects(v1Dict({ length: undefined, files: [{ length: 100, path: ['/etc/passwd'] }] }), /files\[0\]/);
    rejects(v1Dict({ name: '../evil' }), /name/);
    rejects(v1Dict({ length: undefined, files: [{ length: 100, path: ['a\u0000b'] }] }), /files\[0\]/);
  });
  it('rejects a newer meta version and an inconsistent hybrid', () => {
    rejects(v1Dict({ 'meta version': 3 }), /newer/);
    const tree = { x: { '': { length: 99, 'pieces root': new Uint8Array(32) } } };
    rejects(v1Dict({ 'meta version': 2, 'file tree': tree }), /different files/);
  });
  it('rejects a v2 piece layer that does not match its pieces root', async () => {
    const { bytes: b } = await createTorrent(join(dir, 'single.bin'), { version: 'v2', pieceLength: 16384, creationDate: null, threads: 0 });
    const d = decode(b) as BDict;
    const layers = d.get('piece layers') as BDict;
    const [key, layer] = [...layers][0] as [string, Uint8Array];
    const broken = new Uint8Array(layer);
    broken[0] ^= 1;
    layers.set(key, broken);
    rejects(encode(d), /does not match 'pieces root'/);
    layers.delete(key);
    rejects(encode(d), /missing its 'piece layers' entry/);
  });
  it('enforces its limits', () => {
    const files = Array.from({ length: 11 }, (_, i) => ({ length: 1, path: [`f${i}`] }));
    assert.throws(() => parseTorrent(v1Dict({ length: undefined, files }), { maxFiles: 10 }), /maxFiles/);
    assert.throws(() => parseTorrent(v1Dict({}), { maxSize: 10 }), /maxSize/);
    assert.throws(() => parseTorrent(v1Dict({ length: undefined, files: [{ length: 100, path: ['a', 'b', 'c'] }] }), { maxPathDepth: 2 }), /maxPathDepth|deeper/);
    assert.throws(() => parseTorrent(v1Dict({ length: 16384 * 5, pieces: new Uint8Array(100) }), { maxPieces: 4 }), /maxPieces/);
  });
  it('takes the info hash over the original bytes, even with unsorted keys', () => {
    const raw = new TextEncoder().encode('d4:infod6:lengthi100e4:name1:x12:piece lengthi16384e6:pieces20:' + 'a'.repeat(20) + 'ee');
    // Swap into unsorted order: name before length.
    const unsorted = new TextEncoder().encode('d4:infod4:name1:x6:lengthi100e12:piece lengthi16384e6:pieces20:' + 'a'.repeat(20) + 'ee');
    const a = parseTorrent(raw), b = parseTorrent(unsorted);
    assert.notDeepEqual(a.infoHashV1, b.infoHashV1);
    const infoStart = unsorted.indexOf(0x64, 4); // the 'd' opening the info dict
    assert.deepEqual(b.infoHashV1, createHash('sha1').update(unsorted.subarray(infoStart, unsorted.length - 1)).digest());
  });
});
