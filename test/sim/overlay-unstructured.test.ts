import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { floodingOverlay } from '../../src/overlays/flooding/index.js';
import { randomWalkOverlay } from '../../src/overlays/random-walk/index.js';
import { runExperiment } from '../../src/overlays/harness/experiment.js';
import type { Population } from '../../src/overlays/harness/population.js';
import type { UnstructuredNode } from '../../src/overlays/unstructured/node.js';

/** Hops from `from` to the nearest live holder of `item` along neighbour links (Infinity when none). */
function hopsToNearestHolder(pop: Population, from: number, item: number): number {
  const byKey = new Map(pop.live.map((m) => [m.key, m]));
  const dist = new Map<number, number>([[pop.members[from].key, 0]]);
  let frontier = [pop.members[from]];
  for (let d = 0; frontier.length > 0; d++) {
    const next = [];
    for (const m of frontier) {
      if (m.items.includes(item)) return d;
      const n = (m.node as unknown as UnstructuredNode).neighbours;
      for (let i = 0; i < n.degree; i++) {
        const k = n.keys[i];
        const nb = byKey.get(k);
        if (nb !== undefined && !dist.has(k)) {
          dist.set(k, d + 1);
          next.push(nb);
        }
      }
    }
    frontier = next;
  }
  return Infinity;
}

describe('flooding', () => {
  it('finds every item that has a copy within the TTL horizon', async () => {
    const ttl = 3;
    let within = 0;
    let beyond = 0;
    const distance = new Map<object, number>();
    const r = await runExperiment(floodingOverlay({ floodTtl: ttl }), {
      nodes: 1000,
      queries: 300,
      seed: 31,
      settleMs: 20_000,
      catalogue: { copiesPerNode: 2, replication: 'uniform' },
      onIssue: (rec, pop) => void distance.set(rec, hopsToNearestHolder(pop, rec.querier, rec.item)),
      onResult: (rec) => {
        const d = distance.get(rec)!;
        if (d <= ttl) {
          within++;
          assert.ok(rec.success, `item ${rec.item} is ${d} hops away but was not found`);
          assert.ok(rec.hops <= ttl);
        } else beyond++;
      },
    });
    assert.ok(within > 100 && beyond > 10, `within ${within}, beyond ${beyond}: the test must see both`);
    assert.ok(r.figures.success < 1, 'items beyond the horizon are missed');
  });

  it('sends more messages per query as the network grows', async () => {
    const small = await runExperiment(floodingOverlay(), { nodes: 1000, queries: 10, seed: 32, settleMs: 20_000 });
    const large = await runExperiment(floodingOverlay(), { nodes: 10_000, queries: 10, seed: 32, settleMs: 20_000 });
    assert.ok(large.figures.messagesPerQuery > 2 * small.figures.messagesPerQuery, `${small.figures.messagesPerQuery} -> ${large.figures.messagesPerQuery}`);
    assert.equal(small.figures.success, 1);
  });
});

describe('random walks', () => {
  it('use at least 10x fewer messages than flooding for popular items at 10,000 nodes', async () => {
    const popular = { pickItem: (random: { int(n: number): number }) => random.int(10), queries: 20, seed: 33, settleMs: 20_000, nodes: 10_000 };
    const flood = await runExperiment(floodingOverlay(), popular);
    const walk = await runExperiment(randomWalkOverlay(), popular);
    assert.equal(flood.figures.success, 1);
    assert.equal(walk.figures.success, 1);
    const ratio = flood.figures.messagesPerQuery / walk.figures.messagesPerQuery;
    assert.ok(ratio >= 10, `flooding ${flood.figures.messagesPerQuery.toFixed(0)} vs walks ${walk.figures.messagesPerQuery.toFixed(0)} messages per query: ${ratio.toFixed(1)}x`);
  });
});
