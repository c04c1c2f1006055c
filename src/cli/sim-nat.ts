/** `shoal sim nat`: a swarm behind address-rewriting NATs with no traversal, port mapping (NAT-PMP), and BEP 55 hole punching. */
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { loadChartJs } from './chart-lib.js';
import { formatNat, natSection } from '../sim/scenarios/nat-report.js';
import { natReport, runNatArm, TRAVERSALS, type NatRun, type NatScenarioOptions, type Traversal } from '../sim/scenarios/nat-scenario.js';
import { renderPage } from '../sim/scenarios/report-html.js';
import type { NatArmJob, NatArmMessage } from './sim-nat-worker.js';
import { simCommand } from './sim.js';
import { intFlag, numFlag } from './sim-swarm.js';
import { UsageError } from './errors.js';

interface Flags { peers: string; fileMib: string; seed: string; arrival: string; traversals: string; jobs?: string; out?: string; json?: boolean; progress?: boolean }

/** The 1,000 leechers (see docs/simulator.md for the time and memory it takes). */
export const DEFAULT_PEERS = 1000;

/**
 * Young generation of each arm's worker, MB (semi-spaces of 64 MB: V8 sizes the young
 * generation at three semi-spaces). Most simulation garbage (packets, events) dies young; a
 * bigger nursery spares it being promoted and traced by full collections.
 */
export const ARM_YOUNG_GENERATION_MB = 192;

/** Arms at once: all three where there is more than one core (they share nothing), else one after another. */
export function defaultJobs(): number {
  return availableParallelism() > 1 ? TRAVERSALS.length : 1;
}

export function registerSimNat(program: Command): void {
  simCommand(program)
    .command('nat')
    .description('a swarm behind a measured NAT mix, run with no traversal, port mapping and BEP 55 hole punching: pairs connected, completion times, punch outcomes')
    .option('--peers <n>', 'leechers (the issue\'s 1,000 by default)', String(DEFAULT_PEERS))
    .option('--file-mib <n>', 'file size, MiB', '2')
    .option('--seed <n>', 'random seed (same seed, same run)', '1')
    .option('--arrival <kind>', 'steady (over 200 s) or flash (within 10 s: crossing dials then open most cone NATs by themselves)', 'steady')
    .option('--traversals <list>', `the runs to make, comma-separated, in report order (${TRAVERSALS.join(', ')})`, TRAVERSALS.join(','))
    .option('--jobs <n>', `runs (no traversal, mapping, hole punching) at once, each in a worker thread; 0: one after another in this thread (default ${defaultJobs()})`)
    .option('--out <file>', 'write an HTML report here')
    .option('--json', 'print one JSON object (runs: traversal, connectedOfAttempted, connectablePairs, completion times, punch figures)')
    .option('--progress', 'print virtual time and finished leechers to stderr as the runs go')
    .action(async (flags: Flags) => {
      const options: NatArmJob['options'] = {
        peers: intFlag('peers', flags.peers, 2, 100_000),
        fileBytes: Math.round(numFlag('file-mib', flags.fileMib, 0.0625, 4096) * 2 ** 20),
        seed: intFlag('seed', flags.seed, 0, Number.MAX_SAFE_INTEGER),
        arrival: arrivalFlag(flags.arrival),
      };
      const arms = traversalsFlag(flags.traversals);
      const jobs = flags.jobs === undefined ? Math.min(defaultJobs(), arms.length) : intFlag('jobs', flags.jobs, 0, TRAVERSALS.length);
      const progress = flags.progress === true ? (t: Traversal, p: { tS: number; finished: number; arrived: number }) => process.stderr.write(`${t}: ${p.tS.toFixed(0)} s virtual, ${p.finished}/${p.arrived} finished\n`) : undefined;
      const t0 = performance.now();
      const runs = jobs === 0 ? await armsHere(arms, options, progress) : await armsInWorkers(arms, options, jobs, progress);
      const r = natReport(options, runs, (performance.now() - t0) / 1000);
      if (flags.out !== undefined) writeFileSync(flags.out, renderPage('shoal sim nat', [natSection(r)], loadChartJs(), [`shoal sim nat --peers ${flags.peers} --seed ${flags.seed} --arrival ${flags.arrival} --traversals ${arms.join(',')}`]));
      process.stdout.write(flags.json ? JSON.stringify(r) + '\n' : formatNat(r) + (flags.out !== undefined ? `report: ${flags.out}\n` : ''));
    });
}

type Progress = ((t: Traversal, p: { tS: number; finished: number; arrived: number }) => void) | undefined;

async function armsHere(arms: readonly Traversal[], options: NatScenarioOptions, progress: Progress): Promise<NatRun[]> {
  const runs: NatRun[] = [];
  for (const t of arms) runs.push(await runNatArm(t, { ...options, onProgress: progress && ((p) => progress(t, p)) }));
  return runs;
}

/** Each arm in a fresh worker (its heap freed when it ends), `jobs` at a time; results in report order. */
async function armsInWorkers(arms: readonly Traversal[], options: NatArmJob['options'], jobs: number, progress: Progress): Promise<NatRun[]> {
  const runs: NatRun[] = new Array<NatRun>(arms.length);
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < arms.length) {
      const i = next++;
      runs[i] = await armInWorker({ traversal: arms[i], options, progress: progress !== undefined }, progress);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, arms.length) }, lane));
  return runs;
}

function armInWorker(job: NatArmJob, progress: Progress): Promise<NatRun> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL('./sim-nat-worker.js', import.meta.url), { workerData: job, resourceLimits: { maxYoungGenerationSizeMb: ARM_YOUNG_GENERATION_MB } });
    let run: NatRun | undefined;
    let failure: Error | undefined;
    w.on('message', (m: NatArmMessage) => {
      if (m.type === 'progress') progress?.(job.traversal, m);
      else if (m.type === 'run') run = m.run;
      else failure = new Error(`sim nat, ${job.traversal} run: ${m.message}`);
    });
    w.on('error', (e) => (failure ??= e));
    w.on('exit', (code) => {
      if (run !== undefined) resolve(run);
      else reject(failure ?? new Error(`sim nat, ${job.traversal} run: worker exited with code ${code}`));
    });
  });
}

/** `--traversals`: a comma-separated subset of the runs, kept in report order, each named once. */
export function traversalsFlag(v: string): Traversal[] {
  const names = v.split(',').map((x) => x.trim()).filter((x) => x !== '');
  for (const n of names) if (!(TRAVERSALS as readonly string[]).includes(n)) throw new UsageError(`--traversals: '${n}' is not one of ${TRAVERSALS.join(', ')}`);
  if (names.length === 0) throw new UsageError(`--traversals: name at least one of ${TRAVERSALS.join(', ')}`);
  return TRAVERSALS.filter((t) => names.includes(t));
}

function arrivalFlag(v: string): 'steady' | 'flash' {
  if (v === 'steady' || v === 'flash') return v;
  throw new UsageError(`--arrival: '${v}' is not steady or flash`);
}
