/**
 * `shoal sim sybil`: a Sybil attacker (S identities on A addresses) against one key of a
 * simulated DHT of real nodes: the share of lookups eclipsed with no defence, with BEP 42
 * enforced, with S/Kademlia disjoint lookups and with S/Kademlia crypto-puzzle node ids, as a
 * table, `--json` or an HTML report.
 */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { runSybilSimulation, SYBIL_MAX_ADDRESSES, SYBIL_MAX_NODES, type SybilReport } from '../dht/sim/sybil.js';
import { MAX_DISJOINT_PATHS } from '../dht/disjoint-lookup.js';
import { loadChartJs } from './chart-lib.js';
import { renderPage, type ReportSection } from '../sim/scenarios/report-html.js';
import { runSwarmSybil, type SwarmSybilReport, type SwarmSybilRun } from '../sim/scenarios/swarm-sybil.js';
import { sybilPathRows, sybilSection } from '../sim/scenarios/sybil-report.js';
import type { NatType } from '../sim/nat.js';
import { UsageError } from './errors.js';
import { simCommand } from './sim.js';

/** The honest leechers' NAT in the swarm half (`none`: reachable). */
const SWARM_NATS = ['none', 'full-cone', 'restricted-cone', 'port-restricted', 'symmetric'] as const;

interface SybilFlags {
  nodes: string;
  addresses: string;
  identities: string;
  lookups: string;
  paths: string;
  maxPaths: string;
  rtt: string;
  puzzleBits: string;
  puzzleGrind: string;
  seed: string;
  swarmHonest: string;
  swarmSybils: string;
  swarmNat: string;
  swarmMib: string;
  out?: string;
  json?: boolean;
}

export function registerSimSybil(program: Command): void {
  simCommand(program)
    .command('sybil')
    .description('a Sybil attacker (S ids on A addresses, ids next to one key) against a simulated DHT: share of lookups eclipsed with no defence, BEP 42, disjoint lookups and crypto-puzzle ids')
    .option('--nodes <n>', 'honest DHT nodes', '400')
    .option('--addresses <list>', 'attacker addresses (A); a comma list sweeps them', '4')
    .option('--identities <list>', 'attacker node ids in all (S, at least A); a comma list sweeps them', '64')
    .option('--lookups <n>', 'lookups of the key per defence and path count', '200')
    .option('--paths <d>', 'disjoint paths of the `disjoint` headline', '4')
    .option('--max-paths <d>', 'measure disjoint lookups for d = 1..this', '8')
    .option('--rtt <ms>', 'median round-trip time of the lognormal latency model', '100')
    .option('--swarm-honest <n>', 'swarm half: honest leechers (0 skips it)', '20')
    .option('--swarm-sybils <n>', 'swarm half: Sybil peers that announce every piece and send none', '20')
    .option('--swarm-nat <type>', `swarm half: the honest leechers' NAT (${SWARM_NATS.join(', ')})`, 'none')
    .option('--swarm-mib <n>', 'swarm half: the file, MiB', '2')
    .option('--puzzle-bits <c>', 'crypto-puzzle difficulty: leading zero bits of SHA-1(SHA-1(key))', '8')
    .option('--puzzle-grind <list>', 'puzzles the attacker solves per identity it keeps (closest to the key), one run each', '1,16')
    .option('--seed <n>', 'random seed (same seed, same run)', '1')
    .option('--out <file>', 'write an HTML report here')
    .option('--json', 'print one JSON object (headline: eclipsed.none / bep42 / disjoint / puzzle, for the first A and S; `sweep` with every pair)')
    .action(async (flags: SybilFlags) => {
      const num = (name: string, v: string, min: number, max: number): number => {
        const x = Number(v);
        if (v.trim() === '' || !Number.isInteger(x) || x < min || x > max) throw new UsageError(`--${name}: '${v}' is not a whole number in ${min}..${max}`);
        return x;
      };
      const list = (name: string, v: string, min: number, max: number): number[] => v.split(',').map((x) => num(name, x.trim(), min, max));
      const addressList = list('addresses', flags.addresses, 1, SYBIL_MAX_ADDRESSES);
      const identityList = list('identities', flags.identities, 1, 1_000_000);
      const maxPaths = num('max-paths', flags.maxPaths, 1, MAX_DISJOINT_PATHS);
      const common = {
        nodes: num('nodes', flags.nodes, 16, SYBIL_MAX_NODES),
        lookups: num('lookups', flags.lookups, 1, 1_000_000),
        disjointPaths: num('paths', flags.paths, 1, maxPaths),
        maxPaths,
        medianRttMs: num('rtt', flags.rtt, 1, 10_000),
        puzzleBits: num('puzzle-bits', flags.puzzleBits, 0, 24),
        puzzleGrind: list('puzzle-grind', flags.puzzleGrind, 1, 4096),
        seed: num('seed', flags.seed, 0, Number.MAX_SAFE_INTEGER),
        wallClock: () => performance.now(),
      };
      const pairs: [number, number][] = [];
      for (const a of addressList) {
        for (const s of identityList) {
          if (s < a) throw new UsageError(`--identities: ${s} ids cannot fill ${a} addresses (at least one each)`);
          pairs.push([a, s]);
        }
      }
      const reports: SybilReport[] = [];
      for (const [addresses, identities] of pairs) {
        const onPhase = process.stderr.isTTY && !flags.json ? (p: string) => process.stderr.write(`  A = ${addresses}, S = ${identities}: ${p}\n`) : undefined;
        reports.push(await runSybilSimulation({ ...common, addresses, identities, onPhase }));
      }
      const swarmHonest = num('swarm-honest', flags.swarmHonest, 0, 100_000);
      if (!(SWARM_NATS as readonly string[]).includes(flags.swarmNat)) throw new UsageError(`--swarm-nat: '${flags.swarmNat}' is not one of ${SWARM_NATS.join(', ')}`);
      const nat = flags.swarmNat === 'none' ? undefined : (flags.swarmNat as NatType);
      const swarmSybil = swarmHonest > 0 ? await runSwarmSybil({ honest: swarmHonest, sybils: num('swarm-sybils', flags.swarmSybils, 0, 100_000), seed: common.seed, nat, fileBytes: num('swarm-mib', flags.swarmMib, 1, 4096) * 1024 * 1024 }) : null;
      const report: SybilCliReport = { ...reports[0], sweep: reports.map((r) => ({ addresses: r.addresses, identities: r.identities, attackerShare: r.attackerShare, eclipsed: r.eclipsed })), swarmSybil };
      if (flags.out !== undefined) {
        const command = `shoal sim sybil --nodes ${flags.nodes} --addresses ${flags.addresses} --identities ${flags.identities} --lookups ${flags.lookups} --paths ${flags.paths} --max-paths ${flags.maxPaths} --swarm-honest ${flags.swarmHonest} --swarm-sybils ${flags.swarmSybils} --swarm-nat ${flags.swarmNat} --swarm-mib ${flags.swarmMib} --puzzle-bits ${flags.puzzleBits} --puzzle-grind ${flags.puzzleGrind} --seed ${flags.seed}`;
        writeFileSync(flags.out, renderPage('shoal sim sybil', [sybilSection(report, report.swarmSybil), ...sweepSection(report)], loadChartJs(), [command]));
      }
      process.stdout.write(flags.json ? JSON.stringify(report) + '\n' : formatSybil(report) + (flags.out !== undefined ? `report: ${flags.out}\n` : ''));
    });
}

/** The first pair's report, and the headline of every pair. */
export interface SybilCliReport extends SybilReport {
  readonly sweep: readonly Pick<SybilReport, 'addresses' | 'identities' | 'attackerShare' | 'eclipsed'>[];
  /** The swarm half: Sybil peers that announce pieces and never send them (null when skipped). */
  readonly swarmSybil: SwarmSybilReport | null;
}

export function formatSwarmSybil(x: SwarmSybilReport): string {
  const run = (r: SwarmSybilRun) => `${r.completed}/${x.honest} finished, worst ${r.worstS.toFixed(0)} s, ${r.sybilConnections} Sybil connections, ${r.silentDrops} silent drops, ${r.turnovers} turnovers`;
  return [
    `swarm        ${x.sybils} Sybils (announce every piece, send none) among ${x.honest} leechers (${(x.fileBytes / 1048576).toFixed(0)} MiB, NAT ${x.nat}): mean completion ${x.baselineMeanS.toFixed(1)} s without them, ${x.undefendedMeanS.toFixed(1)} s with them and no silent-peer drop (${x.slowdownUndefended.toFixed(2)}x), ${x.defendedMeanS.toFixed(1)} s with Shoal's defences (${x.slowdownDefended.toFixed(2)}x)`,
    `  no drop    ${run(x.runs.undefended)}`,
    `  defended   ${run(x.runs.defended)}`,
  ].join('\n');
}

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

export function formatSybil(r: SybilCliReport): string {
  const table = sybilPathRows(r);
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const lines = table.map((row) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
  return [
    `shoal sim sybil: ${r.nodes} honest nodes, attacker ${r.identities} ids on ${r.addresses} addresses (f = ${pct(r.attackerShare)}), ${r.lookups} lookups each`,
    `eclipsed     none ${pct(r.eclipsed.none)}, bep42 ${pct(r.eclipsed.bep42)}, disjoint (BEP 42, d = ${r.disjointPaths}) ${pct(r.eclipsed.disjoint)}, puzzle ${pct(r.eclipsed.puzzle)}`,
    ...r.puzzle.rows.map((x) => `puzzle       ${r.puzzle.bits} bits, attacker grinding ${x.grind}x: ${x.triesPerIdentity} key tries per identity, best prefix ${x.attackerPrefix} bits, eclipsed ${pct(x.eclipsed)}, captured ${pct(x.captured)}`),
    `baseline     ${pct(r.baseline.none)} / ${pct(r.baseline.bep42)} of lookups failed before the attack (without / with BEP 42)`,
    `id prefix    bits shared with the key: honest ${r.prefixBits.none.honest}, attacker ${r.prefixBits.none.attacker} (no BEP 42); honest ${r.prefixBits.bep42.honest}, attacker ${r.prefixBits.bep42.attacker} (BEP 42)`,
    ...lines,
    `predicted: (1 - (1 - f)^h)^d with h the mean hops at d = 1; captured: no honest node among the k closest found`,
    ...(r.swarmSybil ? [formatSwarmSybil(r.swarmSybil)] : []),
    ...(r.sweep.length > 1 ? ['sweep (eclipsed share):', ...r.sweep.map((x) => `  A ${x.addresses}, S ${x.identities} (f = ${pct(x.attackerShare)}): none ${pct(x.eclipsed.none)}, bep42 ${pct(x.eclipsed.bep42)}, disjoint ${pct(x.eclipsed.disjoint)}, puzzle ${pct(x.eclipsed.puzzle)}`)] : []),
    `wall ${(r.wallMs / 1000).toFixed(1)} s, ${(r.virtualMs / 1000).toFixed(0)} s of virtual time`,
  ].join('\n') + '\n';
}

/** Every (A, S) pair's headline when the run swept more than one. */
function sweepSection(r: SybilCliReport): ReportSection[] {
  if (r.sweep.length < 2) return [];
  return [{
    id: 'sybil-sweep', title: 'Sweep: eclipsed share per (A, S)', paragraphs: [], charts: [],
    table: [['A', 'S', 'f', 'none', 'bep42', 'disjoint', 'puzzle'], ...r.sweep.map((x) => [String(x.addresses), String(x.identities), pct(x.attackerShare), pct(x.eclipsed.none), pct(x.eclipsed.bep42), pct(x.eclipsed.disjoint), pct(x.eclipsed.puzzle)])],
  }];
}
