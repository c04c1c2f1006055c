/**
 * `shoal sim churn`: get_peers lookups on a simulated Mainline DHT of real nodes under
 * heavy-tailed churn (Weibull and Pareto sessions), with full, partial and no repair, and
 * (`--swarm-leechers`, 0 to skip) swarm completion under the same session model with and
 * without resume (src/sim/scenarios/swarm-churn.ts), as a table, `--json` (headlines
 * `lookupSuccess` and `swarmCompletion`) or an HTML report.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { REPAIR_MODES, runChurnScenario, type ChurnReport, type RepairMode } from '../dht/sim/churn-scenario.js';
import { renderChurnHtml } from '../dht/sim/churn-report.js';
import { SESSION_MODELS, type SessionModel } from '../dht/sim/sessions.js';
import { runSwarmCompletion, type SwarmCompletion } from '../sim/scenarios/swarm-churn.js';
import { formatSwarmCompletion, swarmCompletionHtml } from '../sim/scenarios/swarm-churn-report.js';
import { UsageError } from './errors.js';
import { simCommand } from './sim.js';

interface ChurnFlags {
  nodes: string;
  announcers: string;
  session: string;
  minutes: string;
  lookups: string;
  models: string;
  repair: string;
  rtt: string;
  seed: string;
  swarmLeechers: string;
  swarmSession: string;
  out?: string;
  json?: boolean;
}

/** Most nodes `sim churn` accepts (six full runs each; the scale benches go further). */
export const CHURN_MAX_NODES = 20_000;

export function registerSimChurn(program: Command): void {
  simCommand(program)
    .command('churn')
    .description('DHT lookups under heavy-tailed churn (Weibull, Pareto sessions), with and without bucket refresh and republishing')
    .option('--nodes <n>', 'simulated DHT nodes', '500')
    .option('--announcers <n>', 'info hashes announced (announcers stay online)', '20')
    .option('--session <minutes>', 'mean session and offline spell', '60')
    .option('--minutes <n>', 'virtual minutes of churn measured', '120')
    .option('--lookups <n>', 'get_peers lookups per 10-minute window', '30')
    .option('--models <list>', `session models: ${SESSION_MODELS.join(',')}`, SESSION_MODELS.join(','))
    .option('--repair <list>', `repair settings: ${REPAIR_MODES.join(',')}`, REPAIR_MODES.join(','))
    .option('--rtt <ms>', 'median round-trip time of the lognormal latency model', '100')
    .option('--seed <n>', 'random seed (same seed, same run)', '1')
    .option('--swarm-leechers <n>', 'leechers of the swarm half (resume, restart, no churn; 0: skip it)', '40')
    .option('--swarm-session <s>', 'swarm half: mean session and offline spell, seconds', '60')
    .option('--out <file>', 'write an HTML report here')
    .option('--json', 'print one JSON object (headlines: lookupSuccess, Weibull sessions with full repair; swarmCompletion)')
    .action(async (flags: ChurnFlags) => {
      const num = (name: string, v: string, min: number, max: number): number => {
        const x = Number(v);
        if (v.trim() === '' || !Number.isInteger(x) || x < min || x > max) throw new UsageError(`--${name}: '${v}' is not a whole number in ${min}..${max}`);
        return x;
      };
      const pick = <T extends string>(name: string, v: string, allowed: readonly T[]): T[] => {
        const out = v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
        if (out.length === 0) throw new UsageError(`--${name} needs at least one of ${allowed.join(', ')}`);
        for (const s of out) if (!(allowed as readonly string[]).includes(s)) throw new UsageError(`--${name}: '${s}' is not one of ${allowed.join(', ')}`);
        return out as T[];
      };
      const models = pick<SessionModel>('models', flags.models, SESSION_MODELS);
      const swarmLeechers = num('swarm-leechers', flags.swarmLeechers, 0, 2000);
      const swarmSessionS = num('swarm-session', flags.swarmSession, 1, 100_000);
      const dht = await runChurnScenario({
        nodes: num('nodes', flags.nodes, 20, CHURN_MAX_NODES),
        announcers: num('announcers', flags.announcers, 1, 1000),
        meanSessionMs: num('session', flags.session, 1, 100_000) * 60_000,
        durationMs: num('minutes', flags.minutes, 10, 10_000) * 60_000,
        lookupsPerWindow: num('lookups', flags.lookups, 1, 100_000),
        models,
        repair: pick<RepairMode>('repair', flags.repair, REPAIR_MODES),
        medianRttMs: num('rtt', flags.rtt, 1, 10_000),
        seed: num('seed', flags.seed, 0, Number.MAX_SAFE_INTEGER),
        wallClock: () => performance.now(),
        onProgress: process.stderr.isTTY && !flags.json ? (label, f) => process.stderr.write(`\r  ${label}: ${Math.round(f * 100)}%   `) : undefined,
      });
      if (process.stderr.isTTY && !flags.json) process.stderr.write('\n');
      // The swarm half on the headline's session model (Weibull when it ran).
      const swarmCompletion: SwarmCompletion | null = swarmLeechers === 0 ? null : await runSwarmCompletion({
        leechers: swarmLeechers, model: models.includes('weibull') ? 'weibull' : models[0], meanSessionS: swarmSessionS, seed: dht.seed,
      });
      const report = { ...dht, swarmCompletion };
      if (flags.out !== undefined) {
        const command = ['shoal sim churn', `--nodes ${report.nodes}`, `--announcers ${report.announcers}`, `--session ${flags.session}`, `--minutes ${flags.minutes}`, `--lookups ${flags.lookups}`, `--models ${flags.models}`, `--repair ${flags.repair}`, `--seed ${report.seed}`, `--swarm-leechers ${swarmLeechers}`, `--swarm-session ${swarmSessionS}`].join(' ');
        const page = renderChurnHtml(dht, { command, generated: new Date().toISOString() });
        writeFileSync(flags.out, swarmCompletion ? page.replace('</body>', `${swarmCompletionHtml(swarmCompletion)}\n</body>`) : page);
      }
      const text = formatChurn(dht) + (swarmCompletion ? formatSwarmCompletion(swarmCompletion) : '');
      process.stdout.write(flags.json ? JSON.stringify(report) + '\n' : text + (flags.out !== undefined ? `report: ${flags.out}\n` : ''));
    });
}

export function formatChurn(r: ChurnReport): string {
  const pct = (v: number | null): string => (v === null || !Number.isFinite(v) ? '-' : `${(v * 100).toFixed(1)}%`);
  const lines = [`${r.nodes} nodes, ${r.announcers} announced hashes, mean session ${r.meanSessionMin} min, seed ${r.seed}`];
  lines.push(['sessions', 'repair', 'success', 'lookups', 'ms to peer', 'departures', 'dgrams/node/min', 'success per 10 min'].join('  '));
  for (const x of r.runs) {
    lines.push([x.model.padEnd(8), x.repair.padEnd(9), pct(x.lookupSuccess).padStart(7), String(x.lookups).padStart(7), String(x.medianLatencyMs).padStart(10), String(x.departures).padStart(10), String(x.datagramsPerNodeMin).padStart(15), x.windows.map((w) => pct(w.success)).join(' ')].join('  '));
  }
  lines.push(`lookupSuccess ${pct(r.lookupSuccess)} (Weibull, full repair); without refresh ${pct(r.lookupSuccessNoRefresh)}; without repair ${pct(r.lookupSuccessNoRepair)}; wall ${(r.wallMs / 1000).toFixed(1)} s`);
  return lines.join('\n') + '\n';
}
