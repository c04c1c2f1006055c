import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { pastryOverlay } from '../../src/overlays/pastry/index.js';
import { runExperiment, type ExperimentResult } from '../../src/overlays/harness/experiment.js';

describe('Pastry on a stable network', () => {
  const runs = new Map<number, ExperimentResult>();
  before(async () => {
    for (const nodes of [1000, 10_000]) runs.set(nodes, await runExperiment(pastryOverlay(), { nodes, queries: 500, seed: 21, settleMs: 30_000 }));
  });

  it('reaches the numerically closest live node for 100% of lookups at 1,000 and 10,000 nodes', () => {
    for (const [n, r] of runs) assert.equal(r.figures.success, 1, `success at ${n}: ${r.figures.success}`);
  });

  it('takes at most 1.2 x log16 N + 1 hops on average', () => {
    for (const [n, r] of runs) {
      const bound = 1.2 * (Math.log2(n) / 4) + 1;
      assert.ok(r.figures.meanHops <= bound, `N=${n}: mean hops ${r.figures.meanHops} > ${bound.toFixed(2)}`);
      assert.ok(r.figures.meanHops >= 0.5 * (Math.log2(n) / 4), 'and it does route');
    }
  });

  it('keeps state of order log N: leaf set, table rows and neighbourhood', () => {
    const s1 = runs.get(1000)!.figures.stateEntriesPerNode;
    const s2 = runs.get(10_000)!.figures.stateEntriesPerNode;
    assert.ok(s1 > 16 && s2 > s1 && s2 < 2 * s1, `${s1} -> ${s2}`);
  });
});
