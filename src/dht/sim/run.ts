/**
 * The `shoal sim dht` scenario: build an N-node network on the simulator with the real DHT
 * code, a share of it behind NATs (never answering strangers) and Weibull churn, announce
 * L info hashes, then look each one up from another node with get_peers.
 *
 * A lookup succeeds when it finds the announcer's address. Its latency is the virtual time
 * from the first query until the announcer's address arrived; its hops, the hop of the node
 * that gave it. Timeouts are real virtual time (soft 500 ms, hard 4 s by default).
 */
import type { DhtNodeOptions } from '../options.js';
import { DhtSimNetwork } from './network.js';
import { scheduleChurn } from './churn.js';
import { announceAll, lookupPeers } from './scenario.js';
import { quantile } from './stats.js';

export interface DhtSimRunOptions {
  readonly nodes: number;
  readonly lookups: number;
  /** Share of nodes that leave (and later come back) during the lookup phase. Default 0.1. */
  readonly churn?: number;
  /** Share of nodes behind NATs that never answer strangers. Default 0.2. */
  readonly unresponsive?: number;
  readonly seed?: number;
  /** Median RTT of the lognormal latency model, ms. Default 100. */
  readonly medianRttMs?: number;
  /** Virtual ms between joins. Default: 100 000 / nodes, between 1 and 20. */
  readonly joinSpacingMs?: number;
  /** Virtual ms between lookups. Default 100. */
  readonly lookupSpacingMs?: number;
  /** Run the neighbourhood refresh after the joins (as nodes would within 15 minutes). Default true. */
  readonly refresh?: boolean;
  /** Options for every node. */
  readonly node?: DhtNodeOptions;
  /** Wall clock for the report, ms (the scenario itself runs on virtual time). */
  readonly wallClock?: () => number;
  /** Peak resident memory so far, bytes. */
  readonly peakRss?: () => number;
  readonly onPhase?: (phase: string, detail: string) => void;
  /** Progress within the bootstrap: every tenth of the joins finished (for runs of an hour). */
  readonly onProgress?: (phase: string, detail: string) => void;
}

export interface DhtSimReport {
  readonly nodes: number;
  readonly lookups: number;
  /** Share of lookups that found the announcer (0..1). */
  readonly success: number;
  readonly medianHops: number;
  readonly p95Hops: number;
  readonly medianLatencyMs: number;
  readonly p90LatencyMs: number;
  readonly p95LatencyMs: number;
  /** Median virtual time until the lookup itself finished (all k closest answered or gave up). */
  readonly medianCompletionMs: number;
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly unresponsive: number;
  readonly churn: number;
  readonly departures: number;
  readonly virtualMs: number;
  readonly datagrams: number;
  readonly events: number;
  readonly phasesMs: Readonly<Record<string, number>>;
}

export async function runDhtSimulation(o: DhtSimRunOptions): Promise<DhtSimReport> {
  const wall = o.wallClock ?? (() => 0);
  const t0 = wall();
  const phases: Record<string, number> = {};
  let mark = t0;
  const phase = (name: string, detail = ''): void => {
    const now = wall();
    phases[name] = Math.round(now - mark);
    mark = now;
    o.onPhase?.(name, detail);
  };
  const unresponsive = o.unresponsive ?? 0.2;
  const churn = o.churn ?? 0.1;
  const net = await DhtSimNetwork.create({ nodes: o.nodes, seed: o.seed ?? 1, medianRttMs: o.medianRttMs ?? 100, unresponsive, node: o.node });
  phase('build', `${o.nodes} hosts`);
  const spacing = o.joinSpacingMs ?? Math.min(20, Math.max(1, 100_000 / o.nodes));
  const progress = o.onProgress;
  net.bootstrapAll(spacing, progress === undefined ? undefined : (ready) => {
    progress('bootstrap', `${ready} of ${o.nodes} joined, virtual ${Math.round(net.sim.now / 1000)} s, ${net.sim.eventsProcessed} events, ${net.sim.stats.datagramsSent} datagrams`);
  }, Math.max(1, Math.round(o.nodes / 10)));
  phase('bootstrap', `virtual ${Math.round(net.sim.now / 1000)} s`);
  if (o.refresh ?? true) {
    net.refreshAll(Math.min(60_000, o.nodes * spacing));
    phase('refresh', `virtual ${Math.round(net.sim.now / 1000)} s`);
  }
  const anyOnline = (i: number): boolean => net.online(i);
  const announced = announceAll(net, o.lookups, anyOnline);
  phase('announce', `${announced.length} info hashes`);
  const lookupSpacing = o.lookupSpacingMs ?? 100;
  const windowMs = o.lookups * lookupSpacing + 10_000;
  // The lookup side stays online for its lookup; everyone else may churn.
  const churnStats = scheduleChurn(net, { fraction: churn, windowMs });
  const lookupFrom = (i: number): boolean => net.online(i);
  const outcomes = lookupPeers(net, announced, lookupFrom, lookupSpacing);
  phase('lookups', `${outcomes.length} lookups`);
  const found = outcomes.filter((x) => x.found);
  const latency = found.map((x) => x.foundMs as number);
  const hops = found.map((x) => x.foundHop as number);
  const r = (x: number, d = 1): number => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : NaN);
  return {
    nodes: o.nodes,
    lookups: outcomes.length,
    success: r(found.length / Math.max(1, outcomes.length), 4),
    medianHops: quantile(hops, 0.5),
    p95Hops: quantile(hops, 0.95),
    medianLatencyMs: r(quantile(latency, 0.5)),
    p90LatencyMs: r(quantile(latency, 0.9)),
    p95LatencyMs: r(quantile(latency, 0.95)),
    medianCompletionMs: r(quantile(outcomes.map((x) => x.result.stats.durationMs), 0.5)),
    wallMs: Math.round(wall() - t0),
    peakRssMb: Math.round((o.peakRss?.() ?? 0) / 1e6),
    unresponsive,
    churn,
    departures: churnStats.departures,
    virtualMs: Math.round(net.sim.now),
    datagrams: net.sim.stats.datagramsSent,
    events: net.sim.eventsProcessed,
    phasesMs: phases,
  };
}
