import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { SeededRandom } from '../../src/runtime/random.js';
import { drawSession, sessionMedian } from '../../src/dht/sim/sessions.js';
import { runChurnScenario } from '../../src/dht/sim/churn-scenario.js';
import { churnSection } from '../../src/dht/sim/churn-report.js';
import { CLI_PATH } from '../interop/helpers.js';

describe('heavy-tailed session lengths', () => {
  it('draws Weibull (k 0.5) and Pareto (alpha 3) sessions with the asked mean and their medians', () => {
    const random = new SeededRandom(5);
    for (const model of ['weibull', 'pareto'] as const) {
      const shape = { model, meanMs: 60_000 };
      const n = 200_000;
      const xs = Array.from({ length: n }, () => drawSession(shape, random.next()));
      const mean = xs.reduce((a, b) => a + b, 0) / n;
      assert.ok(Math.abs(mean / 60_000 - 1) < 0.05, `${model} mean ${mean}`);
      xs.sort((a, b) => a - b);
      assert.ok(Math.abs(xs[n / 2] / sessionMedian(shape) - 1) < 0.03, `${model} median ${xs[n / 2]} vs ${sessionMedian(shape)}`);
    }
    // Weibull k = 0.5, mean 60 s: scale 30 s, median 30 (ln 2)^2 s = 14.4 s; Pareto alpha 3: median 120 (2^(1/3) - 1) s = 31.2 s.
    assert.ok(Math.abs(sessionMedian({ model: 'weibull', meanMs: 60_000 }) - 30_000 * Math.LN2 ** 2) < 1);
    assert.ok(Math.abs(sessionMedian({ model: 'pareto', meanMs: 60_000 }) - 120_000 * (2 ** (1 / 3) - 1)) < 1);
  });
});

describe('DHT lookups under churn (shoal sim churn)', () => {
  it('finds announced peers under Weibull churn with repair, fewer stale entries with bucket refresh, and loses them once stored peers expire without republishing', async () => {
    const r = await runChurnScenario({ nodes: 200, announcers: 10, meanSessionMs: 20 * 60_000, durationMs: 50 * 60_000, lookupsPerWindow: 20, models: ['weibull'], seed: 3 });
    const run = (m: string) => r.runs.find((x) => x.repair === m)!;
    assert.ok(run('full').departures > 100, `${run('full').departures} departures`);
    assert.ok(r.lookupSuccess >= 0.9, `success with repair ${r.lookupSuccess}`);
    assert.equal(r.lookupSuccess, run('full').lookupSuccess);
    // Peers live 30 minutes in the store: without republishing, the windows after that find nobody.
    const late = run('none').windows.filter((w) => w.endMin > 40);
    assert.ok(late.length > 0 && late.every((w) => w.success === 0), JSON.stringify(late));
    assert.ok((r.lookupSuccessNoRepair ?? 1) < r.lookupSuccess);
    // Bucket refresh keeps the tables fresher by the end of the run.
    const lastStale = (m: string): number => run(m).windows.at(-1)!.staleEntries;
    assert.ok(lastStale('full') < lastStale('republish'), `stale ${lastStale('full')} vs ${lastStale('republish')}`);
    const html = churnSection(r);
    assert.match(html, /<svg/);
    assert.match(html, /weibull, repair: none/);
  });

  it('prints the headline lookupSuccess with --json and rejects an unknown model', () => {
    const r = spawnSync(process.execPath, [CLI_PATH, 'sim', 'churn', '--nodes', '60', '--announcers', '4', '--minutes', '10', '--lookups', '5', '--models', 'pareto', '--repair', 'full', '--json'], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { lookupSuccess: number; runs: { model: string; repair: string }[] };
    assert.ok(typeof j.lookupSuccess === 'number' && j.lookupSuccess >= 0 && j.lookupSuccess <= 1);
    assert.deepEqual(j.runs.map((x) => [x.model, x.repair]), [['pareto', 'full']]);
    const bad = spawnSync(process.execPath, [CLI_PATH, 'sim', 'churn', '--models', 'exponential'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--models/);
  });
});
