/**
 * 100,000-node Chord and Pastry on the simulator: build (joins through the real protocol,
 * the network doubling every 8 s, about 133 s of virtual time), stabilise for 30 s, then
 * 1,000 lookups arriving over 20 s, checked against ground truth. Each overlay runs in its
 * own child process so its peak memory is its own; wall and CPU time are both printed (on a
 * shared machine the CPU time is the fairer figure).
 *
 *   node dist/bench/overlays-scale.js [--nodes 100000] [--queries 1000] [--seed 1] [--overlays chord,pastry]
 *
 * Anchor: SimGrid's Chord benchmark, 100,000 nodes in 13 min 34 s and 2.47 GB (~25 KB per
 * node; about 4 h and 24.5 GB for a million). Budget: 100,000 nodes in under 5 minutes of
 * wall time, 1,000,000 in under 30 minutes, at most 16 KB per simulated node.
 *
 * The child gets V8 flags sized to the run (`childFlags`): an old-space limit above the
 * default 4 GB (a million nodes need about 7 GB of live heap), and a young generation that
 * grows with the network, so that request state living one round trip of virtual time
 * (a few hundred thousand events at a million nodes) dies young instead of being promoted
 * and left for the full mark-compact collector. The load average is printed with the
 * figures, since wall time on a shared machine depends on it.
 */
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { resourceUsage } from 'node:process';
import { fileURLToPath } from 'node:url';
import { oldSpaceMb } from '../src/cli/sim.js';
import { chordOverlay } from '../src/overlays/chord/index.js';
import { pastryOverlay } from '../src/overlays/pastry/index.js';
import { runExperiment } from '../src/overlays/harness/experiment.js';

const SIMGRID_WALL_S = 13 * 60 + 34;
const SIMGRID_KB_PER_NODE = 2.47e9 / 100_000 / 1000;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? fallback : process.argv[i + 1];
}

const nodes = Number(arg('nodes', '100000'));
const queries = Number(arg('queries', '1000'));
const seed = Number(arg('seed', '1'));

interface ChildReport {
  overlay: string;
  wallS: number;
  cpuS: number;
  events: number;
  success: number;
  meanHops: number;
  p95Hops: number;
  peakRssMb: number;
  kbPerNode: number;
}

/** V8 flags for the child: old space up to 80% of RAM (about 3 KB per node plus 1 GB suffices), young generation 16-256 MB. */
export function childFlags(n: number): string[] {
  const oldMb = oldSpaceMb(1024 + Math.ceil(n * 0.014));
  const semiMb = Math.min(256, Math.max(16, Math.round(n / 4000)));
  return [`--max-old-space-size=${oldMb}`, `--max-semi-space-size=${semiMb}`];
}

async function child(overlay: string): Promise<void> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  // Progress on stderr every tenth of a phase, so a long run shows where it is (and a run cut short still says how far it got).
  let shown = '';
  const onProgress = (phase: string, fraction: number): void => {
    const mark = `${phase} ${Math.floor(fraction * 10)}`;
    if (mark === shown) return;
    shown = mark;
    const c = process.cpuUsage(cpu0);
    process.stderr.write(`  ${overlay} ${phase} ${(fraction * 100).toFixed(0)}%: wall ${((performance.now() - t0) / 1000).toFixed(0)} s, cpu ${((c.user + c.system) / 1e6).toFixed(0)} s, rss ${(process.memoryUsage.rss() / 1e9).toFixed(2)} GB\n`);
  };
  const options = { nodes, queries, seed, settleMs: 30_000, queryWindowMs: 20_000, onProgress };
  const r = overlay === 'chord' ? await runExperiment(chordOverlay(), options) : await runExperiment(pastryOverlay(), options);
  const wallS = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const peak = resourceUsage().maxRSS * 1024;
  const report: ChildReport = { overlay, wallS, cpuS, events: r.figures.events, success: r.figures.success, meanHops: r.figures.meanHops, p95Hops: r.figures.p95Hops, peakRssMb: peak / 1e6, kbPerNode: peak / nodes / 1000 };
  process.stdout.write(JSON.stringify(report) + '\n');
}

function parent(): void {
  const overlays = arg('overlays', 'chord,pastry').split(',');
  for (const overlay of overlays) {
    const load0 = loadavg()[0];
    const out = spawnSync(process.execPath, [...childFlags(nodes), fileURLToPath(import.meta.url), '--child', overlay, '--nodes', String(nodes), '--queries', String(queries), '--seed', String(seed)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    if (out.status !== 0) throw new Error(`${overlay} run failed (exit ${out.status})`);
    const r = JSON.parse(out.stdout.trim().split('\n').pop()!) as ChildReport;
    const name = `overlays-${overlay}-${nodes / 1000}k`;
    console.log(`${name}: ${nodes} nodes, ${queries} lookups, success ${(r.success * 100).toFixed(1)}%, mean hops ${r.meanHops.toFixed(2)} (p95 ${r.p95Hops}; ½ log2 N = ${(Math.log2(nodes) / 2).toFixed(2)}), ${(r.events / 1e6).toFixed(1)}M events, ${Math.round(r.events / r.cpuS).toLocaleString('en')} events per CPU second, peak RSS ${r.peakRssMb.toFixed(0)} MB, load average ${load0.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`);
    console.log(`bench ${name} wall: shoal ${r.wallS.toFixed(0)} s, simgrid ${SIMGRID_WALL_S} s, ratio ${(r.wallS / SIMGRID_WALL_S).toFixed(2)}`);
    console.log(`bench ${name} cpu: shoal ${r.cpuS.toFixed(0)} s, simgrid ${SIMGRID_WALL_S} s, ratio ${(r.cpuS / SIMGRID_WALL_S).toFixed(2)}`);
    console.log(`bench ${name} memory: shoal ${r.kbPerNode.toFixed(1)} KB/node, simgrid ${SIMGRID_KB_PER_NODE.toFixed(1)} KB/node, ratio ${(r.kbPerNode / SIMGRID_KB_PER_NODE).toFixed(2)}`);
  }
}

const c = process.argv.indexOf('--child');
if (c >= 0) await child(process.argv[c + 1]);
else parent();
