import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom, mix32, splitmix32 } from '../../src/runtime/random.js';

describe('SeededRandom', () => {
  it('replays the same sequence for the same seed', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    for (let i = 0; i < 1000; i++) assert.equal(a.nextUint32(), b.nextUint32());
  });

  it('gives different sequences for different seeds, including seeds past 2^32', () => {
    const seqs = [1, 2, 2 ** 32 + 1, 2 ** 40].map((s) => {
      const r = new SeededRandom(s);
      return Array.from({ length: 8 }, () => r.nextUint32()).join(',');
    });
    assert.equal(new Set(seqs).size, seqs.length);
  });

  it('keeps next() in [0, 1) and int(n) in [0, n) with every value reachable', () => {
    const r = new SeededRandom(7);
    const counts = new Array<number>(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const x = r.next();
      assert.ok(x >= 0 && x < 1);
      const k = r.int(10);
      assert.ok(Number.isInteger(k) && k >= 0 && k < 10);
      counts[k]++;
    }
    // Each bucket expects 10 000; 5 standard deviations is about +-475.
    for (const c of counts) assert.ok(Math.abs(c - 10_000) < 500, `bucket count ${c}`);
    const big = r.int(2 ** 40);
    assert.ok(big >= 0 && big < 2 ** 40);
  });

  it('rejects a non-positive range', () => {
    const r = new SeededRandom(1);
    assert.throws(() => r.int(0), RangeError);
    assert.throws(() => new SeededRandom(Number.NaN), RangeError);
  });

  it('produces the asked number of bytes, deterministically', () => {
    for (const n of [0, 1, 3, 4, 5, 33]) {
      const x = new SeededRandom(5).bytes(n);
      const y = new SeededRandom(5).bytes(n);
      assert.equal(x.byteLength, n);
      assert.deepEqual(x, y);
    }
    const spread = new SeededRandom(5).bytes(4096);
    assert.ok(new Set(spread).size > 200, 'bytes cover the range');
  });

  it('forks independent, reproducible streams', () => {
    const root1 = new SeededRandom(3);
    const root2 = new SeededRandom(3);
    const a1 = root1.fork();
    const b1 = root1.fork();
    const a2 = root2.fork();
    assert.equal(a1.nextUint32(), a2.nextUint32());
    const fromA = Array.from({ length: 4 }, () => a1.nextUint32());
    const fromB = Array.from({ length: 4 }, () => b1.nextUint32());
    assert.notDeepEqual(fromA, fromB);
  });

  it('has well-mixed hash helpers', () => {
    assert.notEqual(mix32(1), mix32(2));
    assert.notEqual(splitmix32(0), 0);
    assert.ok(mix32(123) >= 0 && mix32(123) < 2 ** 32);
  });
});
