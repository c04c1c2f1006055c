/**
 * `shoal sim compare`: flooding, random walks, super-peers, Chord, Pastry and Kademlia on
 * one workload on the simulator, as a table, `--json`, or a self-contained HTML report.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import cliProgress from 'cli-progress';
import { OVERLAY_NAMES, type OverlayName } from '../overlays/types.js';
import { runComparison, toJson, type CompareResult } from '../overlays/harness/compare.js';
import type { ChurnModel } from '../overlays/harness/experiment.js';
import { renderReport } from '../overlays/report/html.js';
import { loadChartJs } from './chart-lib.js';
import { UsageError } from './errors.js';
import { simCommand } from './sim.js';

interface CompareFlags {
  overlays: string;
  nodes: string;
  queries: string;
  churn: string;
  seed: string;
  chordLookup: string;
  out?: string;
  json?: boolean;
}

export function registerSimCompare(program: Command): void {
  addCompareCommand(simCommand(program));
}

/** Adds `compare` to an existing `sim` command group. */
export function addCompareCommand(sim: Command): void {
  sim
    .command('compare')
    .description('compare flooding, random walks, super-peers, Chord, Pastry and Kademlia on one workload')
    .option('--overlays <list>', `comma-separated: ${OVERLAY_NAMES.join(',')}`, OVERLAY_NAMES.join(','))
    .option('--nodes <list>', 'network sizes, comma-separated (e.g. 1000,10000,100000)', '1000,10000')
    .option('--queries <n>', 'queries per run (Zipf popularity over the catalogue)', '500')
    .option('--churn <list>', 'none, weibull, or both as none,weibull', 'none')
    .option('--seed <n>', 'random seed (same seed, same figures)', '1')
    .option('--chord-lookup <style>', 'iterative or recursive', 'iterative')
    .option('--out <file>', 'write the HTML report here')
    .option('--json', 'print one JSON object on stdout')
    .action(async (flags: CompareFlags) => {
      await runCompare(flags);
    });
}

async function runCompare(flags: CompareFlags): Promise<void> {
  const overlays = list(flags.overlays, 'overlays').map((o) => {
    if (!(OVERLAY_NAMES as readonly string[]).includes(o)) throw new UsageError(`--overlays: unknown overlay '${o}' (choose from ${OVERLAY_NAMES.join(', ')})`);
    return o as OverlayName;
  });
  const nodes = list(flags.nodes, 'nodes').map((n) => whole(n, 'nodes', 2, 1_000_000));
  const churn = list(flags.churn, 'churn').map((c) => {
    if (c !== 'none' && c !== 'weibull') throw new UsageError(`--churn: '${c}' is not none or weibull`);
    return c as ChurnModel;
  });
  const queries = whole(flags.queries, 'queries', 1, 10_000_000);
  const seed = whole(flags.seed, 'seed', 0, Number.MAX_SAFE_INTEGER);
  if (flags.chordLookup !== 'iterative' && flags.chordLookup !== 'recursive') throw new UsageError(`--chord-lookup must be iterative or recursive`);

  const bar = process.stderr.isTTY && !flags.json ? compareProgressBar(process.stderr) : undefined;
  let started = false;
  const result = await runComparison(
    { overlays, nodes, churn, queries, seed, chordLookup: flags.chordLookup },
    {
      wallClock: () => performance.now(),
      rss: () => process.memoryUsage().rss,
      onProgress: (i, total, label, phase, fraction) => {
        if (bar === undefined) return;
        const phaseWeight = phase === 'build' ? 0 : phase === 'settle' ? 0.4 : 0.6;
        const pct = Math.round(((i + phaseWeight + fraction * (phase === 'build' ? 0.4 : phase === 'settle' ? 0.2 : 0.4)) / total) * 1000);
        if (!started) bar.start(1000, pct, { label, run: i + 1, runs: total, phase });
        else bar.update(pct, { label, run: i + 1, runs: total, phase });
        started = true;
      },
    },
  );
  bar?.stop();
  if (flags.out !== undefined) {
    const command = ['shoal sim compare', `--overlays ${overlays.join(',')}`, `--nodes ${nodes.join(',')}`, `--queries ${queries}`, `--churn ${churn.join(',')}`, `--seed ${seed}`, `--chord-lookup ${flags.chordLookup}`].join(' ');
    writeFileSync(flags.out, renderReport(result, { command, seed, queries, generated: new Date().toISOString() }, loadChartJs()));
  }
  if (flags.json) process.stdout.write(toJson(result) + '\n');
  else process.stdout.write(formatTable(result) + (flags.out !== undefined ? `report: ${flags.out}\n` : ''));
}

/**
 * The progress bar: per-mille of the whole comparison, labelled with the run it is in.
 * The run count is the `runs` payload: `{total}` is cli-progress's own token (the bar's
 * 1000 steps), which once made it print "run 3/1000" for 24 runs.
 */
export function compareProgressBar(stream: NodeJS.WritableStream, options: { noTTYOutput?: boolean } = {}): cliProgress.SingleBar {
  return new cliProgress.SingleBar(
    { format: '{label} [{bar}] {percentage}% | run {run}/{runs} {phase}', stream, hideCursor: true, ...options },
    cliProgress.Presets.shades_classic,
  );
}

function formatTable(r: CompareResult): string {
  const head = ['overlay', 'N', 'churn', 'success', 'hops', 'p95', 'msgs/q', 'lat ms', 'p95 ms', 'maint/min', 'state', 'top1%'];
  const rows = r.runs.map((x) => {
    if (x.pending !== undefined) return [x.overlay, String(x.nodes), x.churn, `pending: ${x.pending}`];
    const f = (v: number | undefined, d: number): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
    return [x.overlay, String(x.nodes), x.churn, `${f((x.success ?? NaN) * 100, 1)}%`, f(x.meanHops, 2), f(x.p95Hops, 0), f(x.messagesPerQuery, 1), f(x.medianLatencyMs, 0), f(x.p95LatencyMs, 0), f(x.maintenancePerNodeMin, 1), f(x.stateEntriesPerNode, 1), f(x.top1pctLoadShare, 3)];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => (row.length > 4 || i < 3 ? (row[i] ?? '').length : 0))));
  const fmt = (row: string[]): string => (row.length === 4 && row[3].startsWith('pending') ? row.slice(0, 3).map((c, i) => c.padEnd(widths[i])).join('  ') + '  ' + row[3] : row.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  '));
  return [fmt(head), ...rows.map(fmt), `wall ${(r.wallMs / 1000).toFixed(1)} s, peak RSS ${r.peakRssMb} MB`, ''].join('\n');
}

function list(v: string, name: string): string[] {
  const out = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  if (out.length === 0) throw new UsageError(`--${name} needs at least one value`);
  return out;
}

function whole(v: string, name: string, min: number, max: number): number {
  const x = Number(v);
  if (!Number.isInteger(x) || x < min || x > max) throw new UsageError(`--${name} must be a whole number in ${min}..${max}, got '${v}'`);
  return x;
}
