/** `shoal sim nat`: a swarm behind NATs with no traversal, port mapping, and hole punching. */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadChartJs } from '../overlays/report/chart-lib.js';
import { formatNat, natSection } from '../sim/scenarios/nat-report.js';
import { runNatScenario } from '../sim/scenarios/nat-scenario.js';
import { renderPage } from '../sim/scenarios/report-html.js';
import { simCommand } from './sim.js';
import { intFlag, numFlag } from './sim-swarm.js';

interface Flags { peers: string; fileMib: string; seed: string; out?: string; json?: boolean }

export function registerSimNat(program: Command): void {
  simCommand(program)
    .command('nat')
    .description('a swarm behind a measured NAT mix: connectable pairs and completion with no traversal, port mapping and hole punching')
    .option('--peers <n>', 'leechers', '1000')
    .option('--file-mib <n>', 'file size, MiB', '2')
    .option('--seed <n>', 'random seed (same seed, same run)', '1')
    .option('--out <file>', 'write an HTML report here')
    .option('--json', 'print one JSON object (runs: traversal, connectablePairs, meanCompletionS)')
    .action(async (flags: Flags) => {
      const r = await runNatScenario({
        peers: intFlag('peers', flags.peers, 2, 100_000),
        fileBytes: Math.round(numFlag('file-mib', flags.fileMib, 0.0625, 4096) * 2 ** 20),
        seed: intFlag('seed', flags.seed, 0, Number.MAX_SAFE_INTEGER),
        wallClock: () => performance.now(),
      });
      if (flags.out !== undefined) writeFileSync(flags.out, renderPage('shoal sim nat', [natSection(r)], loadChartJs(), [`shoal sim nat --peers ${flags.peers} --seed ${flags.seed}`]));
      process.stdout.write(flags.json ? JSON.stringify(r) + '\n' : formatNat(r) + (flags.out !== undefined ? `report: ${flags.out}\n` : ''));
    });
}
