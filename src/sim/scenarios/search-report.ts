/**
 * The keyword-search section (`shoal sim search --out`, and `shoal sim report`): success
 * against messages per query for each overlay, beside the coverage formula, and the
 * headline flooding-to-walks message ratio beside Lv et al.'s two orders of magnitude.
 */
import type { SearchResult } from '../../overlays/harness/search.js';
import type { ReportSection, Series } from './report-html.js';

const OVERLAYS = ['flooding', 'random-walk', 'super-peer'] as const;

const pct = (x: number | null): string => (x === null || Number.isNaN(x) ? '-' : `${(x * 100).toFixed(1)}%`);
const ratioPct = (r: number): string => `${+(r * 100).toFixed(2)}%`;

/**
 * Flooding's and the walks' messages per query at the same success (the highest both reach at
 * the first ratio, each its cheapest run there): the comparison Lv et al. make.
 */
function gapAtEqualSuccess(r: SearchResult): string {
  const first = r.runs[0]?.replication;
  if (first === undefined) return '';
  const of = (ov: string) => r.runs.filter((x) => x.overlay === ov && x.replication === first && Number.isFinite(x.success) && x.messagesPerQuery > 0);
  const flood = of('flooding'), walk = of('random-walk');
  if (flood.length === 0 || walk.length === 0) return '';
  const target = Math.min(Math.max(...flood.map((x) => x.success)), Math.max(...walk.map((x) => x.success)));
  const cheapest = (runs: typeof flood) => runs.filter((x) => x.success >= target).sort((a, b) => a.messagesPerQuery - b.messagesPerQuery)[0];
  const f = cheapest(flood), w = cheapest(walk);
  return ` At ${pct(target)} success or more (r = ${ratioPct(first)}): flooding ${f.messagesPerQuery.toFixed(0)} messages a query (TTL ${f.reach.ttl}), random walks ${w.messagesPerQuery.toFixed(0)} (${w.reach.walkers} x ${w.reach.steps} steps), ${(f.messagesPerQuery / w.messagesPerQuery).toFixed(1)}x fewer at ${r.nodes} nodes; the gap grows with n (a flood's cost follows the network, a walk's the replication ratio).`;
}

export function searchSection(r: SearchResult): ReportSection {
  const ratios = [...new Set(r.runs.map((x) => x.replication))];
  const several = ratios.length > 1;
  const label = (overlay: string, replication: number): string => (several ? `${overlay}, r = ${ratioPct(replication)}` : overlay);
  const series: Series[] = [];
  for (const replication of ratios) {
    for (const ov of OVERLAYS) {
      const runs = r.runs.filter((x) => x.overlay === ov && x.replication === replication);
      if (runs.length > 0) series.push({ label: label(ov, replication), data: runs.map((x) => ({ x: x.messagesPerQuery, y: x.success })) });
    }
  }
  const formula = r.runs.filter((x) => x.predictedSuccess !== null).map((x) => ({ x: x.messagesPerQuery, y: x.predictedSuccess! })).sort((a, b) => a.x - b.x);
  const gap = gapAtEqualSuccess(r);
  return {
    id: 'search',
    title: `Keyword search: ${r.nodes} nodes, ${ratios.map(ratioPct).join(', ')} replication`,
    paragraphs: [`Success against messages per query, beside the coverage formula 1 − (1 − r)^m (Lv et al. 2002: random walks cut flooding traffic by about two orders of magnitude at scale).${gap}`],
    charts: [{
      title: 'Success against messages per query', type: 'scatter', xLabel: 'messages per query', yLabel: 'success',
      series: [...series, { label: 'coverage formula (flooding, walks)', anchor: true, data: formula }],
    }],
    table: [
      ['overlay', ...(several ? ['replication'] : []), 'reach', 'success', 'formula', 'msgs/query'],
      ...r.runs.map((x) => [x.overlay, ...(several ? [ratioPct(x.replication)] : []), x.reach.ttl !== undefined ? `TTL ${x.reach.ttl}` : `${x.reach.walkers} x ${x.reach.steps}`, pct(x.success), pct(x.predictedSuccess), x.messagesPerQuery.toFixed(0)]),
    ],
  };
}
