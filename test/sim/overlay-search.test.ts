import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { coverageSuccess, floodReach, runSearch, type SearchResult } from '../../src/overlays/harness/search.js';
import { CLI_PATH, makeTempDir, removeDir } from '../interop/helpers.js';

describe('keyword search scenario (shoal sim search)', () => {
  it('computes the coverage formula exactly for distinct nodes', () => {
    assert.equal(coverageSuccess(3, 300, 300), 1, 'reaching every node finds a holder');
    assert.equal(coverageSuccess(3, 0, 300), 0);
    assert.ok(Math.abs(coverageSuccess(10, 50, 1000) - (1 - Math.pow(0.99, 50))) < 0.02, 'close to 1 - (1 - r)^m while m << n');
    assert.equal(floodReach(2, 4, 1000), 1 + 4 + 12);
    assert.equal(floodReach(9, 4, 100), 100);
  });

  it('finds more with more reach, and random walks pay fewer messages than flooding for the same success', async () => {
    const r = await runSearch({
      nodes: 200, replication: [0.02], floodTtl: [1, 3], walkSteps: [2, 32], walkers: 16, superTtl: [1, 2], queries: 60, seed: 7,
      headline: { floodTtl: 3, walkSteps: 32, superTtl: 2 },
    }, { wallClock: () => 0 });
    const run = (overlay: string, key: 'ttl' | 'steps', v: number) => {
      const x = r.runs.find((y) => y.overlay === overlay && y.reach[key] === v);
      assert.ok(x, `${overlay} ${key} ${v} ran`);
      return x;
    };
    const f1 = run('flooding', 'ttl', 1), f3 = run('flooding', 'ttl', 3);
    const w2 = run('random-walk', 'steps', 2), w32 = run('random-walk', 'steps', 32);
    const s1 = run('super-peer', 'ttl', 1), s2 = run('super-peer', 'ttl', 2);
    assert.ok(f3.success > f1.success && w32.success > w2.success && s2.success >= s1.success, 'success grows with reach');
    assert.ok(f3.messagesPerQuery > 5 * f1.messagesPerQuery, 'flooding traffic grows with its TTL');
    assert.ok(f3.success >= 0.9 && w32.success >= 0.9, `both find nearly everything (flood ${f3.success}, walk ${w32.success})`);
    // At 200 nodes a TTL-3 flood already covers the network; the gap widens with size (docs/simulator.md).
    assert.ok(w32.messagesPerQuery < f3.messagesPerQuery, `walks ${w32.messagesPerQuery} msgs/q against flooding ${f3.messagesPerQuery}`);
    for (const x of [f1, f3, w2, w32]) {
      assert.ok(x.predictedSuccess !== null && Math.abs(x.predictedSuccess - x.success) < 0.25, `${x.overlay} ${JSON.stringify(x.reach)}: measured ${x.success} against the formula's ${x.predictedSuccess}`);
    }
    assert.equal(r.success.flooding, f3.success);
    assert.equal(r.messagesPerQuery['random-walk'], w32.messagesPerQuery);
    assert.equal(r.success['super-peer'], s2.success);
  });

  it('prints the headline figures per overlay with --json, writes the HTML section with --out, and refuses a bad list', () => {
    const args = ['sim', 'search', '--nodes', '60', '--replication', '0.05', '--flood-ttl', '2', '--walk-steps', '8', '--walkers', '4', '--super-ttl', '1', '--queries', '10'];
    const tmp = makeTempDir('shoal-sim-search-');
    const out = join(tmp, 'search.html');
    const ok = spawnSync(process.execPath, [CLI_PATH, ...args, '--json', '--out', out], { encoding: 'utf8', timeout: 120_000 });
    assert.equal(ok.status, 0, ok.stderr);
    const html = readFileSync(out, 'utf8');
    removeDir(tmp);
    assert.match(html, /<section id="search"/);
    assert.match(html, /coverage formula/);
    assert.match(html, /Lv et al\./);
    const j = JSON.parse(ok.stdout) as SearchResult;
    assert.deepEqual(Object.keys(j.success).sort(), ['flooding', 'random-walk', 'super-peer']);
    assert.deepEqual(Object.keys(j.messagesPerQuery).sort(), ['flooding', 'random-walk', 'super-peer']);
    assert.equal(j.runs.length, 3);
    // The sweep leaves out the default headline reaches (TTL 4, 32 steps, TTL 2): the headline is
    // then the nearest swept run, never null (JSON's NaN; `null >= 0` held, so this once passed).
    assert.deepEqual(j.headlineReach, { flooding: 2, 'random-walk': 8, 'super-peer': 1 });
    for (const run of j.runs) {
      assert.equal(typeof j.success[run.overlay], 'number', `success.${run.overlay}`);
      assert.equal(j.success[run.overlay], run.success, `success.${run.overlay} is its run's`);
      assert.equal(j.messagesPerQuery[run.overlay], run.messagesPerQuery, `messagesPerQuery.${run.overlay} is its run's`);
      assert.ok(run.success >= 0 && run.success <= 1 && run.messagesPerQuery > 0);
    }
    const bad = spawnSync(process.execPath, [CLI_PATH, 'sim', 'search', '--flood-ttl', '2,x'], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /--flood-ttl: 'x' is not a whole number/);
  });
});
