/**
 * `shoal sim swarm`: one seed and N leechers (real Shoal swarms, a real tracker) on the
 * simulator, against the Qiu–Srikant fluid model; rarest first against random picking.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadChartJs } from './chart-lib.js';
import { parseCapacities, type CapacityClass } from '../sim/scenarios/capacity.js';
import { renderPage } from '../sim/scenarios/report-html.js';
import { formatSwarm, swarmSection } from '../sim/scenarios/swarm-report.js';
import type { SwarmScenarioResult } from '../sim/scenarios/swarm-scenario.js';
import { measurePicker, type PickerFigures } from '../sim/scenarios/picker-compare.js';
import { UsageError } from './errors.js';
import { rerunWithFlags, simCommand, swarmNodeFlags } from './sim.js';

interface SwarmFlags {
  peers: string;
  arrival: string;
  pickers: string;
  fileMib: string;
  linger: string;
  capacities: string;
  seed: string;
  out?: string;
  json?: boolean;
}

/** Parses a whole number flag within bounds (usage error otherwise). */
export function intFlag(name: string, v: string, min: number, max: number): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isInteger(x) || x < min || x > max) throw new UsageError(`--${name}: '${v}' is not a whole number in ${min}..${max}`);
  return x;
}

export function numFlag(name: string, v: string, min: number, max: number): number {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x < min || x > max) throw new UsageError(`--${name}: '${v}' is not a number in ${min}..${max}`);
  return x;
}

export function registerSimSwarm(program: Command): void {
  simCommand(program)
    .command('swarm')
    .description('one seed and N leechers (real swarms, a real tracker) against the Qiu–Srikant fluid model')
    .option('--peers <n>', 'leechers', '1000')
    .option('--arrival <kind>', 'steady (Poisson, over 200 s) or flash (all within 10 s)', 'steady')
    .option('--pickers <list>', 'piece pickers to run: rarest, random (the first is the headline)', 'rarest,random')
    .option('--file-mib <n>', 'file size, MiB', '4')
    .option('--capacities <mix>', "leechers' links: bharambe (Bharambe et al. 2006) or DOWN/UP[@SHARE],... in bit/s, e.g. 2M/512k for identical peers", 'bharambe')
    .option('--linger <s>', 'mean time a finished peer keeps seeding (0: leaves at once)', '0')
    .option('--seed <n>', 'random seed (same seed, same run)', '1')
    .option('--out <file>', 'write an HTML report here')
    .option('--json', 'print one JSON object (peers, meanCompletionS, fluidMeanCompletionS, wallS, ...)')
    .action(async (flags: SwarmFlags) => {
      const peers = intFlag('peers', flags.peers, 2, 100_000);
      if (flags.arrival !== 'steady' && flags.arrival !== 'flash') throw new UsageError(`--arrival: '${flags.arrival}' is not steady or flash`);
      const pickers = flags.pickers.split(',').map((p) => p.trim());
      for (const p of pickers) if (p !== 'rarest' && p !== 'random') throw new UsageError(`--pickers: '${p}' is not rarest or random`);
      let capacities: CapacityClass[];
      try {
        capacities = parseCapacities(flags.capacities);
      } catch (e) {
        throw new UsageError(`--capacities: ${(e as Error).message}`);
      }
      const fileBytes = Math.round(numFlag('file-mib', flags.fileMib, 0.0625, 4096) * 2 ** 20);
      const lingerMeanS = numFlag('linger', flags.linger, 0, 86_400);
      const seed = intFlag('seed', flags.seed, 0, Number.MAX_SAFE_INTEGER);
      // The flags checked, the run goes to a child Node with a heap sized to it (sim.ts `swarmNodeFlags`).
      rerunWithFlags(swarmNodeFlags(peers));
      const runs: SwarmScenarioResult[] = [];
      const figures: PickerFigures[] = [];
      for (const picker of pickers as ('rarest' | 'random')[]) {
        const m = await measurePicker({
          peers, arrival: flags.arrival, capacities,
          fileBytes, lingerMeanS, seed,
          wallClock: () => performance.now(),
        }, picker);
        runs.push(m.result);
        figures.push(m.figures);
      }
      if (flags.out !== undefined) writeFileSync(flags.out, renderPage('shoal sim swarm', [swarmSection(runs)], loadChartJs(), [`shoal sim swarm --peers ${peers} --arrival ${flags.arrival} --capacities ${flags.capacities} --seed ${flags.seed}`]));
      process.stdout.write(flags.json ? JSON.stringify({ ...swarmJson(runs), pickers: figures }) + '\n' : formatSwarm(runs) + figures.map(formatPickerFigures).join('') + (flags.out !== undefined ? `report: ${flags.out}\n` : ''));
    });
}

/** The headline (first picker) at the top level, every run's figures under `runs`, no per-peer records. */
export function swarmJson(runs: readonly SwarmScenarioResult[]): Record<string, unknown> {
  const strip = ({ records: _records, ...rest }: SwarmScenarioResult) => rest;
  return { ...strip(runs[0]), runs: runs.map(strip) };
}

/** One picker's availability line: the origin's pieces out, the rarest piece's copies (picker-compare.ts). */
function formatPickerFigures(f: PickerFigures): string {
  return `${f.picker.padEnd(7)} every piece out of the origin at ${f.allOutS.toFixed(1)} s (${f.originCopiesAtAllOut.toFixed(2)} origin copies of the file), rarest piece ${f.meanMinLeecherCopies.toFixed(1)} copies among leechers (${(f.originOnlyShare * 100).toFixed(0)}% of samples: only at the origin), slowest ${f.maxCompletionS.toFixed(0)} s\n`;
}
