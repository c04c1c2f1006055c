/**
 * The comparison report: one self-contained HTML file (Chart.js inlined, no network), with
 * charts of hops and messages per query against N on log axes, success with and without
 * churn, and the load on the busiest 1% of nodes; the table of every figure; and the
 * parameters and seed that reproduce it.
 */
import type { CompareResult, CompareRun } from '../harness/compare.js';

export interface ReportParams {
  /** The command line that reproduces the run. */
  command: string;
  seed: number;
  queries: number;
  /** When it was generated (the CLI passes a timestamp; protocol code reads no clock). */
  generated: string;
}

const COLOURS: Record<string, string> = {
  flooding: '#d62728',
  'random-walk': '#ff7f0e',
  'super-peer': '#9467bd',
  chord: '#1f77b4',
  pastry: '#2ca02c',
  kademlia: '#17becf',
};

export function renderReport(result: CompareResult, params: ReportParams, chartJs: string): string {
  const done = result.runs.filter((r) => r.pending === undefined);
  const overlays = [...new Set(result.runs.map((r) => r.overlay))];
  const sizes = [...new Set(result.runs.map((r) => r.nodes))].sort((a, b) => a - b);
  const base = done.some((r) => r.churn === 'none') ? 'none' : 'weibull';
  const line = (metric: keyof CompareRun) =>
    overlays
      .map((o) => ({
        label: o,
        borderColor: COLOURS[o],
        backgroundColor: COLOURS[o],
        data: done.filter((r) => r.overlay === o && r.churn === base && Number.isFinite(r[metric] as number)).map((r) => ({ x: r.nodes, y: r[metric] as number })),
      }))
      .filter((d) => d.data.length > 0);
  const bars = (metric: keyof CompareRun) => {
    const groups = [...new Set(done.map((r) => `${r.nodes}|${r.churn}`))];
    return {
      labels: overlays,
      datasets: groups.map((g, i) => {
        const [n, churn] = g.split('|');
        return {
          label: `N=${Number(n).toLocaleString('en')}${churn === 'none' ? '' : ', Weibull churn'}`,
          backgroundColor: shade(i, groups.length, churn !== 'none'),
          data: overlays.map((o) => done.find((r) => r.overlay === o && `${r.nodes}|${r.churn}` === g)?.[metric] ?? null),
        };
      }),
    };
  };
  const lowest = Math.min(1, ...done.map((r) => r.success ?? 1).filter((v) => Number.isFinite(v)));
  const data = {
    successMin: Math.max(0, Math.floor((lowest - 0.05) * 10) / 10),
    hops: line('meanHops'),
    messages: line('messagesPerQuery'),
    success: bars('success'),
    load: bars('top1pctLoadShare'),
    sizes,
  };
  const pending = result.runs.filter((r) => r.pending !== undefined);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Shoal: overlays compared</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1200px;padding:0 16px;color:#222}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:24px 0 8px}
.sub{color:#666;margin-bottom:16px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.card{border:1px solid #ddd;border-radius:6px;padding:12px;background:#fff}
.card h3{margin:0 0 8px;font-size:14px}
canvas{width:100%!important;height:300px!important}
table{border-collapse:collapse;width:100%;font-size:12px}
.scroll{overflow-x:auto}
th,td{border-bottom:1px solid #eee;padding:4px 6px;text-align:right;white-space:nowrap}
th:first-child,td:first-child,th:nth-child(3),td:nth-child(3){text-align:left}
th{background:#f6f6f6;white-space:normal;vertical-align:bottom}
.pending{color:#a05a00}
code{background:#f3f3f3;padding:1px 4px;border-radius:3px}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px} dt{color:#666}
</style></head><body>
<h1>Unstructured, hybrid and structured overlays on one workload</h1>
<div class="sub">Real protocol code on Shoal's discrete-event simulator: seed ${params.seed}, ${params.queries} queries per run, generated ${esc(params.generated)}.</div>
${pending.length > 0 ? `<p class="pending">Pending (not run, not faked): ${pending.map((p) => `${esc(p.overlay)} at N=${p.nodes} (${esc(p.pending ?? '')})`).join('; ')}.</p>` : ''}
<div class="grid">
<div class="card"><h3>Mean hops vs N (log axis)</h3><canvas id="hops"></canvas></div>
<div class="card"><h3>Messages per query vs N (log-log)</h3><canvas id="messages"></canvas></div>
<div class="card"><h3>Success rate${done.some((r) => r.churn !== 'none') ? ' with and without churn' : ' (run with --churn none,weibull for churn)'}</h3><canvas id="success"></canvas></div>
<div class="card"><h3>Query load on the busiest 1% of nodes</h3><canvas id="load"></canvas></div>
</div>
<h2>Figures</h2>
<div class="scroll"><table><thead><tr><th>overlay</th><th>N</th><th>churn</th><th>success</th><th>mean hops</th><th>p95 hops</th><th>msgs/query</th><th>median latency ms</th><th>p95 latency ms</th><th>maint. msgs/node/min</th><th>state entries/node</th><th>top-1% load share</th><th>wall s</th></tr></thead><tbody>
${result.runs.map(row).join('\n')}
</tbody></table></div>
<h2>Reproduce</h2>
<dl><dt>command</dt><dd><code>${esc(params.command)}</code></dd>
<dt>seed</dt><dd>${params.seed}</dd><dt>wall time</dt><dd>${(result.wallMs / 1000).toFixed(1)} s</dd><dt>peak RSS</dt><dd>${result.peakRssMb} MB</dd></dl>
<p class="sub">Success: structured overlays succeed only when the lookup ends at the node truly responsible for the key (simulator ground truth); unstructured and hybrid ones when a node holding the item answers. Messages per query count every overlay message a query caused (walkers, floods, check-backs, acknowledgements, hits). Latency is virtual time. Maintenance is per live node per minute during the query phase. See docs/simulator.md, "Comparing overlays".</p>
<script>${chartJs.replace(/<\/script/gi, '<\\/script')}</script>
<script>
const DATA = ${JSON.stringify(data).replace(/</g, '\\u003c')};
Chart.defaults.animation = false;
const logX = { type: 'logarithmic', title: { display: true, text: 'nodes (N)' }, ticks: { callback: (v) => (DATA.sizes.includes(v) ? Number(v).toLocaleString('en') : '') } };
new Chart(document.getElementById('hops'), { type: 'line', data: { datasets: DATA.hops }, options: { scales: { x: logX, y: { beginAtZero: true, title: { display: true, text: 'mean hops' } } } } });
new Chart(document.getElementById('messages'), { type: 'line', data: { datasets: DATA.messages }, options: { scales: { x: logX, y: { type: 'logarithmic', title: { display: true, text: 'messages per query' } } } } });
new Chart(document.getElementById('success'), { type: 'bar', data: DATA.success, options: { scales: { y: { min: DATA.successMin, max: 1, title: { display: true, text: 'success rate' } } } } });
new Chart(document.getElementById('load'), { type: 'bar', data: DATA.load, options: { scales: { y: { min: 0, title: { display: true, text: 'share of query messages' } } } } });
</script>
</body></html>
`;
}

function row(r: CompareRun): string {
  if (r.pending !== undefined) return `<tr class="pending"><td>${esc(r.overlay)}</td><td>${r.nodes.toLocaleString('en')}</td><td>${r.churn}</td><td colspan="10" style="text-align:left">pending: ${esc(r.pending)}</td></tr>`;
  const f = (v: number | undefined, d: number): string => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(d));
  return `<tr><td>${esc(r.overlay)}</td><td>${r.nodes.toLocaleString('en')}</td><td>${r.churn}</td><td>${f(r.success === undefined ? undefined : r.success * 100, 1)}%</td><td>${f(r.meanHops, 2)}</td><td>${f(r.p95Hops, 0)}</td><td>${f(r.messagesPerQuery, 1)}</td><td>${f(r.medianLatencyMs, 0)}</td><td>${f(r.p95LatencyMs, 0)}</td><td>${f(r.maintenancePerNodeMin, 1)}</td><td>${f(r.stateEntriesPerNode, 1)}</td><td>${f(r.top1pctLoadShare, 3)}</td><td>${f(r.wallMs === undefined ? undefined : r.wallMs / 1000, 1)}</td></tr>`;
}

function shade(i: number, n: number, churn: boolean): string {
  const light = 30 + Math.round((40 * i) / Math.max(1, n - 1));
  return churn ? `hsl(10, 70%, ${light}%)` : `hsl(210, 60%, ${light}%)`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
