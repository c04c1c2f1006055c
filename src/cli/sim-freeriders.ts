/**
 * `shoal sim freeriders`: free riders under tit-for-tat against a choker without incentives,
 * a BitTyrant client's gain, and free riders met again in a second torrent (reputation).
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadChartJs } from './chart-lib.js';
import { FREE_RIDER_RUNS, runFreeRiders, type FreeRiderRunName } from '../sim/scenarios/freeriders.js';
import { formatFreeRiders, freeRidersSection } from '../sim/scenarios/freeriders-report.js';
import { renderPage } from '../sim/scenarios/report-html.js';
import { UsageError } from './errors.js';
import { simCommand } from './sim.js';
import { intFlag, numFlag } from './sim-swarm.js';

interface Flags { peers: string; share: string; fileMib: string; probes?: string; runs: string; seed: string; out?: string; json?: boolean }

export function registerSimFreeRiders(program: Command): void {
  simCommand(program)
    .command('freeriders')
    .description("free riders' completion time over contributors' (tit-for-tat, no incentive, reputation across torrents) and a BitTyrant client's speed-up")
    .option('--peers <n>', 'leechers', '100')
    .option('--share <x>', 'share of leechers that upload nothing (0.1–0.5)', '0.2')
    .option('--file-mib <n>', 'file size, MiB', '4')
    .option('--probes <n>', 'contributors on 1 Mbit/s links measured as regular clients and as tyrants (default peers / 10, at least 2)')
    .option('--runs <list>', `runs to make: ${FREE_RIDER_RUNS.join(',')}`, FREE_RIDER_RUNS.join(','))
    .option('--seed <n>', 'random seed (same seed, same run)', '1')
    .option('--out <file>', 'write an HTML report here')
    .option('--json', 'print one JSON object (freeRiderSlowdown, freeRiderSlowdownNoIncentive, tyrantSpeedup, freeRiderSlowdownReputation, runs)')
    .action(async (flags: Flags) => {
      const runs = flags.runs.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
      for (const x of runs) if (!(FREE_RIDER_RUNS as readonly string[]).includes(x)) throw new UsageError(`--runs: '${x}' is not one of ${FREE_RIDER_RUNS.join(', ')}`);
      if (runs.length === 0) throw new UsageError(`--runs needs at least one of ${FREE_RIDER_RUNS.join(', ')}`);
      if ((runs.includes('tyrant') || runs.includes('reputation')) && !runs.includes('tit-for-tat')) throw new UsageError("--runs: 'tyrant' and 'reputation' are measured against 'tit-for-tat'; include it");
      const peers = intFlag('peers', flags.peers, 4, 100_000);
      const r = await runFreeRiders({
        peers,
        probes: flags.probes === undefined ? undefined : intFlag('probes', flags.probes, 1, peers),
        runs: runs as FreeRiderRunName[],
        freeRiderShare: numFlag('share', flags.share, 0.01, 0.9),
        fileBytes: Math.round(numFlag('file-mib', flags.fileMib, 0.0625, 4096) * 2 ** 20),
        seed: intFlag('seed', flags.seed, 0, Number.MAX_SAFE_INTEGER),
        wallClock: () => performance.now(),
      });
      if (flags.out !== undefined) writeFileSync(flags.out, renderPage('shoal sim freeriders', [freeRidersSection(r)], loadChartJs(), [`shoal sim freeriders --peers ${flags.peers} --share ${flags.share} --seed ${flags.seed}`]));
      process.stdout.write(flags.json ? JSON.stringify(r) + '\n' : formatFreeRiders(r) + (flags.out !== undefined ? `report: ${flags.out}\n` : ''));
    });
}
