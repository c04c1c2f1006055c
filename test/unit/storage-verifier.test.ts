import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TorrentVersion } from '../../src/metainfo/torrent.js';
import { Bitfield, bitfieldFromStored } from '../../src/storage/bitfield.js';
import { PieceVerifier } from '../../src/storage/verifier.js';
import { MULTI_FILES, makeFixture, type Fixture } from './storage-fixtures.js';

let dir: string;
const multi = new Map<TorrentVersion, Fixture>();
let bigV2: Fixture;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-verify-'));
  for (const v of ['v1', 'v2', 'hybrid'] as const) multi.set(v, await makeFixture(join(dir, v), 'multi', MULTI_FILES, v, 32_768));
  bigV2 = await makeFixture(join(dir, 'big'), 'big.bin', 5 * 16_384 + 3, 'v2', 16_384);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('PieceVerifier', () => {
  for (const v of ['v1', 'v2', 'hybrid'] as const) {
    it(`accepts every piece of a ${v} torrent and refuses one with a flipped bit`, () => {
      const f = multi.get(v) as Fixture;
      const ver = new PieceVerifier(f.torrent);
      for (let p = 0; p < f.torrent.pieceCount; p++) {
        assert.equal(ver.verify(p, f.piece(p)), true, `piece ${p}`);
        const bad = f.piece(p);
        bad[0] ^= 1;
        assert.equal(ver.verify(p, bad), false);
      }
      assert.equal(ver.hashed, 2 * f.torrent.pieceCount);
    });
  }

  it('checks both hashes of a hybrid: a wrong v2 hash fails even when the v1 hash matches, and the reverse', () => {
    const f = multi.get('hybrid') as Fixture;
    const t = f.torrent;
    const wrongV1 = new PieceVerifier({ ...t, pieces: new Uint8Array(t.pieces?.length ?? 0) });
    assert.equal(wrongV1.verify(0, f.piece(0)), false);
    const files = t.layout.files.map((x) => (x.piecesRoot ? { ...x, piecesRoot: new Uint8Array(32) } : x));
    const wrongV2 = new PieceVerifier({ ...t, layout: Object.assign(Object.create(Object.getPrototypeOf(t.layout)), t.layout, { files }) });
    assert.equal(wrongV2.expectedSha1(0)?.length, 20);
    assert.equal(wrongV2.verify(0, f.piece(0)), false);
  });

  it("takes a v2 piece's hash from the piece layer, or from pieces root for a file of at most one piece", () => {
    const f = multi.get('v2') as Fixture;
    const t = f.torrent;
    const small = t.layout.files.findIndex((x) => x.path.join('/') === 'sub/c.bin');
    const p = t.layout.filePieces(small)?.first as number;
    assert.deepEqual(new PieceVerifier(t).expectedV2(p), t.layout.files[small].piecesRoot);
    const big = new PieceVerifier(bigV2.torrent);
    const layer = [...bigV2.torrent.pieceLayers.values()][0];
    assert.deepEqual(big.expectedV2(2), layer.subarray(64, 96));
    for (let q = 0; q < bigV2.torrent.pieceCount; q++) assert.equal(big.verify(q, bigV2.piece(q)), true);
  });

  it('hashes pad ranges as zeros whatever the buffer holds there, without changing it', () => {
    const f = multi.get('hybrid') as Fixture;
    const t = f.torrent;
    const p = t.layout.filePieces(0)?.last as number; // a.bin's last piece ends in a pad
    const data = f.piece(p);
    const padStart = t.layout.files[0].offset + t.layout.files[0].length - p * t.pieceLength;
    data.fill(0xee, padStart);
    assert.equal(new PieceVerifier(t).verify(p, data), true);
    assert.equal(data[data.length - 1], 0xee);
  });

  it('refuses data of the wrong length', () => {
    const f = multi.get('v1') as Fixture;
    assert.equal(new PieceVerifier(f.torrent).verify(0, f.piece(0).subarray(1)), false);
  });
});

describe('Bitfield', () => {
  it('uses BEP 3 bit order and counts', () => {
    const b = new Bitfield(10);
    b.set(0);
    b.set(9);
    assert.deepEqual(b.toBytes(), Uint8Array.of(0x80, 0x40));
    assert.equal(b.count, 2);
    assert.equal(b.set(0), false);
    assert.equal(b.clear(0), true);
    assert.deepEqual([...b.indices()], [9]);
    assert.equal(Bitfield.full(10).complete, true);
  });

  it('refuses bytes of the wrong length or with spare bits set, and indices out of range', () => {
    assert.throws(() => new Bitfield(10, new Uint8Array(1)), RangeError);
    assert.throws(() => bitfieldFromStored(10, Uint8Array.of(0, 0x20)), RangeError);
    assert.throws(() => new Bitfield(3).set(3), RangeError);
    assert.equal(new Bitfield(3).has(7), false);
  });
});
