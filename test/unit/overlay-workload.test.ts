import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/runtime/random.js';
import { ZipfDistribution } from '../../src/overlays/workload/zipf.js';
import { Catalogue } from '../../src/overlays/workload/catalogue.js';
import { paretoCapacity } from '../../src/overlays/workload/capacity.js';
import { weibull, weibullMedian } from '../../src/overlays/workload/churn.js';
import { mean, percentile, topShare } from '../../src/overlays/workload/stats.js';

describe('the overlay workload', () => {
  it('draws Zipf popularity with the right head', () => {
    const z = new ZipfDistribution(1000, 1);
    const r = new SeededRandom(1);
    const counts = new Int32Array(1000);
    for (let i = 0; i < 200_000; i++) counts[z.sample(r)]++;
    assert.ok(Math.abs(counts[0] / 200_000 - z.probability(0)) < 0.005);
    assert.ok(Math.abs(counts[1] / counts[0] - 0.5) < 0.03, 'p(2) / p(1) = 1/2 at s = 1');
  });

  it('replicates popular items more under proportional replication, on distinct nodes', () => {
    const c = new Catalogue({ items: 100, copiesPerNode: 5, replication: 'proportional' });
    const counts = c.replicaCounts(1000);
    assert.ok(counts[0] > counts[50] && counts[99] >= 1);
    const placed = c.place(1000, new SeededRandom(2));
    const perItem = new Int32Array(100);
    for (const items of placed) {
      assert.equal(new Set(items).size, items.length);
      for (const it of items) perItem[it]++;
    }
    assert.deepEqual(Array.from(perItem), Array.from(counts));
    const u = new Catalogue({ items: 100, copiesPerNode: 5, replication: 'uniform' }).replicaCounts(1000);
    assert.ok(u.every((x) => x === 50));
  });

  it('draws heavy-tailed capacities and Weibull sessions with the stated median', () => {
    const r = new SeededRandom(3);
    const caps = Array.from({ length: 100_000 }, () => paretoCapacity(r, 1.2));
    assert.ok(caps.every((c) => c >= 1));
    const above5 = caps.filter((c) => c > 5).length / caps.length;
    assert.ok(Math.abs(above5 - 5 ** -1.2) < 0.01);
    const s = Array.from({ length: 100_000 }, () => weibull(r, 0.5, 1000));
    assert.ok(Math.abs(percentile(s, 50) / weibullMedian(0.5, 1000) - 1) < 0.03);
  });

  it('summarises: mean, nearest-rank percentiles, top share', () => {
    assert.equal(mean([1, 2, 3]), 2);
    assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
    assert.equal(percentile([1, 2, 3, 4], 95), 4);
    assert.equal(topShare([1, 1, 1, 7], 1), 0.7);
  });
});
