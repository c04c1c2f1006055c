/**
 * `shoal sim search`: keyword search on the unstructured and super-peer overlays, swept over
 * reach and replication, each run's success beside the coverage formula's, as a table or `--json`.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { runSearch, SEARCH_DEFAULTS, type SearchResult } from '../overlays/harness/search.js';
import { loadChartJs } from './chart-lib.js';
import { renderPage } from '../sim/scenarios/report-html.js';
import { searchSection } from '../sim/scenarios/search-report.js';
import { UsageError } from './errors.js';
import { simCommand } from './sim.js';

interface SearchFlags {
  nodes: string;
  replication: string;
  floodTtl: string;
  walkSteps: string;
  walkers: string;
  superTtl: string;
  queries: string;
  seed: string;
  out?: string;
  json?: boolean;
}

const csv = (xs: readonly number[]) => xs.join(',');

export function registerSimSearch(program: Command): void {
  simCommand(program)
    .command('search')
    .description('keyword search over flooding, random walks and super-peers: success against reach and replication, beside the coverage formula, and messages per query')
    .option('--nodes <n>', 'simulated nodes', String(SEARCH_DEFAULTS.nodes))
    .option('--replication <list>', 'copies of each item as a share of the nodes', csv(SEARCH_DEFAULTS.replication))
    .option('--flood-ttl <list>', 'flooding TTLs', csv(SEARCH_DEFAULTS.floodTtl))
    .option('--walk-steps <list>', 'steps per random walker', csv(SEARCH_DEFAULTS.walkSteps))
    .option('--walkers <n>', 'random walkers per query', String(SEARCH_DEFAULTS.walkers))
    .option('--super-ttl <list>', 'super-peer TTLs (hops among super-peers)', csv(SEARCH_DEFAULTS.superTtl))
    .option('--queries <n>', 'queries per run', String(SEARCH_DEFAULTS.queries))
    .option('--seed <n>', 'random seed (same seed, same run)', String(SEARCH_DEFAULTS.seed))
    .option('--out <file>', 'write an HTML report here')
    .option('--json', 'print one JSON object: headline success and messagesPerQuery per overlay, then every run')
    .action(async (flags: SearchFlags) => {
      const num = (name: string, v: string, min: number, max: number, int: boolean): number => {
        const x = Number(v);
        if (v.trim() === '' || !Number.isFinite(x) || x < min || x > max || (int && !Number.isInteger(x))) {
          throw new UsageError(`--${name}: '${v}' is not ${int ? 'a whole number' : 'a number'} in ${min}..${max}`);
        }
        return x;
      };
      const list = (name: string, v: string, min: number, max: number, int: boolean) => v.split(',').map((x) => num(name, x, min, max, int));
      const nodes = num('nodes', flags.nodes, 10, 100_000, true);
      const result = await runSearch({
        nodes,
        replication: list('replication', flags.replication, 1 / nodes, 1, false),
        floodTtl: list('flood-ttl', flags.floodTtl, 1, 16, true),
        walkSteps: list('walk-steps', flags.walkSteps, 1, 4096, true),
        walkers: num('walkers', flags.walkers, 1, 256, true),
        superTtl: list('super-ttl', flags.superTtl, 1, 16, true),
        queries: num('queries', flags.queries, 1, 1_000_000, true),
        seed: num('seed', flags.seed, 0, Number.MAX_SAFE_INTEGER, true),
      }, {
        wallClock: () => performance.now(),
        onProgress: process.stderr.isTTY && !flags.json ? (i, total, label) => process.stderr.write(`\r\x1b[K  run ${i + 1}/${total}: ${label}`) : undefined,
      });
      if (process.stderr.isTTY && !flags.json) process.stderr.write('\r\x1b[K');
      if (flags.out !== undefined) {
        const command = `shoal sim search --nodes ${flags.nodes} --replication ${flags.replication} --flood-ttl ${flags.floodTtl} --walk-steps ${flags.walkSteps} --walkers ${flags.walkers} --super-ttl ${flags.superTtl} --queries ${flags.queries} --seed ${flags.seed}`;
        writeFileSync(flags.out, renderPage('shoal sim search', [searchSection(result)], loadChartJs(), [command]));
      }
      process.stdout.write(flags.json ? JSON.stringify(result) + '\n' : formatSearch(result) + (flags.out !== undefined ? `report: ${flags.out}\n` : ''));
    });
}

export function formatSearch(r: SearchResult): string {
  const pct = (x: number | null) => (x === null || Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);
  const rows = [['overlay', 'replication', 'reach', 'success', 'formula', 'msgs/q', 'hops', 'lat ms', 'degree']];
  for (const x of r.runs) {
    const reach = x.reach.steps !== undefined ? `${x.reach.walkers} x ${x.reach.steps} steps` : `ttl ${x.reach.ttl}`;
    rows.push([x.overlay, `${(x.replication * 100).toFixed(2)}%`, reach, pct(x.success), pct(x.predictedSuccess), x.messagesPerQuery.toFixed(1),
      Number.isNaN(x.meanHops) ? '-' : x.meanHops.toFixed(2), Number.isNaN(x.medianLatencyMs) ? '-' : String(Math.round(x.medianLatencyMs)), x.meanDegree.toFixed(1)]);
  }
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const lines = rows.map((row) => row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  return `${lines.join('\n')}\n${r.nodes} nodes; formula: 1 - C(n-c, m)/C(n, m) for m nodes reached (flooding: a tree of the measured degree; walks: walkers x steps); wall ${(r.wallMs / 1000).toFixed(1)} s\n`;
}
