/**
 * One experiment: an overlay of N simulated nodes is built (joins spread so that the
 * network doubles every `doublingMs`), left to stabilise, then queried on the catalogue's
 * Zipf workload, with or without Weibull churn, and measured. Everything derives from the
 * seed, so a run replays exactly.
 */
import { SeededRandom } from '../../runtime/random.js';
import { Simulator, type LatencyModel } from '../../sim/index.js';
import type { OverlayFactory, OverlayNode, QueryResult } from '../types.js';
import { Catalogue, type CatalogueOptions } from '../workload/catalogue.js';
import { DEFAULT_CAPACITY_ALPHA } from '../workload/capacity.js';
import { CHURN_DEFAULTS, weibull, type ChurnOptions } from '../workload/churn.js';
import { mean, percentile, topShare } from '../workload/stats.js';
import { Population, type Member } from './population.js';

export type ChurnModel = 'none' | 'weibull';

export interface ExperimentOptions {
  nodes: number;
  queries: number;
  seed: number;
  churn: ChurnModel;
  catalogue: Partial<CatalogueOptions>;
  churnOptions: Partial<ChurnOptions>;
  /** Pareto alpha of node capacities. Default 1.2. */
  capacityAlpha: number;
  /** The network doubles every this many ms while it is built. Default 8 000. */
  doublingMs: number;
  /** Quiet time after the last join, before measuring, ms. Default 60 000. */
  settleMs: number;
  /** Churn runs this long before the first query, ms. Default 120 000. */
  churnWarmupMs: number;
  /** Queries arrive (Poisson) over this window, ms. Default 60 000, or 600 000 with churn. */
  queryWindowMs?: number;
  /** After the last query, wait at most this long for answers, ms. Default 60 000. */
  drainMs: number;
  /** Default: the simulator's lognormal model (median RTT 60 ms). */
  latency?: LatencyModel;
  /** Picks the item of each query; default: Zipf popularity. */
  pickItem?: (random: SeededRandom, catalogue: Catalogue) => number;
  /** Called after the network has settled, before the first query. */
  afterSettle?: (population: Population) => void;
  /** Called as each query starts. */
  onIssue?: (record: QueryRecord, population: Population) => void;
  /** Called with each finished query. */
  onResult?: (record: QueryRecord, population: Population) => void;
  onProgress?: (phase: 'build' | 'settle' | 'queries', fraction: number) => void;
}

export const EXPERIMENT_DEFAULTS: Omit<ExperimentOptions, 'nodes'> = {
  queries: 1000,
  seed: 1,
  churn: 'none',
  catalogue: {},
  churnOptions: {},
  capacityAlpha: DEFAULT_CAPACITY_ALPHA,
  doublingMs: 8_000,
  settleMs: 60_000,
  churnWarmupMs: 120_000,
  drainMs: 60_000,
};

export interface QueryRecord {
  readonly item: number;
  readonly querier: number;
  readonly start: number;
  end: number;
  found: boolean;
  /** Found, and (structured) ended at the node truly responsible, or (unstructured) a holder. */
  success: boolean;
  hops: number;
  /** Address key of the node that answered, or -1. */
  responder: number;
  /** The querier left before the answer: not counted. */
  abandoned: boolean;
}

/** The figures of one run (the `--json` row, plus context). */
export interface RunFigures {
  overlay: string;
  nodes: number;
  churn: ChurnModel;
  success: number;
  meanHops: number;
  p95Hops: number;
  messagesPerQuery: number;
  medianLatencyMs: number;
  p95LatencyMs: number;
  maintenancePerNodeMin: number;
  stateEntriesPerNode: number;
  top1pctLoadShare: number;
  queries: number;
  departures: number;
  events: number;
  virtualMs: number;
}

export interface ExperimentResult {
  figures: RunFigures;
  records: QueryRecord[];
  population: Population;
  sim: Simulator;
}

export async function runExperiment<N extends OverlayNode>(factory: OverlayFactory<N>, options: Partial<ExperimentOptions> & { nodes: number }): Promise<ExperimentResult> {
  const o: ExperimentOptions = { ...EXPERIMENT_DEFAULTS, ...options };
  const churn: ChurnOptions = { ...CHURN_DEFAULTS, ...o.churnOptions };
  const window = o.queryWindowMs ?? (o.churn === 'none' ? 60_000 : 600_000);
  const sim = new Simulator({ seed: o.seed, latency: o.latency, initialQueueCapacity: Math.max(1024, o.nodes * 4) });
  const random = sim.random;
  const catalogue = new Catalogue(o.catalogue);
  const pop = new Population<N>(sim, factory, catalogue, random.fork(), o.capacityAlpha);
  const workload = random.fork();

  // Build: member i joins at doublingMs * log2(1 + i).
  const placement = catalogue.place(o.nodes, random.fork());
  const members = await pop.spawn(placement);
  const buildMs = o.doublingMs * Math.log2(o.nodes);
  for (const m of members) sim.schedule(o.doublingMs * Math.log2(1 + m.index), () => pop.join(m));
  await runInSlices(sim, buildMs + 1, (f) => o.onProgress?.('build', f));
  await runInSlices(sim, o.settleMs, (f) => o.onProgress?.('settle', f));
  pop.refreshTruth();
  o.afterSettle?.(pop as unknown as Population);

  // Churn: every live member gets a Weibull session; a departure is replaced by a newcomer.
  let departures = 0;
  const churnRandom = random.fork();
  const startSession = (m: Member<N>): void => {
    sim.schedule(weibull(churnRandom, churn.shape, churn.scaleMs), () => {
      if (!m.live) return;
      departures++;
      pop.depart(m, churnRandom.next() < churn.gracefulFraction);
      sim.schedule(churn.replaceAfterMs, () => {
        void pop.spawn([m.items], true).then(([n]) => {
          pop.join(n);
          startSession(n);
        });
      });
    });
  };
  if (o.churn === 'weibull') {
    for (const m of [...pop.live]) startSession(m);
    await runInSlices(sim, o.churnWarmupMs, () => undefined);
  }

  // Queries: Poisson arrivals over the window, from random joined members, for items that exist.
  const records: QueryRecord[] = [];
  const q0 = pop.counters.queryMessages;
  const m0 = pop.counters.maintenanceMessages;
  pop.counters.resetLoad();
  const tStart = sim.now;
  let t = 0;
  let outstanding = 0;
  for (let i = 0; i < o.queries; i++) {
    t += (-Math.log(1 - workload.next()) * window) / o.queries;
    sim.schedule(t, () => {
      pop.refreshTruth();
      const querier = pop.randomJoined(workload);
      let item = -1;
      for (let tries = 0; tries < 64 && item < 0; tries++) {
        const it = o.pickItem ? o.pickItem(workload, catalogue) : catalogue.popularity.sample(workload);
        if (pop.holders[it] > 0 || pop.oracle !== null) item = it;
      }
      if (querier === null || item < 0) return;
      const rec: QueryRecord = { item, querier: querier.index, start: sim.now, end: -1, found: false, success: false, hops: 0, responder: -1, abandoned: false };
      records.push(rec);
      outstanding++;
      o.onIssue?.(rec, pop as unknown as Population);
      querier.node.query(catalogue.targets[item], (r) => {
        outstanding--;
        finishRecord(pop, rec, r, sim.now);
        o.onResult?.(rec, pop as unknown as Population);
      });
    });
  }
  const endOfWindow = Math.max(t, window);
  await runInSlices(sim, endOfWindow, (f) => o.onProgress?.('queries', f));
  const tEnd = sim.now;
  const maintenance = pop.counters.maintenanceMessages - m0;
  for (let waited = 0; outstanding > 0 && waited < o.drainMs; waited += 1000) await sim.runFor(1000);
  for (const r of records) if (r.end < 0) r.abandoned = !pop.members[r.querier].live;

  const counted = records.filter((r) => !r.abandoned);
  const ok = counted.filter((r) => r.success);
  const hops = ok.map((r) => r.hops);
  const latency = ok.map((r) => r.end - r.start);
  const liveJoined = pop.live.filter((m) => m.node.joined);
  const figures: RunFigures = {
    overlay: factory.name,
    nodes: o.nodes,
    churn: o.churn,
    success: counted.length === 0 ? NaN : ok.length / counted.length,
    meanHops: mean(hops),
    p95Hops: percentile(hops, 95),
    messagesPerQuery: counted.length === 0 ? NaN : (pop.counters.queryMessages - q0) / records.length,
    medianLatencyMs: percentile(latency, 50),
    p95LatencyMs: percentile(latency, 95),
    maintenancePerNodeMin: maintenance / o.nodes / ((tEnd - tStart) / 60_000),
    stateEntriesPerNode: mean(liveJoined.map((m) => m.node.stateEntries())),
    top1pctLoadShare: topShare(pop.counters.load.subarray(0, pop.members.length), Math.ceil(o.nodes / 100)),
    queries: counted.length,
    departures,
    events: sim.eventsProcessed,
    virtualMs: sim.now,
  };
  return { figures, records, population: pop as unknown as Population, sim };
}

function finishRecord<N extends OverlayNode>(pop: Population<N>, rec: QueryRecord, r: QueryResult, now: number): void {
  rec.end = now;
  rec.found = r.found;
  rec.hops = r.hops;
  if (!r.found || r.responder === null) return;
  rec.responder = pop.addresses.keyOf(r.responder);
  if (pop.oracle !== null) {
    pop.refreshTruth();
    const truth = pop.oracle.responsible(pop.catalogue.targets[rec.item]);
    rec.success = truth !== null && pop.addresses.keyOf(truth) === pop.addresses.keyOf(r.responder);
  } else {
    const holder = pop.byAddress(r.responder);
    rec.success = holder !== undefined && holder.items.includes(rec.item);
  }
}

/** Runs `ms` of virtual time in about 50 slices, reporting progress between them. */
async function runInSlices(sim: Simulator, ms: number, progress: (fraction: number) => void): Promise<void> {
  const end = sim.now + ms;
  const slice = Math.max(1000, ms / 50);
  while (sim.now < end) {
    await sim.runUntil(Math.min(end, sim.now + slice));
    progress(Math.min(1, 1 - (end - sim.now) / ms));
  }
}
