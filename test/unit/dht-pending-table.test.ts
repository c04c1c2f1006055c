/**
 * src/dht/pending-table.ts: the open-addressing table of a node's pending queries answers
 * as a `Map` would, through growth, deletions inside probe runs (backward shift) and
 * runs that wrap around the end of the array.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PendingTable } from '../../src/dht/pending-table.js';
import { SeededRandom } from '../../src/runtime/random.js';

interface Entry {
  readonly key: number;
  readonly n: number;
}

function check(table: PendingTable<Entry>, ref: Map<number, Entry>, probe: readonly number[]): void {
  assert.equal(table.size, ref.size);
  for (const k of probe) assert.equal(table.get(k), ref.get(k), `key ${k}`);
  assert.deepEqual(table.values().map((e) => e.n).sort((a, b) => a - b), [...ref.values()].map((e) => e.n).sort((a, b) => a - b));
}

describe('PendingTable', () => {
  it('matches a Map under random adds and deletes of colliding keys', () => {
    const random = new SeededRandom(7);
    const table = new PendingTable<Entry>();
    const ref = new Map<number, Entry>();
    // Keys that share low bits collide in every table size up to 64 slots; others wrap around the end.
    const keys = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? i * 64 : i % 4 === 1 ? 63 + i * 128 : (i * 7919) & 0xffff));
    for (let step = 0; step < 20_000; step++) {
      const k = keys[random.int(keys.length)];
      if (ref.has(k)) {
        assert.equal(table.delete(k), true);
        ref.delete(k);
      } else if (random.next() < 0.6) {
        const e = { key: k, n: step };
        table.add(e);
        ref.set(k, e);
      } else assert.equal(table.delete(k), false);
      if (step % 97 === 0) check(table, ref, keys);
    }
    check(table, ref, keys);
    table.clear();
    assert.equal(table.size, 0);
    for (const k of keys) assert.equal(table.has(k), false);
  });

  it('is empty before the first add', () => {
    const table = new PendingTable<Entry>();
    assert.equal(table.get(5), undefined);
    assert.equal(table.delete(5), false);
    assert.deepEqual(table.values(), []);
  });
});
