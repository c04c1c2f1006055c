/**
 * `shoal sim report`: every scenario at a small size in one offline HTML report: swarm
 * (against the fluid model, rarest first against random), free riders, Sybils (the DHT
 * eclipse and Sybils in a swarm), churn (DHT lookups, swarm completion), keyword search and NAT traversal, each figure
 * beside its published anchor.
 */
import { runSybilSimulation } from '../../dht/sim/sybil.js';
import { runChurnScenario } from '../../dht/sim/churn-scenario.js';
import { churnSection } from '../../dht/sim/churn-report.js';
import { dhtChurnAnchorCharts, dhtChurnAnchorText, swarmChurnAnchorChart } from './churn-anchors.js';
import { runSearch, SEARCH_DEFAULTS } from '../../overlays/harness/search.js';
import { runFreeRiders } from './freeriders.js';
import { freeRidersSection } from './freeriders-report.js';
import { natSection } from './nat-report.js';
import { runNatScenario } from './nat-scenario.js';
import { renderPage, type AnySection } from './report-html.js';
import { searchSection } from './search-report.js';
import { sybilSection } from './sybil-report.js';
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
  const r = await runChurnScenario({ ...REPORT_CHURN, seed, wallClock });
  return { id: 'churn', html: churnSection(r), extraParagraphs: [dhtChurnAnchorText(r)], charts: dhtChurnAnchorCharts(r) };
}

export interface FullReport {
  readonly html: string;
  readonly sections: readonly string[];
  readonly wallS: number;
  /** Wall time per section, s (where the time goes). */
  readonly phases: readonly { readonly name: string; readonly wallS: number }[];
}

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
  sections.push(sybilSection(dht, swarmSybil));

  phase('churn');
  sections.push(o.churn ? await o.churn(seed) : await defaultChurn(seed, wall));

  phase('swarm-churn');
  // `shoal sim churn`'s swarm half at the report's size (40 leechers: 5-7 CPU s for the three runs).
  const swarmChurn = await runSwarmCompletion({ leechers: peers, seed });
  const churnSec = swarmChurnSection(swarmChurn);
  sections.push({ ...churnSec, charts: [...churnSec.charts, swarmChurnAnchorChart(swarmChurn)] });

  phase('search');
  const search = await runSearch({ ...SEARCH_DEFAULTS, nodes: 500, replication: [0.01], floodTtl: [2, 3, 4], walkSteps: [8, 32], superTtl: [2], queries: 40, seed, headline: { floodTtl: 3, walkSteps: 32, superTtl: 2 } }, { wallClock: wall });
  sections.push(searchSection(search));

  phase('nat');
  sections.push(natSection(await runNatScenario({ peers: Math.max(10, Math.round(peers * 0.75)), seed })));

  phase('');
  const wallS = (wall() - t0) / 1000;
  const html = renderPage('Shoal: the textbook, measured', sections, chartJs, [`shoal sim report --seed ${seed} --peers ${peers}`, `simulated in ${wallS.toFixed(0)} s of wall time`]);
  return { html, sections: sections.map((s) => s.id), wallS, phases };
}
