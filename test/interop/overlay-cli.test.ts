import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(import.meta.dirname, '..', '..', 'src', 'cli', 'main.js');

function shoal(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('shoal sim compare', () => {
  it('prints one JSON object with a row per overlay and size, and writes an offline HTML report', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-compare-'));
    try {
      const out = join(dir, 'report.html');
      const r = shoal('sim', 'compare', '--overlays', 'flooding,chord,pastry', '--nodes', '200,400', '--queries', '20', '--seed', '3', '--json', '--out', out);
      assert.equal(r.status, 0, r.stderr);
      const j = JSON.parse(r.stdout) as { runs: Record<string, unknown>[]; wallMs: number; peakRssMb: number };
      assert.equal(j.runs.length, 6);
      for (const run of j.runs) {
        for (const k of ['overlay', 'nodes', 'churn', 'success', 'meanHops', 'p95Hops', 'messagesPerQuery', 'medianLatencyMs', 'p95LatencyMs', 'maintenancePerNodeMin', 'stateEntriesPerNode', 'top1pctLoadShare']) assert.ok(k in run, `${k} in ${JSON.stringify(run)}`);
        assert.equal(run.success, 1);
      }
      assert.ok(j.wallMs > 0 && j.peakRssMb > 0);
      const html = readFileSync(out, 'utf8');
      assert.ok(html.includes('<canvas id="hops"') && html.includes('Chart.js v4'), 'charts with the bundled library');
      assert.ok(!/<script[^>]+src=/i.test(html) && !/https?:\/\/[^"' ]+\.js/.test(html.replace(/https:\/\/www\.chartjs\.org/g, '')), 'no external scripts');
      assert.ok(html.includes('--seed 3'), 'the command that reproduces it');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects an unknown overlay as a usage error', () => {
    const r = shoal('sim', 'compare', '--overlays', 'napster');
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown overlay 'napster'/);
  });
});
