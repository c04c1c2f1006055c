/**
 * The storage conformance suite (practice 6): every backend that stores bytes runs it.
 * `storageConformance(backend)` registers the tests; backends with files and limits say so.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Torrent, TorrentVersion } from '../../src/metainfo/torrent.js';
import { BlockRangeError, PieceNotAvailableError, StorageClosedError } from '../../src/storage/errors.js';
import type { PieceStorage, StorageEvent, StorageEventHandler } from '../../src/storage/types.js';
import { MULTI_FILES, assertBytes, blocksOf, makeFixture, shuffle, type Fixture } from './storage-fixtures.js';

export interface ConformanceBackend {
  readonly name: string;
  /** A fresh backend for `torrent`; `root` is an empty directory it may use. */
  open(torrent: Torrent, root: string, options: { onEvent?: StorageEventHandler; cacheBytes?: number; maxOpenFiles?: number }): PieceStorage;
  /** Relative paths of the regular files it created under `root` (backends that keep files). */
  listFiles?(root: string): string[];
  /** Peak open files of a storage it opened (backends that open files). */
  peakOpenFiles?(storage: PieceStorage): number;
}

const VERSIONS: TorrentVersion[] = ['v1', 'v2', 'hybrid'];

async function writeAll(s: PieceStorage, f: Fixture, seed: number, blockSize?: number): Promise<void> {
  for (const [p, o, n] of shuffle(blocksOf(f.torrent, blockSize), seed)) await s.writeBlock(p, o, f.piece(p).subarray(o, o + n));
}

async function readAll(s: PieceStorage, f: Fixture): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (const [p, o, n] of blocksOf(f.torrent, 10_000)) parts.push(await s.readBlock(p, o, n));
  return new Uint8Array(Buffer.concat(parts));
}

export function storageConformance(backend: ConformanceBackend): void {
  describe(`storage conformance: ${backend.name}`, () => {
    let dir: string;
    const multi = new Map<TorrentVersion, Fixture>();
    const single = new Map<TorrentVersion, Fixture>();
    let many: Fixture;
    let n = 0;
    const fresh = () => join(dir, `store-${n++}`);

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'shoal-conf-'));
      for (const v of VERSIONS) {
        multi.set(v, await makeFixture(join(dir, `src-${v}`), 'multi', MULTI_FILES, v, 32_768));
        single.set(v, await makeFixture(join(dir, `src-${v}`), 'single.bin', 200_000, v, 65_536));
      }
      const files: Record<string, number> = {};
      for (let i = 0; i < 24; i++) files[`f${String(i).padStart(2, '0')}.bin`] = 3_000 + i;
      many = await makeFixture(join(dir, 'src-many'), 'many', files, 'v1', 16_384);
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    for (const v of VERSIONS) {
      it(`writes blocks in any order, verifies every piece and reads the bytes back (${v}, multi-file and single-file)`, async () => {
        for (const f of [multi.get(v) as Fixture, single.get(v) as Fixture]) {
          const events: StorageEvent[] = [];
          const s = backend.open(f.torrent, fresh(), { onEvent: (e) => events.push(e) });
          await writeAll(s, f, 42);
          for (const p of shuffle([...Array(f.torrent.pieceCount).keys()], 7)) assert.equal(await s.verifyPiece(p), true, `piece ${p}`);
          assert.equal(events.filter((e) => e.type === 'piece-verified').length, f.torrent.pieceCount);
          assert.equal(s.bitfield().complete, true);
          assertBytes(await readAll(s, f), f.space);
          await s.close();
        }
      });
    }

    it('verifies a piece that spans several files', async () => {
      const f = multi.get('v1') as Fixture;
      const t = f.torrent;
      const p = [...Array(t.pieceCount).keys()].find((i) => t.layout.pieceSlices(i).length >= 3);
      assert.ok(p !== undefined, 'fixture has a piece over three files');
      const s = backend.open(t, fresh(), {});
      await s.writeBlock(p, 0, f.piece(p));
      assert.equal(await s.verifyPiece(p), true);
      assert.deepEqual(await s.readBlock(p, 0, t.layout.pieceSize(p)), f.piece(p));
      await s.close();
    });

    it('reports a piece whose data fails the hash, does not mark it had, and accepts good data after', async () => {
      for (const v of VERSIONS) {
        const f = multi.get(v) as Fixture;
        const events: StorageEvent[] = [];
        const s = backend.open(f.torrent, fresh(), { onEvent: (e) => events.push(e) });
        const bad = f.piece(1);
        bad[100] ^= 0xff;
        await s.writeBlock(1, 0, bad);
        assert.equal(await s.verifyPiece(1), false);
        assert.deepEqual(events, [{ type: 'piece-failed', piece: 1, reason: 'hash-mismatch' }]);
        assert.equal(s.hasPiece(1), false);
        await assert.rejects(s.readBlock(1, 0, 10), PieceNotAvailableError);
        await s.writeBlock(1, 0, f.piece(1));
        assert.equal(await s.verifyPiece(1), true, v);
        assert.equal(s.hasPiece(1), true);
        await s.close();
      }
    });

    it('fails a piece with blocks missing as missing-data', async () => {
      const f = single.get('v1') as Fixture;
      const events: StorageEvent[] = [];
      const s = backend.open(f.torrent, fresh(), { onEvent: (e) => events.push(e) });
      await s.writeBlock(0, 0, f.piece(0).subarray(0, 16_384));
      assert.equal(await s.verifyPiece(0), false);
      assert.deepEqual(events, [{ type: 'piece-failed', piece: 0, reason: 'missing-data' }]);
      await s.close();
    });

    it('treats pad bytes as zeros whatever was written, and never stores pad files', async () => {
      const f = multi.get('hybrid') as Fixture;
      const t = f.torrent;
      assert.ok(t.layout.files.some((x) => x.pad), 'hybrid fixture has pad files');
      const root = fresh();
      const s = backend.open(t, root, {});
      for (let p = 0; p < t.pieceCount; p++) {
        const data = f.piece(p);
        for (const sl of t.layout.pieceSlices(p)) {
          const file = t.layout.files[sl.fileIndex];
          if (file.pad) data.fill(0xff, file.offset + sl.offset - p * t.pieceLength, file.offset + sl.offset + sl.length - p * t.pieceLength);
        }
        await s.writeBlock(p, 0, data);
        assert.equal(await s.verifyPiece(p), true);
      }
      assertBytes(await readAll(s, f), f.space);
      await s.close();
      if (backend.listFiles) {
        const files = backend.listFiles(root);
        assert.ok(!files.some((x) => x.includes('.pad')), files.join(','));
        assert.deepEqual(files.sort(), t.layout.files.filter((x) => !x.pad).map((x) => ['multi', ...x.path].join('/')).sort());
      }
    });

    it('creates empty files', { skip: !backend.listFiles }, async () => {
      const f = multi.get('v1') as Fixture;
      const root = fresh();
      const s = backend.open(f.torrent, root, {});
      await s.writeBlock(0, 0, f.piece(0));
      assert.equal(await s.verifyPiece(0), true);
      await s.close();
      assert.ok(backend.listFiles?.(root).includes('multi/empty.txt'));
    });

    it('rejects blocks outside the piece space with BlockRangeError', async () => {
      const f = single.get('v1') as Fixture;
      const s = backend.open(f.torrent, fresh(), {});
      const last = f.torrent.pieceCount - 1;
      const lastSize = f.torrent.layout.pieceSize(last);
      await assert.rejects(s.writeBlock(-1, 0, new Uint8Array(1)), BlockRangeError);
      await assert.rejects(s.writeBlock(f.torrent.pieceCount, 0, new Uint8Array(1)), BlockRangeError);
      await assert.rejects(s.writeBlock(last, lastSize - 1, new Uint8Array(2)), BlockRangeError);
      await assert.rejects(s.writeBlock(0, 0, new Uint8Array(0)), BlockRangeError);
      await assert.rejects(s.readBlock(0, 65_536, 1), BlockRangeError);
      await assert.rejects(s.verifyPiece(f.torrent.pieceCount), BlockRangeError);
      await assert.rejects(s.readBlock(0, 0, 1), PieceNotAvailableError);
      await s.close();
    });

    it('ignores blocks of a piece already had', async () => {
      const f = single.get('v2') as Fixture;
      const s = backend.open(f.torrent, fresh(), {});
      await s.writeBlock(0, 0, f.piece(0));
      assert.equal(await s.verifyPiece(0), true);
      await s.writeBlock(0, 0, new Uint8Array(16_384).fill(9));
      assert.deepEqual(await s.readBlock(0, 0, 16_384), f.piece(0).subarray(0, 16_384));
      assert.equal(s.stats().writeCacheBytes, 0);
      await s.close();
    });

    it('flush resolves with the verified pieces; after close every call fails with StorageClosedError', async () => {
      const f = single.get('hybrid') as Fixture;
      const s = backend.open(f.torrent, fresh(), {});
      await s.writeBlock(2, 0, f.piece(2));
      assert.equal(await s.verifyPiece(2), true);
      assert.deepEqual([...(await s.flush()).indices()], [2]);
      await s.close();
      await assert.rejects(s.writeBlock(0, 0, new Uint8Array(1)), StorageClosedError);
      await assert.rejects(s.readBlock(2, 0, 1), StorageClosedError);
      await assert.rejects(s.verifyPiece(0), StorageClosedError);
      assert.equal(s.hasPiece(2), true);
    });

    it('handles concurrent writes, verifies and reads', async () => {
      const f = multi.get('hybrid') as Fixture;
      const s = backend.open(f.torrent, fresh(), {});
      await Promise.all(shuffle(blocksOf(f.torrent, 4_096), 3).map(([p, o, len]) => s.writeBlock(p, o, f.piece(p).subarray(o, o + len))));
      const ok = await Promise.all([...Array(f.torrent.pieceCount).keys()].map((p) => s.verifyPiece(p)));
      assert.ok(ok.every(Boolean));
      assertBytes(await readAll(s, f), f.space);
      await s.close();
    });

    it('keeps unverified and cached bytes within cacheBytes (a torrent larger than the cache)', { skip: !backend.peakOpenFiles }, async () => {
      const f = multi.get('v1') as Fixture;
      const cacheBytes = 48 * 1024;
      assert.ok(f.torrent.length > 3 * cacheBytes);
      const s = backend.open(f.torrent, fresh(), { cacheBytes });
      await writeAll(s, f, 11, 8_192); // interleaved: every piece is pending at once
      for (let p = 0; p < f.torrent.pieceCount; p++) assert.equal(await s.verifyPiece(p), true);
      assertBytes(await readAll(s, f), f.space);
      assert.ok(s.stats().peakCacheBytes <= cacheBytes, `peak ${s.stats().peakCacheBytes}`);
      assert.ok(s.stats().peakCacheBytes > 0);
      await s.close();
    });

    it('never has more than maxOpenFiles files open (a torrent of more files than that)', { skip: !backend.peakOpenFiles }, async () => {
      const maxOpenFiles = 3;
      const s = backend.open(many.torrent, fresh(), { maxOpenFiles, cacheBytes: 0 });
      await Promise.all(blocksOf(many.torrent, 4_096).map(([p, o, len]) => s.writeBlock(p, o, many.piece(p).subarray(o, o + len))));
      const ok = await Promise.all([...Array(many.torrent.pieceCount).keys()].map((p) => s.verifyPiece(p)));
      assert.ok(ok.every(Boolean));
      assertBytes(await readAll(s, many), many.space);
      await s.close();
      const peak = backend.peakOpenFiles?.(s) ?? 0;
      assert.ok(peak <= maxOpenFiles && peak > 1, `peak ${peak}`);
    });
  });
}
