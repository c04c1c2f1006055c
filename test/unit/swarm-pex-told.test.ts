import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ToldTable } from '../../src/swarm/pex-told.js';
import { PexState, pexKey, type PexPeer, type PexStateOptions } from '../../src/wire/index.js';

/** A small deterministic generator (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Random hubs: members come and go, change flags, repeat keys; recipients come and go. Every
 * diff of the table is checked against a PexState per recipient fed the same entries.
 */
function replay(seed: number, options: PexStateOptions, steps: number): number {
  const r = rng(seed);
  const table = new ToldTable(options);
  const states = new Map<number, { row: number; state: PexState; self: string }>();
  let entries: PexPeer[] = [];
  let compared = 0;
  const entry = (): PexPeer => ({ host: `10.0.0.${Math.floor(r() * 40)}`, port: 6881, flags: r() < 0.3 ? 0x08 : r() < 0.5 ? 0x02 : 0 });
  for (let step = 0; step < steps; step++) {
    const x = r();
    if (x < 0.3) {
      // New entries: some kept, some gone, some new, some with other flags; keys may repeat.
      const next = entries.filter(() => r() < 0.8).map((e) => (r() < 0.1 ? { ...e, flags: e.flags ^ 0x02 } : e));
      for (let n = Math.floor(r() * 8); n > 0; n--) next.splice(Math.floor(r() * (next.length + 1)), 0, entry());
      entries = next;
      table.setEntries(entries);
    } else if (x < 0.4) {
      const id = Math.floor(r() * 12);
      const s = states.get(id);
      if (s) {
        table.releaseRow(s.row);
        states.delete(id);
      } else states.set(id, { row: table.newRow(), state: new PexState(options), self: `10.0.0.${Math.floor(r() * 40)}|6881` });
    } else {
      for (const s of states.values()) {
        const all = new Map<string, PexPeer>();
        for (const e of entries) all.set(pexKey(e), e);
        const own = r() < 0.5 ? undefined : `10.0.0.${Math.floor(r() * 40)}|6881`;
        const want = s.state.pollKeyed(all, s.self, own, step * 60_000);
        const got = table.diff(s.row, s.self, own);
        assert.deepEqual(got, want, `seed ${seed} step ${step}`);
        compared++;
      }
    }
  }
  return compared;
}

describe('ToldTable (what a PEX hub told each recipient)', () => {
  it('gives the same diffs as a PexState per recipient, in the same order, under the per-message caps', () => {
    let compared = 0;
    for (let seed = 1; seed <= 20; seed++) compared += replay(seed, { maxAdded: 5, maxDropped: 3, intervalMs: 0 }, 400);
    for (let seed = 21; seed <= 25; seed++) compared += replay(seed, { intervalMs: 0 }, 400);
    assert.ok(compared > 10_000, `${compared} diffs compared`);
  });

  it('keeps the first-told order past 65,535 entries told to one recipient (its counter is renumbered)', () => {
    const opts = { maxDropped: 1, intervalMs: 0 };
    const table = new ToldTable(opts), state = new PexState(opts);
    const row = table.newRow();
    const [p, x, y] = [9, 1, 2].map((i) => ({ host: `10.0.0.${i}`, port: 6881, flags: 0 }));
    const check = (entries: PexPeer[], i: number) => {
      table.setEntries(entries);
      const all = new Map(entries.map((e) => [pexKey(e), e]));
      const m = table.diff(row, undefined, undefined);
      assert.deepEqual(m, state.pollKeyed(all, undefined, undefined, i), `round ${i}`);
      return m;
    };
    // x and y by turns, one told a round; p told at 65,000, before the counter passes 0xffff.
    for (let i = 0; i < 70_000; i++) check(i < 65_000 ? [i % 2 ? x : y] : [p, i % 2 ? x : y], i);
    assert.deepEqual(check([], 70_000)?.dropped, [{ host: p.host, port: p.port }], 'p was told first');
  });

  it('forgets a key once no recipient was told it and it is no longer listed', () => {
    const table = new ToldTable({ intervalMs: 0 });
    const a = { host: '10.0.0.1', port: 1, flags: 0 }, b = { host: '10.0.0.2', port: 2, flags: 0 };
    table.setEntries([a, b]);
    const r1 = table.newRow(), r2 = table.newRow();
    assert.deepEqual(table.diff(r1, undefined, undefined)?.added, [a, b]);
    table.setEntries([a]);
    assert.equal(table.ids, 2, 'b was told to r1 and not yet dropped');
    assert.deepEqual(table.diff(r1, undefined, undefined)?.dropped, [{ host: '10.0.0.2', port: 2 }]);
    assert.equal(table.ids, 1);
    assert.deepEqual(table.diff(r2, undefined, undefined)?.added, [a]);
    table.setEntries([]);
    table.releaseRow(r1);
    assert.equal(table.ids, 1, 'r2 was told a');
    table.releaseRow(r2);
    assert.equal(table.ids, 0);
  });
});
