/**
 * `shoal sim report`: every scenario at a small size in one offline HTML report: swarm
 * (against the fluid model, rarest first against random), free riders, Sybils (the DHT
 * eclipse and Sybils in a swarm), churn (DHT lookups, swarm completion), keyword search and NAT traversal, each figure
 * beside its published anchor.
 */
import { runSybilSimulation } from '../../dht/sim/sybil.js';
import { runChurnScenario } from '../../dht/sim/churn-scenario.js';
import { churnSection } from '../../dht/sim/churn-report.js';
import { runSearch, SEARCH_DEFAULTS } from '../../overlays/harness/search.js';
import { runFreeRiders } from './freeriders.js';
import { freeRidersSection } from './freeriders-report.js';
import { natSection } from './nat-report.js';
import { runNatScenario } from './nat-scenario.js';
import { renderPage, type AnySection } from './report-html.js';
import { runSwarmCompletion } from './swarm-churn.js';
import { swarmChurnSection } from './swarm-churn-report.js';
import { swarmSection } from './swarm-report.js';
import { runSwarmScenario } from './swarm-scenario.js';
import { runSwarmSybil } from './swarm-sybil.js';

export interface FullReportOptions {
  readonly seed: number;
  /** Leechers in the swarm scenarios (default 40). */
  readonly peers?: number;
  readonly wallClock?: () => number;
  readonly onPhase?: (name: string) => void;
  /** Builds the churn section instead of the default small `shoal sim churn` run (tests). */
  readonly churn?: (seed: number) => Promise<AnySection>;
}

/** Leechers of the free-rider runs at most. */
export const REPORT_FREERIDER_PEERS = 30;

/**
 * The churn run of the report: 150 DHT nodes, 30-minute mean sessions, one virtual hour.
 * Long enough for stored peers to expire (30 min) without republishing, so the repair
 * mechanisms' effect shows; `shoal sim churn` runs 500 nodes for two hours.
 */
export const REPORT_CHURN = { nodes: 150, announcers: 10, meanSessionMs: 30 * 60_000, durationMs: 60 * 60_000, lookupsPerWindow: 20 } as const;

async function defaultChurn(seed: number, wallClock: () => number): Promise<AnySection> {
  return { id: 'churn', html: churnSection(await runChurnScenario({ ...REPORT_CHURN, seed, wallClock })) };
}

export interface FullReport {
  readonly html: string;
  readonly sections: readonly string[];
  readonly wallS: number;
  /** Wall time per section, s (where the time goes). */
  readonly phases: readonly { readonly name: string; readonly wallS: number }[];
}

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

export async function buildFullReport(o: FullReportOptions, chartJs: string): Promise<FullReport> {
  const wall = o.wallClock ?? (() => 0);
  const t0 = wall();
  const peers = o.peers ?? 40;
  const seed = o.seed;
  const sections: AnySection[] = [];
  const phases: { name: string; wallS: number }[] = [];
  let phaseAt = t0;
  const phase = (name: string): void => {
    const now = wall();
    if (phases.length > 0) phases[phases.length - 1].wallS = (now - phaseAt) / 1000;
    phaseAt = now;
    if (name !== '') phases.push({ name, wallS: 0 });
    if (name !== '') o.onPhase?.(name);
  };

  phase('swarm');
  const swarmRuns = [];
  for (const picker of ['rarest', 'random'] as const) swarmRuns.push(await runSwarmScenario({ peers, arrival: 'flash', flashWindowS: 1, fileBytes: 2 * 2 ** 20, lingerMeanS: 30, picker, seed }));
  sections.push(swarmSection(swarmRuns));

  phase('freeriders');
  // Four runs; 30 leechers and 4 MiB are about the least where tit-for-tat and reputation show (docs/simulator.md).
  sections.push(freeRidersSection(await runFreeRiders({ peers: Math.min(peers, REPORT_FREERIDER_PEERS), freeRiderShare: 0.2, fileBytes: 4 * 2 ** 20, seed })));

  phase('sybil');
  const dht = await runSybilSimulation({ nodes: 200, addresses: 4, identities: 32, lookups: 50, maxPaths: 4, disjointPaths: 4, medianRttMs: 100, seed });
  // 12 and 12 at the default 40 (20 and 20 cost five times the CPU and show the same).
  const swarmSybil = await runSwarmSybil({ honest: Math.max(4, Math.round(peers * 0.3)), sybils: Math.max(4, Math.round(peers * 0.3)), seed });
  sections.push({
    id: 'sybil',
    title: 'Sybils: eclipsing a DHT key, and lying peers in a swarm',
    paragraphs: [
      `DHT: ${dht.nodes} honest nodes, attacker ${dht.identities} ids on ${dht.addresses} addresses (f = ${pct(dht.attackerShare)}). Eclipsed lookups: none ${pct(dht.eclipsed.none)}, BEP 42 ${pct(dht.eclipsed.bep42)}, disjoint (d = ${dht.disjointPaths}) ${pct(dht.eclipsed.disjoint)}; crypto-puzzle ids not simulated. Anchor: S/Kademlia's (1 − (1 − f)^h)^d, dashed.`,
      `Swarm: ${swarmSybil.sybils} Sybils announce every piece and send none among ${swarmSybil.honest} leechers: mean completion ${swarmSybil.baselineMeanS.toFixed(1)} s without them, ${swarmSybil.undefendedMeanS.toFixed(1)} s without the silent-peer drop, ${swarmSybil.defendedMeanS.toFixed(1)} s with Shoal's defences.`,
    ],
    charts: [
      {
        title: 'Eclipsed lookups against disjoint paths d (BEP 42 network)', type: 'line', xLabel: 'disjoint paths d', yLabel: 'share of lookups eclipsed',
        series: [
          { label: 'measured', data: dht.byPaths.bep42.map((x) => ({ x: x.paths, y: x.eclipsed })) },
          { label: 'predicted (1 − (1 − f)^h)^d', anchor: true, data: dht.byPaths.bep42.map((x) => ({ x: x.paths, y: x.predicted })) },
        ],
      },
      {
        title: 'Honest leechers with Sybils in the swarm', type: 'bar', xLabel: 'run', yLabel: 'mean completion, s',
        categories: ['no Sybils', 'Sybils, no silent-peer drop', 'Sybils, Shoal defences'],
        series: [{ label: 'mean completion, s', data: [swarmSybil.baselineMeanS, swarmSybil.undefendedMeanS, swarmSybil.defendedMeanS] }],
      },
    ],
  });

  phase('churn');
  sections.push(o.churn ? await o.churn(seed) : await defaultChurn(seed, wall));

  phase('swarm-churn');
  // `shoal sim churn`'s swarm half at the report's size (40 leechers: 5-7 CPU s for the three runs).
  sections.push(swarmChurnSection(await runSwarmCompletion({ leechers: peers, seed })));

  phase('search');
  const search = await runSearch({ ...SEARCH_DEFAULTS, nodes: 500, replication: [0.01], floodTtl: [2, 3, 4], walkSteps: [8, 32], superTtl: [2], queries: 40, seed, headline: { floodTtl: 3, walkSteps: 32, superTtl: 2 } }, { wallClock: wall });
  const byOverlay = (ov: string) => search.runs.filter((r) => r.overlay === ov);
  sections.push({
    id: 'search',
    title: `Keyword search: ${search.nodes} nodes, 1% replication`,
    paragraphs: ['Success against messages per query, beside the coverage formula 1 − (1 − r)^m (Lv et al. 2002: random walks cut flooding traffic by about two orders of magnitude at scale).'],
    charts: [
      {
        title: 'Success against messages per query', type: 'scatter', xLabel: 'messages per query', yLabel: 'success',
        series: [
          ...['flooding', 'random-walk', 'super-peer'].map((ov) => ({ label: ov, data: byOverlay(ov).map((r) => ({ x: r.messagesPerQuery, y: r.success })) })),
          { label: 'coverage formula (flooding, walks)', anchor: true, data: search.runs.filter((r) => r.predictedSuccess !== null).map((r) => ({ x: r.messagesPerQuery, y: r.predictedSuccess! })).sort((a, b) => a.x - b.x) },
        ],
      },
    ],
    table: [['overlay', 'reach', 'success', 'formula', 'msgs/query'], ...search.runs.map((r) => [r.overlay, r.reach.ttl !== undefined ? `TTL ${r.reach.ttl}` : `${r.reach.walkers} x ${r.reach.steps}`, pct(r.success), pct(r.predictedSuccess), r.messagesPerQuery.toFixed(0)])],
  });

  phase('nat');
  sections.push(natSection(await runNatScenario({ peers: Math.max(10, Math.round(peers * 0.75)), seed })));

  phase('');
  const wallS = (wall() - t0) / 1000;
  const html = renderPage('Shoal: the textbook, measured', sections, chartJs, [`shoal sim report --seed ${seed} --peers ${peers}`, `simulated in ${wallS.toFixed(0)} s of wall time`]);
  return { html, sections: sections.map((s) => s.id), wallS, phases };
}
