import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { Simulator } from '../../src/sim/index.js';
import { chordOverlay, ChordNode } from '../../src/overlays/chord/index.js';
import { runExperiment, type ExperimentResult } from '../../src/overlays/harness/experiment.js';
import { AddressTable } from '../../src/overlays/common/addresses.js';
import { OverlayCounters } from '../../src/overlays/common/counters.js';
import { cw, inHalfOpen } from '../../src/overlays/common/ring.js';
import { bindAll } from './helpers.js';

describe('Chord on a stable network', () => {
  const runs = new Map<number, ExperimentResult>();
  before(async () => {
    for (const nodes of [1000, 10_000]) runs.set(nodes, await runExperiment(chordOverlay(), { nodes, queries: 500, seed: 11, settleMs: 30_000 }));
  });

  it('reaches the node truly responsible for 100% of lookups at 1,000 and 10,000 nodes', () => {
    for (const [n, r] of runs) {
      assert.equal(r.figures.queries, 500, `${n}`);
      assert.equal(r.figures.success, 1, `success at ${n}: ${r.figures.success}`);
    }
  });

  it('takes 0.4 to 0.7 x log2 N hops on average', () => {
    for (const [n, r] of runs) {
      const ratio = r.figures.meanHops / Math.log2(n);
      assert.ok(ratio >= 0.4 && ratio <= 0.7, `N=${n}: mean hops ${r.figures.meanHops} = ${ratio.toFixed(3)} log2 N`);
    }
  });

  it('uses messages per query that grow no faster than log N', () => {
    const small = runs.get(1000)!.figures.messagesPerQuery / Math.log2(1000);
    const large = runs.get(10_000)!.figures.messagesPerQuery / Math.log2(10_000);
    assert.ok(large <= 1.2 * small, `messages / log2 N: ${small.toFixed(2)} at 1k, ${large.toFixed(2)} at 10k`);
  });

  it('reaches the responsible node with recursive lookups too', async () => {
    const r = await runExperiment(chordOverlay({ lookup: 'recursive' }), { nodes: 1000, queries: 300, seed: 12, settleMs: 30_000 });
    assert.equal(r.figures.success, 1);
    assert.ok(r.figures.medianLatencyMs < runs.get(1000)!.figures.medianLatencyMs, 'one way per hop beats a round trip per hop');
  });
});

describe('Chord keys', () => {
  it('moves keys to a node that joins and to the successor of a node that leaves', async () => {
    const sim = new Simulator({ seed: 5 });
    const hosts = Array.from({ length: 21 }, () => sim.createHost());
    const eps = await bindAll(sim, hosts, 7000);
    const addresses = new AddressTable();
    const counters = new OverlayCounters();
    const nodes = hosts.map((h, i) => new ChordNode(h.runtime, eps[i], { index: i, counters, addresses, capacity: 1 }, { stabiliseMs: 1000 }));
    const ring = nodes.slice(0, 20);
    ring[0].join([]);
    for (let i = 1; i < 20; i++) sim.schedule(i * 200, () => ring[i].join([ring[0].address]));
    sim.runForSync(60_000);
    const value = Uint8Array.of(1, 2, 3);
    const keys = Array.from({ length: 200 }, (_, i) => Math.floor((i * 2 ** 48) / 200) + 12345);
    let stored = 0;
    for (const k of keys) ring[k % 20 | 0].put(k, value, (ok) => void (ok && stored++));
    sim.runForSync(10_000);
    assert.equal(stored, 200);
    const owner = (members: ChordNode[], k: number): ChordNode => members.reduce((best, n) => (cw(k, n.id) < cw(k, best.id) ? n : best));
    const check = (members: ChordNode[]): void => {
      for (const k of keys) assert.ok(owner(members, k).store.has(k), `key ${k} at its successor`);
    };
    check(ring);
    // A node joins: the keys in (predecessor, newcomer] move to it.
    const newcomer = nodes[20];
    newcomer.join([ring[3].address]);
    sim.runForSync(20_000);
    const grown = [...ring, newcomer];
    check(grown);
    const moved = keys.filter((k) => owner(grown, k) === newcomer);
    assert.ok(moved.length > 0 && moved.every((k) => newcomer.store.has(k)));
    // It leaves gracefully: they move on to its successor.
    newcomer.leave();
    sim.runForSync(20_000);
    check(ring);
    let fetched = 0;
    for (const k of keys.slice(0, 50)) ring[7].get(k, (v) => void (v !== null && v[2] === 3 && fetched++));
    sim.runForSync(10_000);
    assert.equal(fetched, 50);
    assert.ok(moved.every((k) => inHalfOpen(k, -1, 2 ** 48) && owner(ring, k).store.has(k)));
  });
});
