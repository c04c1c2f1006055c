/**
 * Wall time of `shoal sim swarm` at 1,000 leechers (and, with --big, 10,000): real swarms
 * and a real tracker on the simulator, steady arrivals, rarest first. Targets (issue 15):
 * 1,000 peers in < 60 s, 10,000 in < 15 min. `--peers N` runs that one size alone (target by
 * linear interpolation between the two: 10,000 alone is `--peers 10000`). Prints one line per size:
 *   bench sim-swarm N: shoal X s wall (Y s CPU), target T s, ratio R; mean completion M s against fluid F s (ratio, η measured, fluid at that η; done, events); multiclass tit-for-tat model and ratio (steady arrivals)
 */
import { performance } from 'node:perf_hooks';
import { runSwarmScenario, type MulticlassReference } from '../src/sim/scenarios/swarm-scenario.js';
import { rerunWithFlags, swarmNodeFlags } from '../src/cli/sim.js';

/** The reference for the allocation tit-for-tat implements (docs/simulator.md, "Is Qiu–Srikant the right reference?"). */
const multiclassNote = (m: MulticlassReference | undefined): string => (m ? `; multiclass tit-for-tat model ${m.meanS.toFixed(1)} s (ratio ${m.ratio.toFixed(2)})` : '');

const big = process.argv.includes('--big');
const only = process.argv.indexOf('--peers');
const onlyPeers = only >= 0 ? Number(process.argv[only + 1]) : NaN;
if (only >= 0 && !(Number.isInteger(onlyPeers) && onlyPeers > 0)) throw new Error('--peers takes a positive whole number');
/** The two targets, a straight line between them (60 s at 1,000, 900 s at 10,000), and 60 s per 1,000 below. */
const targetFor = (n: number): number => (n <= 1000 ? (60 * n) / 1000 : 60 + ((n - 1000) * (900 - 60)) / 9000);
const sizes: [number, number][] = only >= 0 ? [[onlyPeers, targetFor(onlyPeers)]] : [[1000, 60], ...(big ? [[10_000, 900] as [number, number]] : [])];
// The runs go to a child Node with the V8 flags `shoal sim swarm` uses, sized to the largest (src/cli/sim.ts `swarmNodeFlags`).
rerunWithFlags(swarmNodeFlags(Math.max(...sizes.map(([n]) => n))));
for (const [peers, target] of sizes) {
  const cpu0 = process.cpuUsage();
  const r = await runSwarmScenario({ peers, arrival: 'steady', seed: 1, wallClock: () => performance.now() });
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(`bench sim-swarm ${peers}: shoal ${r.wallS.toFixed(1)} s wall (${cpuS.toFixed(1)} s CPU), target ${target.toFixed(0)} s, ratio ${(r.wallS / target).toFixed(2)}; mean completion ${r.meanCompletionS.toFixed(1)} s against fluid ${r.fluidMeanCompletionS.toFixed(1)} s (ratio ${r.ratioToFluid.toFixed(2)}; η ${r.effectiveness.toFixed(2)}, fluid at that η ${r.fluidAtMeasuredEtaS.toFixed(1)} s; ${r.completed}/${peers} done, ${r.events} events)${multiclassNote(r.multiclass)}`);
}
