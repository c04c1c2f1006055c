/** `shoal sim report`: every scenario at a small size in one offline HTML report. */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadChartJs } from './chart-lib.js';
import { buildFullReport } from '../sim/scenarios/full-report.js';
import { simCommand } from './sim.js';
import { intFlag } from './sim-swarm.js';

interface Flags { peers: string; seed: string; out: string; json?: boolean }

export function registerSimReport(program: Command): void {
  simCommand(program)
    .command('report')
    .description('every scenario (swarm, freeriders, sybil, churn, search, nat) at a small size in one offline HTML report')
    .option('--peers <n>', 'leechers in the swarm scenarios', '40')
    .option('--seed <n>', 'random seed (same seed, same run)', '1')
    .option('--out <file>', 'the HTML file to write', 'shoal-report.html')
    .option('--json', 'print { out, sections, wallS, phases }')
    .action(async (flags: Flags) => {
      const r = await buildFullReport({
        seed: intFlag('seed', flags.seed, 0, Number.MAX_SAFE_INTEGER),
        peers: intFlag('peers', flags.peers, 4, 10_000),
        wallClock: () => performance.now(),
        onPhase: process.stderr.isTTY && !flags.json ? (p) => process.stderr.write(`  ${p}...\n`) : undefined,
      }, loadChartJs());
      writeFileSync(flags.out, r.html);
      const phases = r.phases.map((p) => `${p.name} ${p.wallS.toFixed(1)} s`).join(', ');
      process.stdout.write(flags.json ? JSON.stringify({ out: flags.out, sections: r.sections, wallS: r.wallS, phases: r.phases }) + '\n' : `report: ${flags.out} (${r.sections.join(', ')}; ${r.wallS.toFixed(0)} s: ${phases})\n`);
    });
}
