/**
 * The comparison: every requested overlay at every network size and churn model, on the
 * same workload and seed, one experiment after another. Wall time and memory are read
 * through injected functions (protocol-side code reads no real time).
 */
import type { OverlayName } from '../types.js';
import { isPending, overlayFactory, type RegistryOptions } from '../registry.js';
import { runExperiment, type ChurnModel, type ExperimentOptions, type RunFigures } from './experiment.js';

export interface CompareOptions extends RegistryOptions {
  overlays: readonly OverlayName[];
  nodes: readonly number[];
  churn: readonly ChurnModel[];
  queries: number;
  seed: number;
  /** Passed to every experiment (workload, timings). */
  experiment?: Partial<ExperimentOptions>;
}

export interface CompareRun extends Partial<RunFigures> {
  overlay: OverlayName;
  nodes: number;
  churn: ChurnModel;
  /** Why the overlay did not run, when it is pending. */
  pending?: string;
  wallMs?: number;
}

export interface CompareResult {
  runs: CompareRun[];
  wallMs: number;
  peakRssMb: number;
}

export interface CompareHooks {
  /** Real milliseconds (e.g. `performance.now`). */
  wallClock: () => number;
  /** Resident memory in bytes. */
  rss: () => number;
  /** Progress of run `index` of `total`. */
  onProgress?: (index: number, total: number, label: string, phase: string, fraction: number) => void;
}

export async function runComparison(o: CompareOptions, hooks: CompareHooks): Promise<CompareResult> {
  const t0 = hooks.wallClock();
  let peak = hooks.rss();
  const runs: CompareRun[] = [];
  const plan: { overlay: OverlayName; nodes: number; churn: ChurnModel }[] = [];
  for (const churn of o.churn) for (const nodes of o.nodes) for (const overlay of o.overlays) plan.push({ overlay, nodes, churn });
  for (let i = 0; i < plan.length; i++) {
    const { overlay, nodes, churn } = plan[i];
    const factory = overlayFactory(overlay, o);
    if (isPending(factory)) {
      runs.push({ overlay, nodes, churn, pending: factory.pending });
      continue;
    }
    const label = `${overlay} ${nodes}${churn === 'none' ? '' : ' churn'}`;
    const start = hooks.wallClock();
    const { figures } = await runExperiment(factory, {
      ...o.experiment,
      nodes,
      churn,
      queries: o.queries,
      seed: o.seed,
      onProgress: (phase, fraction) => {
        peak = Math.max(peak, hooks.rss());
        hooks.onProgress?.(i, plan.length, label, phase, fraction);
      },
    });
    peak = Math.max(peak, hooks.rss());
    runs.push({ ...figures, overlay, wallMs: Math.round(hooks.wallClock() - start) });
  }
  return { runs, wallMs: Math.round(hooks.wallClock() - t0), peakRssMb: Math.round(peak / 1e6) };
}

/** The `--json` shape: the fields first, extras after. */
export function toJson(r: CompareResult): string {
  const runs = r.runs.map((x) => ({
    overlay: x.overlay,
    nodes: x.nodes,
    churn: x.churn,
    success: num(x.success),
    meanHops: num(x.meanHops),
    p95Hops: num(x.p95Hops),
    messagesPerQuery: num(x.messagesPerQuery),
    medianLatencyMs: num(x.medianLatencyMs),
    p95LatencyMs: num(x.p95LatencyMs),
    maintenancePerNodeMin: num(x.maintenancePerNodeMin),
    stateEntriesPerNode: num(x.stateEntriesPerNode),
    top1pctLoadShare: num(x.top1pctLoadShare),
    ...(x.pending !== undefined ? { pending: x.pending } : { queries: x.queries, departures: x.departures, events: x.events, wallMs: x.wallMs }),
  }));
  return JSON.stringify({ runs, wallMs: r.wallMs, peakRssMb: r.peakRssMb });
}

function num(v: number | undefined): number | null {
  return v === undefined || !Number.isFinite(v) ? null : Math.round(v * 1e4) / 1e4;
}
