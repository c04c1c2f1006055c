import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { Choker, type ChokerPeer } from '../../src/swarm/choker.js';

const peer = (name: string, over: Partial<ChokerPeer<string>> = {}): ChokerPeer<string> => ({
  peer: name, interested: true, downloadRate: 0, uploadRate: 0, connectedAt: 0, expectingData: false, ...over,
});

describe('Choker', () => {
  it('gives the eight regular slots (the default) to the fastest uploaders to us, plus one optimistic', () => {
    const c = new Choker<string>(createRandom(1));
    const names = 'abcdefghijk'.split('');
    const peers = names.map((n, i) => peer(n, { downloadRate: (i + 1) * 100, connectedAt: -1e6 }));
    const d = c.rechoke(peers, 0, false);
    assert.deepEqual([...d.unchoke].filter((n) => n !== d.optimistic).sort(), ['d', 'e', 'f', 'g', 'h', 'i', 'j', 'k']);
    assert.equal(d.unchoke.size, 9);
    assert.ok(d.optimistic && ['a', 'b', 'c'].includes(d.optimistic));
  });

  it('fills a free slot at once with the best waiting interested peer, choking nobody', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 3 });
    const peers = [
      peer('held1', { unchokedSince: 0, downloadRate: 5 }),
      peer('held2', { unchokedSince: 0, downloadRate: 1 }),
      peer('slow', { downloadRate: 10 }),
      peer('fast', { downloadRate: 500 }),
      peer('idle', { interested: false, downloadRate: 900 }),
    ];
    assert.deepEqual(c.fill(peers, 1000, false), ['fast']);
    // All three slots taken: nobody else is let in until the next round.
    const full = peers.map((p) => (p.peer === 'fast' ? { ...p, unchokedSince: 1000 } : p));
    assert.deepEqual(c.fill(full, 1000, false), []);
    // An unchoked peer that lost interest frees its slot.
    const freed = full.map((p) => (p.peer === 'held1' ? { ...p, interested: false } : p));
    assert.deepEqual(c.fill(freed, 2000, false), ['slow']);
  });

  it('does not count the optimistic unchoke against the regular slots when filling', () => {
    const c = new Choker<string>(createRandom(5), { regularSlots: 1 });
    const first = c.rechoke([peer('a', { downloadRate: 10 }), peer('b')], 0, false);
    assert.equal(first.optimistic, 'b');
    const now = [peer('a', { interested: false, unchokedSince: 0 }), peer('b', { unchokedSince: 0 }), peer('c')];
    assert.deepEqual(c.fill(now, 100, false), ['c']);
  });

  it('sizes automatic slots from upload rates like a rate-based choker', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 'auto', minAutoSlots: 2 });
    // thresholds 1 KiB/s, 3 KiB/s, 5 KiB/s, 7 KiB/s: three peers pass, plus one slot
    const rates = [20_000, 6_000, 5_500, 3_000, 0];
    assert.equal(c.slots(rates.map((r, i) => peer(`p${i}`, { uploadRate: r }))), 4);
    assert.equal(c.slots([peer('x'), peer('y')]), 2, 'never below minAutoSlots');
    const many = Array.from({ length: 40 }, (_, i) => peer(`p${i}`, { uploadRate: 1e6 }));
    assert.equal(c.slots(many), 41);
  });

  it('keeps the optimistic unchoke for 30 s, then rotates it', () => {
    const c = new Choker<string>(createRandom(2), { regularSlots: 1 });
    const peers = Array.from({ length: 20 }, (_, i) => peer(`p${i}`, { downloadRate: i === 0 ? 1000 : 0, connectedAt: -1e6 }));
    const first = c.rechoke(peers, 0, false).optimistic;
    assert.equal(c.rechoke(peers, 10_000, false).optimistic, first);
    const seen = new Set<string | undefined>();
    for (let t = 30_000; t < 30_000 * 20; t += 30_000) seen.add(c.rechoke(peers, t, false).optimistic);
    assert.ok(seen.size > 3, 'rotates among peers');
  });

  it('does not unchoke uninterested peers and drops snubbing peers from regular slots', () => {
    const c = new Choker<string>(createRandom(3), { regularSlots: 2 });
    const now = 200_000;
    const peers = [
      peer('fast-snubber', { downloadRate: 9999, expectingData: true, lastBlockAt: now - 61_000 }),
      peer('uninterested', { interested: false, downloadRate: 5000 }),
      peer('ok1', { downloadRate: 10 }),
      peer('ok2', { downloadRate: 20 }),
    ];
    const d = c.rechoke(peers, now, false);
    assert.ok(d.unchoke.has('ok1') && d.unchoke.has('ok2'));
    assert.ok(!d.unchoke.has('uninterested'));
    assert.ok(c.isSnubbed(peers[0], now));
  });

  it('rotates seeding slots so every leecher gets a turn', () => {
    const c = new Choker<string>(createRandom(4), { regularSlots: 2, seedRotationMs: 60_000 });
    const peers = [
      peer('a', { uploadRate: 900, unchokedSince: 0 }),
      peer('b', { uploadRate: 800, unchokedSince: 0 }),
      peer('c', { uploadRate: 10 }),
      peer('d', { uploadRate: 5 }),
    ];
    const d = c.rechoke(peers, 70_000, true);
    assert.ok(d.unchoke.has('c') && d.unchoke.has('d'), 'waiting peers get the slots after the rotation time');
  });

  it('weights new peers three times in the optimistic draw', () => {
    const counts = { fresh: 0, old: 0 };
    for (let seed = 0; seed < 400; seed++) {
      const c = new Choker<string>(createRandom(seed), { regularSlots: 0 });
      const d = c.rechoke([peer('fresh', { connectedAt: 100_000 }), peer('old', { connectedAt: 0 })], 120_000, false);
      counts[d.optimistic as 'fresh' | 'old']++;
    }
    assert.ok(counts.fresh > 2 * counts.old, JSON.stringify(counts));
  });

  it('rejects a slot count that is not a whole number or auto', () => {
    assert.throws(() => new Choker<string>(createRandom(1), { regularSlots: -1 }), RangeError);
    assert.throws(() => new Choker<string>(createRandom(1), { regularSlots: 2.5 }), RangeError);
    assert.throws(() => new Choker<string>(createRandom(1), { regularSlots: 'auto', minAutoSlots: 0 }), RangeError);
    assert.equal(new Choker<string>(createRandom(1), { regularSlots: 0 }).slots([]), 0);
  });
});
