import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chordOverlay } from '../../src/overlays/chord/index.js';
import { pastryOverlay } from '../../src/overlays/pastry/index.js';
import { runExperiment } from '../../src/overlays/harness/experiment.js';

// Weibull sessions (shape 0.5, scale 30 min: median 14 min, many far shorter); each departed
// node is a crash, replaced by a newcomer. Over the 4 simulated minutes about a fifth of
// the 10,000 nodes leave, while stabilisation and repair keep running.
const churn = { nodes: 10_000, queries: 300, churn: 'weibull' as const, settleMs: 30_000, churnWarmupMs: 60_000, queryWindowMs: 180_000 };

describe('structured overlays under Weibull churn at 10,000 nodes', () => {
  it('Chord keeps success at or above 95%', async () => {
    const r = await runExperiment(chordOverlay(), { ...churn, seed: 51 });
    assert.ok(r.figures.departures > 1000, `${r.figures.departures} departures`);
    assert.ok(r.figures.success >= 0.95, `success ${r.figures.success}`);
  });

  it('Pastry keeps success at or above 95%', async () => {
    const r = await runExperiment(pastryOverlay(), { ...churn, seed: 52 });
    assert.ok(r.figures.departures > 1000, `${r.figures.departures} departures`);
    assert.ok(r.figures.success >= 0.95, `success ${r.figures.success}`);
  });
});
