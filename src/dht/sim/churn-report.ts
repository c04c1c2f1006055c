/**
 * The churn scenario's report: `churnSection` gives an HTML fragment (two inline SVG line
 * charts and a table, no scripts, no network) that `shoal sim report` can embed;
 * `renderChurnHtml` wraps it into a whole page for `shoal sim churn --out`.
 */
import type { ChurnReport, ChurnRun } from './churn-scenario.js';

const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b'];
const W = 640, H = 300, L = 56, R = 170, T = 20, B = 44;

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function label(r: ChurnRun): string {
  return `${r.model}, repair: ${r.repair}`;
}

/** A line chart of `value(window)` over time for every run; y from 0 to 1, x from 0. */
function lineChart(title: string, yLabel: string, runs: readonly ChurnRun[], value: (w: ChurnRun['windows'][number]) => number): string {
  const maxX = Math.max(1, ...runs.flatMap((r) => r.windows.map((w) => w.endMin)));
  const x = (m: number): number => L + ((W - L - R) * m) / maxX;
  const y = (v: number): number => T + (H - T - B) * (1 - v);
  const parts: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">`];
  parts.push(`<line x1="${L}" y1="${y(0)}" x2="${W - R}" y2="${y(0)}" stroke="#000"/><line x1="${L}" y1="${y(0)}" x2="${L}" y2="${y(1)}" stroke="#000"/>`);
  for (const v of [0, 0.25, 0.5, 0.75, 1]) parts.push(`<text x="${L - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11">${v}</text><line x1="${L}" y1="${y(v)}" x2="${W - R}" y2="${y(v)}" stroke="#ddd"/>`);
  const step = maxX <= 60 ? 10 : maxX <= 180 ? 30 : 60;
  for (let m = 0; m <= maxX; m += step) parts.push(`<text x="${x(m)}" y="${y(0) + 16}" text-anchor="middle" font-size="11">${m}</text>`);
  parts.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle" font-size="12">minutes of churn</text>`);
  parts.push(`<text x="14" y="${(T + H - B) / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${(T + H - B) / 2})">${esc(yLabel)}</text>`);
  runs.forEach((r, i) => {
    const c = COLOURS[i % COLOURS.length];
    const pts = r.windows.filter((w) => Number.isFinite(value(w))).map((w) => `${x(w.endMin).toFixed(1)},${y(value(w)).toFixed(1)}`);
    parts.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${pts.join(' ')}"><title>${esc(label(r))}</title></polyline>`);
    parts.push(`<rect x="${W - R + 10}" y="${T + i * 18}" width="12" height="3" fill="${c}"/><text x="${W - R + 28}" y="${T + i * 18 + 5}" font-size="11">${esc(label(r))}</text>`);
  });
  parts.push('</svg>');
  return `<figure><figcaption>${esc(title)}</figcaption>${parts.join('')}</figure>`;
}

const pct = (v: number | null): string => (v === null || !Number.isFinite(v) ? '-' : `${(v * 100).toFixed(1)}%`);

/** The report's churn section: headline, charts, table (an HTML fragment). */
export function churnSection(r: ChurnReport): string {
  const rows = r.runs.map((x) => `<tr><td>${esc(x.model)}</td><td>${esc(x.repair)}</td><td>${pct(x.lookupSuccess)}</td><td>${x.lookups}</td><td>${Number.isFinite(x.medianLatencyMs) ? x.medianLatencyMs : '-'}</td><td>${x.departures}</td><td>${x.medianSessionMin}</td><td>${x.datagramsPerNodeMin}</td></tr>`);
  return [
    `<section id="churn"><h2>Churn: DHT lookups under heavy-tailed sessions</h2>`,
    `<p>${r.nodes} real DHT nodes, ${r.announcers} announced info hashes (announcers always online), mean session and offline spell ${r.meanSessionMin} min; Weibull shape 0.5 (Stutzbach &amp; Rejaie, IMC 2006) and Pareto alpha 3 (Leonard, Rai &amp; Loguinov, SIGMETRICS 2005). Repair: <em>full</em> = bucket refresh every 15 min and re-announce every 15 min (BEP 5, libtorrent's interval); <em>republish</em> = re-announce only; <em>none</em> = neither (stored peers expire after 30 min).</p>`,
    `<p>Headline (Weibull, full repair): lookup success <strong>${pct(r.lookupSuccess)}</strong>; without bucket refresh ${pct(r.lookupSuccessNoRefresh)}; without any repair ${pct(r.lookupSuccessNoRepair)}.</p>`,
    lineChart('get_peers lookups that found the announcer, per window', 'lookup success', r.runs, (w) => w.success),
    lineChart('routing table entries pointing at departed nodes (sample of online nodes)', 'stale share of entries', r.runs, (w) => w.staleEntries),
    `<table><thead><tr><th>sessions</th><th>repair</th><th>success</th><th>lookups</th><th>median ms to announcer</th><th>departures</th><th>median session min</th><th>datagrams/node/min</th></tr></thead><tbody>${rows.join('')}</tbody></table>`,
    `</section>`,
  ].join('\n');
}

export function renderChurnHtml(r: ChurnReport, meta: { command: string; generated: string }): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shoal: DHT under churn</title>
<style>body{font-family:system-ui,sans-serif;max-width:900px;margin:2em auto;padding:0 1em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}figure{margin:1em 0}figcaption{font-weight:600}</style></head>
<body><h1>Shoal: the Mainline DHT under churn</h1><p><code>${esc(meta.command)}</code> (seed ${r.seed}; generated ${esc(meta.generated)}; wall ${(r.wallMs / 1000).toFixed(1)} s)</p>
${churnSection(r)}
</body></html>
`;
}
