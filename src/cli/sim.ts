/**
 * `shoal sim ...`: scenarios on the discrete-event simulator. This file owns the `sim`
 * command group (`simCommand`) and its `dht` subcommand; other subcommands register
 * themselves on the same group from their own files (e.g. `registerSimCompare`).
 */
import type { Command } from 'commander';
import { spawnSync } from 'node:child_process';
import { totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { resourceUsage } from 'node:process';
import { runDhtSimulation, type DhtSimReport } from '../dht/sim/run.js';
import { UsageError } from './errors.js';
import { registerSimSwarm } from './sim-swarm.js';
import { registerSimFreeRiders } from './sim-freeriders.js';
import { registerSimNat } from './sim-nat.js';
import { registerSimReport } from './sim-report.js';

/** The `sim` command group, created on first use. */
export function simCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'sim')
    ?? program.command('sim').description('run scenarios on the discrete-event simulator (virtual time, real protocol code)');
}

interface SimDhtFlags {
  nodes: string;
  lookups: string;
  churn: string;
  unresponsive: string;
  seed: string;
  rtt: string;
  json?: boolean;
}

export function registerSim(program: Command): void {
  registerScenarioCommands(program);
  simCommand(program)
    .command('dht')
    .description('build an N-node Mainline DHT on the simulator and measure get_peers lookups')
    .option('--nodes <n>', 'simulated DHT nodes', '1000')
    .option('--lookups <n>', 'lookups to run (each for an info hash announced by another node)', '100')
    .option('--churn <fraction>', 'share of nodes that leave (and come back) during the lookups, Weibull sessions', '0.1')
    .option('--unresponsive <fraction>', 'share of nodes behind NATs that never answer strangers', '0.2')
    .option('--rtt <ms>', 'median round-trip time of the lognormal latency model', '100')
    .option('--seed <n>', 'random seed (same seed, same run)', '1')
    .option('--json', 'print one JSON object')
    .action(async (flags: SimDhtFlags) => {
      const num = (name: string, v: string, min: number, max: number, int = false): number => {
        const x = Number(v);
        if (!Number.isFinite(x) || x < min || x > max || (int && !Number.isInteger(x))) throw new UsageError(`--${name} must be ${int ? 'a whole number' : 'a number'} in ${min}..${max}, got '${v}'`);
        return x;
      };
      const nodes = num('nodes', flags.nodes, 2, 1_000_000, true);
      const lookups = num('lookups', flags.lookups, 1, 1_000_000, true);
      if (nodes >= BIG_SIM) rerunTuned(nodes);
      const report = await runDhtSimulation({
        nodes, lookups,
        churn: num('churn', flags.churn, 0, 0.99),
        unresponsive: num('unresponsive', flags.unresponsive, 0, 0.9),
        medianRttMs: num('rtt', flags.rtt, 1, 10_000),
        seed: num('seed', flags.seed, 0, Number.MAX_SAFE_INTEGER, true),
        wallClock: () => performance.now(),
        peakRss: () => resourceUsage().maxRSS * 1024,
        onPhase: process.stderr.isTTY && !flags.json ? (p, d) => process.stderr.write(`  ${p} done (${d})\n`) : undefined,
      });
      process.stdout.write(flags.json ? JSON.stringify(report) + '\n' : formatReport(report));
    });
}

/** The swarm-side scenarios, one line each (their code: src/sim/scenarios/, CLI: sim-<name>.ts). */
function registerScenarioCommands(program: Command): void {
  registerSimSwarm(program);
  registerSimFreeRiders(program);
  registerSimNat(program);
  registerSimReport(program);
}

export const BIG_SIM = 20_000;
const CHILD_MARK = 'SHOAL_SIM_TUNED';

/**
 * V8 flags for a big simulation: a bigger young generation (most simulation garbage then
 * dies young instead of being promoted and traced by full collections on a multi-gigabyte
 * heap; about a quarter less CPU at 30,000 nodes than V8's default), an old generation sized
 * for the network, and a heap that grows by 30% over what a full collection left (V8's own
 * factor lets the heap reach 2-3x the live data: 66 KB per node at 50,000 nodes against 44 KB
 * with this, for about a tenth more CPU).
 * The young generation's semi-spaces are 64 MB: at 20,000 nodes 128 MB took the peak from
 * 668 to 885 MB (the young generation is resident once used, and the old one grew more) for
 * no less CPU (62.2 against 59.5 s, on a loaded machine); 32 MB gave 609 MB for 11% more CPU.
 */
export function tunedNodeFlags(nodes: number): string[] {
  const heapMb = oldSpaceMb(1024 + Math.ceil(nodes * 0.08));
  return ['--max-semi-space-size=64', `--max-old-space-size=${heapMb}`, '--heap-growing-percent=30'];
}

/**
 * V8 flags for a swarm simulation of `peers` leechers (`shoal sim swarm`, bench/sim-swarm):
 * - semi-spaces of 64 MB, not V8's 16: most of the garbage (messages, events, segments in
 *   flight) dies young, and with the default it is copied by four times as many scavenges
 *   (about 13% less CPU at 200 peers); 64 MB from the start (V8 otherwise starts them small
 *   and shrinks them again after full collections): at 500 peers 137 -> 112 scavenges, their
 *   time 12.0 / 6.7 -> 7.1 / 4.0 s, CPU 59.7 / 47.8 -> 50.5 / 45.1 s (alternated pairs, load ~5);
 * - an old space sized to the run: about 1.9 MB per leecher present was measured at 10,000
 *   peers (4.35 GB with 2,255 present), and under V8's default cap (~4 GB) that run spent ~75%
 *   of its time in full mark-compacts from 2,300 peers present on. 1 MB per peer plus 1 GB,
 *   at most 80% of the machine's memory.
 */
export function swarmNodeFlags(peers: number): string[] {
  return ['--max-semi-space-size=64', '--min-semi-space-size=64', `--max-old-space-size=${oldSpaceMb(1024 + peers)}`];
}

/** An old space of `wantMb`, at most 80% of the machine's memory (the rest for the OS, buffers and the young generation). */
export function oldSpaceMb(wantMb: number): number {
  return Math.min(Math.floor((totalmem() / 1e6) * 0.8), wantMb);
}

/**
 * Runs this same command (argv) in a child Node with `tunedNodeFlags` unless this process
 * is that child already; this process then exits with the child's code.
 */
export function rerunTuned(nodes: number): void {
  rerunWithFlags(tunedNodeFlags(nodes));
}

/**
 * Runs this same command (argv) in a child Node with these V8 flags unless this process is
 * that child already; this process then exits with the child's code. A flag the user gave
 * (`node --max-old-space-size=... shoal ...`) comes after ours and wins.
 */
export function rerunWithFlags(flags: readonly string[]): void {
  if (process.env[CHILD_MARK] !== undefined) return;
  const r = spawnSync(process.execPath, [...flags, ...process.execArgv, process.argv[1], ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, [CHILD_MARK]: '1' },
  });
  process.exit(r.status ?? 1);
}

function formatReport(r: DhtSimReport): string {
  const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
  return [
    `shoal sim dht: ${r.nodes} nodes (${pct(r.unresponsive)} unresponsive, churn ${pct(r.churn)}: ${r.departures} departures), ${r.lookups} lookups`,
    `success      ${pct(r.success)}`,
    `hops         median ${r.medianHops}, p95 ${r.p95Hops}`,
    `latency      median ${r.medianLatencyMs} ms, p90 ${r.p90LatencyMs} ms, p95 ${r.p95LatencyMs} ms (virtual time to find the peer)`,
    `completion   median ${r.medianCompletionMs} ms (virtual time until the lookup ended)`,
    `wall         ${(r.wallMs / 1000).toFixed(1)} s (${Object.entries(r.phasesMs).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join(', ')})`,
    `memory       peak RSS ${r.peakRssMb} MB (${Math.round((r.peakRssMb * 1000) / r.nodes)} KB per node)`,
    `simulated    ${(r.virtualMs / 1000).toFixed(0)} s of virtual time, ${r.datagrams} datagrams, ${r.events} events`,
  ].join('\n') + '\n';
}
