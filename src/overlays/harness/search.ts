/**
 * The keyword-search scenario (`shoal sim search`): flooding, random walks and super-peers
 * on the unstructured side, each swept over its reach (flooding's TTL, a walker's step
 * limit, the super-peer TTL) at several replication ratios, each run an experiment of its
 * own on the same seed. Every item has the same number of copies (uniform replication, a
 * ratio r of the nodes), so a search that reaches m distinct nodes should succeed with
 * probability 1 - (1 - r)^m (the coverage formula, Lv et al. 2002); each run prints its
 * measured success beside that prediction, and its messages per query.
 */
import { floodingOverlay } from '../flooding/index.js';
import { randomWalkOverlay } from '../random-walk/index.js';
import { superPeerOverlay } from '../super-peer/index.js';
import type { OverlayFactory, OverlayNode } from '../types.js';
import { runExperiment, type ExperimentOptions } from './experiment.js';

export type SearchOverlay = 'flooding' | 'random-walk' | 'super-peer';
export const SEARCH_OVERLAYS: readonly SearchOverlay[] = ['flooding', 'random-walk', 'super-peer'];

export interface SearchOptions {
  nodes: number;
  /** Copies of each item as a share of the nodes, e.g. 0.01. */
  replication: readonly number[];
  /** Flooding TTLs to try. */
  floodTtl: readonly number[];
  /** Random walks: steps per walker to try (walkers fixed at `walkers`). */
  walkSteps: readonly number[];
  walkers: number;
  /** Super-peer TTLs to try (hops among super-peers). */
  superTtl: readonly number[];
  queries: number;
  seed: number;
  /**
   * The runs whose figures are the headline ones (`success`, `messagesPerQuery`): these reaches
   * at the first ratio, or the swept reach nearest to each.
   */
  headline: { floodTtl: number; walkSteps: number; superTtl: number };
  /** Passed to every experiment (timings; the catalogue is set here). */
  experiment?: Partial<ExperimentOptions>;
}

export const SEARCH_DEFAULTS: SearchOptions = {
  nodes: 1000,
  replication: [0.005, 0.01, 0.02],
  floodTtl: [1, 2, 3, 4, 5],
  walkSteps: [2, 4, 8, 16, 32, 64],
  walkers: 16,
  superTtl: [1, 2, 3, 4],
  queries: 200,
  seed: 1,
  headline: { floodTtl: 4, walkSteps: 32, superTtl: 2 },
};

export interface SearchRun {
  overlay: SearchOverlay;
  replication: number;
  /** The sweep's parameter: `ttl` for flooding and super-peers, `steps` per walker for walks. */
  reach: { ttl?: number; steps?: number; walkers?: number };
  success: number;
  messagesPerQuery: number;
  /** Coverage-formula success, where the overlay has one (flooding, walks). */
  predictedSuccess: number | null;
  meanHops: number;
  medianLatencyMs: number;
  /** Mean neighbours per node (flooding's branching), from the built overlay. */
  meanDegree: number;
  queries: number;
  wallMs: number;
}

export interface SearchResult {
  nodes: number;
  /** Headline figures per overlay (see `SearchOptions.headline`). */
  success: Record<SearchOverlay, number>;
  messagesPerQuery: Record<SearchOverlay, number>;
  /** The reach of each headline run (TTL, or steps per walker), null where the overlay did not run. */
  headlineReach: Record<SearchOverlay, number | null>;
  runs: SearchRun[];
  wallMs: number;
}

export interface SearchHooks {
  wallClock: () => number;
  onProgress?: (index: number, total: number, label: string) => void;
}

/** Distinct nodes a flood reaches within `ttl` hops on a graph of mean degree d (a tree estimate, capped at n). */
export function floodReach(ttl: number, degree: number, n: number): number {
  let reached = 1, frontier = 1;
  for (let h = 1; h <= ttl; h++) {
    frontier *= h === 1 ? degree : Math.max(0, degree - 1);
    reached += frontier;
    if (reached >= n) return n;
  }
  return reached;
}

/**
 * The coverage formula: the chance that m distinct nodes, drawn at random from n, include
 * one of the c holders: 1 - C(n-c, m) / C(n, m), which is about 1 - (1 - c/n)^m while m << n.
 */
export function coverageSuccess(holders: number, distinctNodes: number, n: number): number {
  const m = Math.min(n, Math.max(0, distinctNodes));
  let miss = 1;
  for (let i = 0; i < holders; i++) {
    miss *= Math.max(0, n - m - i) / (n - i);
    if (miss === 0) break;
  }
  return 1 - miss;
}

interface Plan {
  overlay: SearchOverlay;
  replication: number;
  reach: SearchRun['reach'];
  factory: OverlayFactory<OverlayNode>;
}

export async function runSearch(options: Partial<SearchOptions>, hooks: SearchHooks): Promise<SearchResult> {
  const o: SearchOptions = { ...SEARCH_DEFAULTS, ...options };
  const t0 = hooks.wallClock();
  const plan: Plan[] = [];
  for (const replication of o.replication) {
    for (const ttl of o.floodTtl) plan.push({ overlay: 'flooding', replication, reach: { ttl }, factory: floodingOverlay({ floodTtl: ttl }) });
    for (const steps of o.walkSteps) plan.push({ overlay: 'random-walk', replication, reach: { steps, walkers: o.walkers }, factory: randomWalkOverlay({ walkers: o.walkers, walkTtl: steps }) });
    for (const ttl of o.superTtl) plan.push({ overlay: 'super-peer', replication, reach: { ttl }, factory: superPeerOverlay({ superTtl: ttl }) });
  }
  const runs: SearchRun[] = [];
  for (let i = 0; i < plan.length; i++) {
    const p = plan[i];
    hooks.onProgress?.(i, plan.length, `${p.overlay} r=${p.replication} ${p.reach.ttl !== undefined ? `ttl ${p.reach.ttl}` : `${p.reach.steps} steps`}`);
    const start = hooks.wallClock();
    // Uniform replication: every item on round(r·n) nodes (copiesPerNode x nodes copies over `items` items).
    const items = 100;
    const { figures } = await runExperiment(p.factory, {
      ...o.experiment,
      nodes: o.nodes,
      queries: o.queries,
      seed: o.seed,
      churn: 'none',
      catalogue: { items, replication: 'uniform', copiesPerNode: p.replication * items },
    });
    const degree = figures.stateEntriesPerNode;
    const holders = Math.min(o.nodes, Math.max(1, Math.round(p.replication * o.nodes)));
    const predicted = p.overlay === 'flooding' ? coverageSuccess(holders, floodReach(p.reach.ttl ?? 0, degree, o.nodes), o.nodes)
      // A walker's steps mostly land on new nodes in a large random graph; k walkers x T steps, plus the querier.
      : p.overlay === 'random-walk' ? coverageSuccess(holders, 1 + (p.reach.walkers ?? 1) * (p.reach.steps ?? 0), o.nodes)
      : null;
    runs.push({
      overlay: p.overlay, replication: p.replication, reach: p.reach,
      success: figures.success, messagesPerQuery: figures.messagesPerQuery, predictedSuccess: predicted,
      meanHops: figures.meanHops, medianLatencyMs: figures.medianLatencyMs, meanDegree: degree,
      queries: figures.queries, wallMs: Math.round(hooks.wallClock() - start),
    });
  }
  const first = o.replication[0];
  // The headline reach, or when the sweep left it out the swept reach nearest to it (the larger
  // on a tie), so that every overlay that ran has a headline figure rather than null.
  const reachOf = (r: SearchRun): number => (r.overlay === 'random-walk' ? r.reach.steps : r.reach.ttl) ?? 0;
  const wanted = (overlay: SearchOverlay): number => (overlay === 'random-walk' ? o.headline.walkSteps : overlay === 'flooding' ? o.headline.floodTtl : o.headline.superTtl);
  const headline = (overlay: SearchOverlay): SearchRun | undefined => {
    let best: SearchRun | undefined;
    for (const r of runs) {
      if (r.overlay !== overlay || r.replication !== first) continue;
      const d = Math.abs(reachOf(r) - wanted(overlay)), bd = best === undefined ? Infinity : Math.abs(reachOf(best) - wanted(overlay));
      if (d < bd || (d === bd && best !== undefined && reachOf(r) > reachOf(best))) best = r;
    }
    return best;
  };
  const heads = SEARCH_OVERLAYS.map((k) => [k, headline(k)] as const);
  const pick = (f: (r: SearchRun) => number) => Object.fromEntries(heads.map(([k, r]) => [k, r === undefined ? NaN : f(r)])) as Record<SearchOverlay, number>;
  const reach = Object.fromEntries(heads.map(([k, r]) => [k, r === undefined ? null : reachOf(r)])) as Record<SearchOverlay, number | null>;
  return { nodes: o.nodes, success: pick((r) => r.success), messagesPerQuery: pick((r) => r.messagesPerQuery), headlineReach: reach, runs, wallMs: Math.round(hooks.wallClock() - t0) };
}
