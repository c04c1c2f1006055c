import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BufferPool } from '../../src/storage/buffer-pool.js';
import { PieceCache } from '../../src/storage/piece-cache.js';

describe('piece buffers', () => {
  it('reuses a verified piece buffer once the read cache lets it go', () => {
    const pool = new BufferPool(1024);
    const cache = new PieceCache(4096, (b) => pool.give(b));
    const a = pool.take(1024);
    assert.ok(cache.putRead(0, a));
    cache.dropRead(0);
    assert.equal(pool.take(1024), a, 'the same buffer comes back');
  });

  it('never reuses a buffer whose bytes were lent out as views', () => {
    const pool = new BufferPool(1024);
    const cache = new PieceCache(4096, (b) => pool.give(b));
    const a = pool.take(1024).fill(7);
    cache.putRead(0, a);
    pool.lend(a);
    const served = a.subarray(0, 16);
    cache.dropRead(0);
    const b = pool.take(1024).fill(9);
    assert.notEqual(b, a);
    assert.ok(served.every((x) => x === 7), 'a block already served keeps its bytes');
  });

  it('stages blocks into one buffer per piece, counted whole against the budget', () => {
    const pool = new BufferPool(1024);
    const cache = new PieceCache(2048);
    const alloc = (n: number) => pool.take(n);
    assert.ok(cache.stage(0, 0, new Uint8Array(512).fill(1), 1024, alloc));
    assert.ok(cache.stage(0, 512, new Uint8Array(512).fill(2), 1024, alloc));
    assert.equal(cache.writeBytes, 1024);
    assert.ok(cache.stage(1, 0, new Uint8Array(16), 1024, alloc));
    assert.equal(cache.stage(2, 0, new Uint8Array(16), 1024, alloc), false, 'a third piece buffer would overshoot the budget');
    const pp = cache.pendingPiece(0)!;
    const buf = cache.detach(pp)!;
    assert.equal(buf[0], 1);
    assert.equal(buf[1023], 2);
    assert.equal(cache.writeBytes, 1024, 'a detached buffer no longer counts');
  });
});
