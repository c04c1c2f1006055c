/** `shoal sim freeriders`: free riders under tit-for-tat against a choker without incentives. */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadChartJs } from '../overlays/report/chart-lib.js';
import { runFreeRiders } from '../sim/scenarios/freeriders.js';
import { formatFreeRiders, freeRidersSection } from '../sim/scenarios/freeriders-report.js';
import { renderPage } from '../sim/scenarios/report-html.js';
import { simCommand } from './sim.js';
import { intFlag, numFlag } from './sim-swarm.js';

interface Flags { peers: string; share: string; fileMib: string; seed: string; out?: string; json?: boolean }

export function registerSimFreeRiders(program: Command): void {
  simCommand(program)
    .command('freeriders')
    .description("free riders' completion time over contributors' with tit-for-tat and with a choker without incentives")
    .option('--peers <n>', 'leechers', '100')
    .option('--share <x>', 'share of leechers that upload nothing (0.1–0.5)', '0.2')
    .option('--file-mib <n>', 'file size, MiB', '4')
    .option('--seed <n>', 'random seed (same seed, same run)', '1')
    .option('--out <file>', 'write an HTML report here')
    .option('--json', 'print one JSON object (freeRiderSlowdown, freeRiderSlowdownNoIncentive, runs)')
    .action(async (flags: Flags) => {
      const r = await runFreeRiders({
        peers: intFlag('peers', flags.peers, 4, 100_000),
        freeRiderShare: numFlag('share', flags.share, 0.01, 0.9),
        fileBytes: Math.round(numFlag('file-mib', flags.fileMib, 0.0625, 4096) * 2 ** 20),
        seed: intFlag('seed', flags.seed, 0, Number.MAX_SAFE_INTEGER),
        wallClock: () => performance.now(),
      });
      if (flags.out !== undefined) writeFileSync(flags.out, renderPage('shoal sim freeriders', [freeRidersSection(r)], loadChartJs(), [`shoal sim freeriders --peers ${flags.peers} --share ${flags.share} --seed ${flags.seed}`]));
      process.stdout.write(flags.json ? JSON.stringify(r) + '\n' : formatFreeRiders(r) + (flags.out !== undefined ? `report: ${flags.out}\n` : ''));
    });
}
