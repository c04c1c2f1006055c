/** Shared-chunk slots for per-node rings (src/dht/slot-pool.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SlotPool } from '../../src/dht/slot-pool.js';

describe('dht slot pool', () => {
  it('hands out slots that never overlap, across chunk boundaries', () => {
    const pool = new SlotPool(3, (n) => new Int32Array(n), (c, from, to) => c.fill(0, from, to));
    const slots: number[] = [];
    for (let i = 0; i < 9000; i++) slots.push(pool.acquire()); // past the doubling chunks (8191 slots) into full ones
    for (const s of slots) pool.chunkOf(s).fill(s + 1, pool.offsetOf(s), pool.offsetOf(s) + 3);
    for (const s of slots) {
      const c = pool.chunkOf(s);
      const at = pool.offsetOf(s);
      assert.ok(at + 3 <= c.length, `slot ${s} runs past its chunk`);
      assert.deepEqual([...c.subarray(at, at + 3)], [s + 1, s + 1, s + 1], `slot ${s} was overwritten`);
    }
  });

  it('takes one slot of memory for a single owner', () => {
    let made = 0;
    const pool = new SlotPool(32, (n) => {
      made += n;
      return new Float64Array(n);
    }, (c, from, to) => c.fill(0, from, to));
    pool.acquire();
    assert.equal(made, 32);
  });

  it('reuses a released slot, reset for its next owner', () => {
    const pool = new SlotPool(2, (n) => new Array<string>(n).fill(''), (c, from, to) => c.fill('', from, to));
    const a = pool.acquire();
    pool.chunkOf(a)[pool.offsetOf(a)] = 'kept';
    pool.release(a);
    const b = pool.acquire();
    assert.equal(b, a);
    assert.equal(pool.chunkOf(b)[pool.offsetOf(b)], '');
  });
});
