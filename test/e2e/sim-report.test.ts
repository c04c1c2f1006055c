/**
 * `shoal sim report` in headless Chromium (Debian's chromium via playwright-core): the
 * report opens from a file with the network blocked, draws every chart without a page
 * error, labels every series, starts every axis at zero unless its title says otherwise,
 * and carries all six scenarios (churn in two sections: the DHT's as inline SVG charts, from `shoal sim churn`, and swarm completion).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { REPO_ROOT, makeTempDir, removeDir } from '../interop/helpers.js';

const CHROMIUM = process.env.SHOAL_CHROMIUM ?? '/usr/bin/chromium';
const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');
const ARTIFACTS = join(REPO_ROOT, 'test-artifacts', 'browser');
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed (Debian package chromium)`;

interface ChartFacts {
  title: string;
  labels: string[];
  points: number;
  axes: { id: string; beginAtZero: boolean; title: string; min: number }[];
  width: number;
}

describe('shoal sim report in Chromium', { skip }, () => {
  let tmp: string, out: string;
  let browser: Browser;

  before(async () => {
    tmp = makeTempDir('shoal-sim-report-');
    out = join(tmp, 'report.html');
    const r = spawnSync(process.execPath, [CLI, 'sim', 'report', '--peers', '12', '--seed', '2', '--out', out, '--json'], { encoding: 'utf8', timeout: 600_000 });
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { sections: string[] };
    assert.deepEqual(j.sections, ['swarm', 'freeriders', 'sybil', 'churn', 'swarm-churn', 'search', 'nat']);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    removeDir(tmp);
  });

  it('draws every chart offline, every series labelled, axes from zero unless marked', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    // Playwright's 30 s default ran out once at load 14 on the shared 2-core machine (session 12).
    page.setDefaultTimeout(120_000);
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith('file:')) return route.continue();
      requests.push(url);
      return route.abort();
    });
    await page.goto(pathToFileURL(out).href);
    await page.waitForFunction(() => Array.isArray((globalThis as unknown as { shoalCharts?: unknown[] }).shoalCharts));
    const charts = await page.evaluate(() => {
      type C = { options: { plugins: { title: { text: string } } }; data: { datasets: { label: string; data: unknown[] }[] }; scales: Record<string, { options: { beginAtZero: boolean; title: { text: string } }; min: number }>; width: number };
      return ((globalThis as unknown as { shoalCharts: C[] }).shoalCharts).map((c) => ({
        title: c.options.plugins.title.text,
        labels: c.data.datasets.map((d) => d.label),
        points: c.data.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null).length, 0),
        axes: Object.entries(c.scales).map(([id, s]) => ({ id, beginAtZero: s.options.beginAtZero, title: s.options.title.text, min: s.min })),
        width: c.width,
      }));
    }) as ChartFacts[];
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'sim-report.png'), fullPage: true });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [], 'the report fetches nothing');
    assert.ok(charts.length >= 9, `${charts.length} charts`);
    for (const c of charts) {
      assert.ok(c.width > 0, `${c.title}: drawn`);
      assert.ok(c.points > 0, `${c.title}: has data`);
      for (const l of c.labels) assert.ok(typeof l === 'string' && l.trim().length > 0, `${c.title}: a series without a label`);
      for (const a of c.axes) {
        if (a.id !== 'y' && a.id !== 'x') continue;
        if (a.id === 'x' && !a.beginAtZero) continue; // category axes
        if (a.title.includes('not from zero')) continue;
        assert.ok(a.beginAtZero && a.min <= 0, `${c.title}: axis ${a.id} starts at ${a.min}`);
      }
    }
    const sections = await page.$$eval('section', (els) => els.map((e) => e.id));
    assert.deepEqual(sections, ['swarm', 'freeriders', 'sybil', 'churn', 'swarm-churn', 'search', 'nat']);
    // Each figure beside its published anchor: every section has a Chart.js chart with a dashed
    // (anchor) series; the DHT churn section's SVG charts are followed by two (churn-anchors.ts).
    const anchored = await page.$$eval('section', (els) => {
      type C = { data: { datasets: { borderDash?: number[] }[] } };
      const charts = (globalThis as unknown as { shoalCharts: C[] }).shoalCharts;
      return els.map((sec) => ({
        id: sec.id,
        anchors: [...sec.querySelectorAll('canvas')].filter((c) => charts[Number(c.id.replace('chart-', ''))].data.datasets.some((d) => (d.borderDash?.length ?? 0) > 0)).length,
      }));
    });
    for (const { id, anchors } of anchored) assert.ok(anchors >= 1, `${id}: no chart with a published anchor`);
    // The churn section is the DHT churn scenario's, not a placeholder: two SVG charts with a labelled series per run.
    const churn = await page.$eval('#churn', (el) => ({ text: el.textContent ?? '', svgs: el.querySelectorAll('svg').length, lines: el.querySelectorAll('polyline').length }));
    assert.ok(!churn.text.includes('pending'), 'churn is not a placeholder');
    assert.match(churn.text, /lookup success/);
    assert.match(churn.text, /Rhea et al/);
    assert.match(churn.text, /Jimenez et al/);
    assert.equal(churn.svgs, 2);
    assert.ok(churn.lines >= 2);
    const freeriders = await page.$eval('#freeriders', (el) => el.textContent ?? '');
    assert.match(freeriders, /BitTyrant/);
    assert.match(freeriders, /second torrent/);
  });
});
