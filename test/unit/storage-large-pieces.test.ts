/**
 * Pieces larger than memory should hold (issue 12, item 3): no disk call moves 2 GiB (Node
 * aborts on one), and a piece not held in memory is read and hashed in bounded chunks by
 * verification, the fast check and seeding reads alike.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, cpSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkExisting } from '../../src/storage/check.js';
import { FdCache, type HandleMode } from '../../src/runtime/node/disk/fd-cache.js';
import { MAX_IO_BYTES, readFully, writeFully, type PositionalHandle } from '../../src/storage/file-io.js';
import { FileStorage } from '../../src/storage/file-storage.js';
import type { StorageEvent } from '../../src/storage/types.js';
import { assertBytes, blocksOf, makeFixture, shuffle, type Fixture } from './storage-fixtures.js';

/** A handle cache that records the longest single read and write call made through it. */
class SpyFdCache extends FdCache {
  maxRead = 0;
  maxWrite = 0;
  override use<T>(path: string, mode: HandleMode, fn: (fh: FileHandle) => Promise<T>): Promise<T> {
    return super.use(path, mode, (fh) => {
      const spy = Object.create(fh) as FileHandle;
      spy.read = ((buf: Uint8Array, off: number, len: number, pos: number) => {
        this.maxRead = Math.max(this.maxRead, len);
        return fh.read(buf, off, len, pos);
      }) as FileHandle['read'];
      spy.write = ((buf: Uint8Array, off: number, len: number, pos: number) => {
        this.maxWrite = Math.max(this.maxWrite, len);
        return fh.write(buf, off, len, pos);
      }) as FileHandle['write'];
      return fn(spy);
    });
  }
}

let dir: string;
let n = 0;
const fresh = () => join(dir, `dl-${n++}`);
const PIECE = 256 * 1024;
const CHUNK = 32 * 1024;
const fixtures: Record<string, Fixture> = {};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-large-'));
  // Pieces cross files, a pad (hybrid) or alignment gap (v2) sits inside a piece.
  const files = { 'a.bin': 300_000, 'b.bin': 5, 'sub/c.bin': 600_001 };
  for (const v of ['v1', 'v2', 'hybrid'] as const) fixtures[v] = await makeFixture(join(dir, `src-${v}`), 'big', files, v, PIECE);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('disk calls stay below the size Node aborts on', () => {
  /** Reads report every byte read, writes every byte written, and nothing is touched. */
  const fake = (calls: number[]): PositionalHandle => ({
    read: (async (_b: Uint8Array, _o: number, len: number) => {
      calls.push(len);
      return { bytesRead: len };
    }) as unknown as PositionalHandle['read'],
    write: (async (_b: Uint8Array, _o: number, len: number) => {
      calls.push(len);
      return { bytesWritten: len };
    }) as unknown as PositionalHandle['write'],
  });

  it('reads and writes a span of more than 2 GiB in calls of at most MAX_IO_BYTES', async () => {
    const span = 2 ** 31 + 16_384;
    // Never written to: the pages stay unallocated.
    const buf = new Uint8Array(span);
    const reads: number[] = [], writes: number[] = [];
    await readFully(fake(reads), 'x', buf, 0, span, 0);
    await writeFully(fake(writes), 'x', buf, 0);
    for (const calls of [reads, writes]) {
      assert.equal(calls.reduce((a, b) => a + b, 0), span);
      assert.ok(Math.max(...calls) <= MAX_IO_BYTES, `a call of ${Math.max(...calls)} bytes`);
      assert.ok(MAX_IO_BYTES < 2 ** 31 - 1);
    }
  });
});

describe('pieces larger than the cache are read and hashed in chunks', () => {
  for (const v of ['v1', 'v2', 'hybrid'] as const) {
    it(`downloads a ${v} torrent whose pieces exceed cacheBytes, reading at most hashChunkBytes at a time`, async () => {
      const f = fixtures[v];
      const fdCache = new SpyFdCache();
      const events: StorageEvent[] = [];
      const s = new FileStorage(f.torrent, { downloadDir: fresh(), cacheBytes: 64 * 1024, hashChunkBytes: CHUNK, fdCache, onEvent: (e) => events.push(e) });
      for (const [p, o, len] of shuffle(blocksOf(f.torrent), 7)) await s.writeBlock(p, o, f.piece(p).subarray(o, o + len));
      for (let p = 0; p < f.torrent.pieceCount; p++) assert.equal(await s.verifyPiece(p), true, `piece ${p}`);
      assert.ok(fdCache.maxRead <= CHUNK, `read ${fdCache.maxRead} bytes in one call`);
      // Nothing was staged or cached: the budget was never exceeded.
      assert.ok(s.stats().peakCacheBytes <= 64 * 1024);
      // Seeding reads of a piece too large to cache read only the block asked for.
      fdCache.maxRead = 0;
      for (let p = 0; p < f.torrent.pieceCount; p++) assertBytes(await s.readBlock(p, 0, Math.min(16_384, f.torrent.layout.pieceSize(p))), f.piece(p).subarray(0, 16_384), `piece ${p}`);
      assert.ok(fdCache.maxRead <= 16_384);
      assert.equal(events.filter((e) => e.type === 'piece-verified').length, f.torrent.pieceCount);
      await s.close();
      await fdCache.closeAll();
    });
  }

  it('fails a chunked piece with a bad byte in its last chunk as hash-mismatch, and one with a block missing as missing-data', async () => {
    const f = fixtures.hybrid;
    const events: StorageEvent[] = [];
    const s = new FileStorage(f.torrent, { downloadDir: fresh(), cacheBytes: 64 * 1024, hashChunkBytes: CHUNK, onEvent: (e) => events.push(e) });
    const size = f.torrent.layout.pieceSize(0);
    for (const [p, o, len] of blocksOf(f.torrent).filter(([p]) => p === 0)) {
      const block = f.piece(p).slice(o, o + len);
      if (o + len === size) block[len - 1] ^= 1;
      await s.writeBlock(p, o, block);
    }
    assert.equal(await s.verifyPiece(0), false);
    // Piece 1 ends a.bin (then pad): without its later blocks the file is short (a hole would read as zeros).
    for (const [p, o, len] of blocksOf(f.torrent).filter(([p, o]) => p === 1 && o < 32_768)) await s.writeBlock(p, o, f.piece(p).subarray(o, o + len));
    assert.equal(await s.verifyPiece(1), false);
    assert.deepEqual(events, [{ type: 'piece-failed', piece: 0, reason: 'hash-mismatch' }, { type: 'piece-failed', piece: 1, reason: 'missing-data' }]);
    await s.close();
  });

  it('fast-checks existing files in chunks and finds exactly the intact pieces', async () => {
    const f = fixtures.v2;
    const root = fresh();
    cpSync(join(dir, 'src-v2'), root, { recursive: true });
    // Corrupt one byte deep inside the second piece of c.bin.
    const c = join(root, 'big', 'sub', 'c.bin');
    const bytes = readFileSync(c);
    bytes[PIECE + 200_000] ^= 1;
    writeFileSync(c, bytes);
    const fdCache = new SpyFdCache();
    const s = new FileStorage(f.torrent, { downloadDir: root, hashChunkBytes: CHUNK, fdCache });
    const r = await checkExisting(s);
    const bad = f.torrent.layout.files.findIndex((x) => x.path.join('/') === 'sub/c.bin');
    const badPiece = f.torrent.layout.filePieces(bad)!.first + 1;
    assert.equal(r.hashed, f.torrent.pieceCount);
    assert.deepEqual([...r.have.indices()].length, f.torrent.pieceCount - 1);
    assert.equal(r.have.has(badPiece), false);
    assert.ok(fdCache.maxRead <= CHUNK, `read ${fdCache.maxRead} bytes in one call`);
    await s.close();
    await fdCache.closeAll();
  });
});
