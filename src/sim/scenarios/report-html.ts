/**
 * Offline HTML for the scenario reports: sections of text, charts (Chart.js inlined by the
 * caller, so the file opens with no network) and tables. Every chart's axes start at zero
 * unless the spec says otherwise (and then the axis title says so), and every series has
 * a label: the report test checks both in Chromium.
 */

export interface Series {
  readonly label: string;
  /** Points, or (bar charts) one value per category label. */
  readonly data: readonly { x: number; y: number }[] | readonly (number | null)[];
  /** A published anchor or model line: drawn dashed. */
  readonly anchor?: boolean;
}

export interface ChartSpec {
  readonly title: string;
  readonly type: 'line' | 'bar' | 'scatter';
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly Series[];
  /** Bar charts: the category labels. */
  readonly categories?: readonly string[];
  /** The y axis starts where the data does (its title then says "not from zero"). */
  readonly yNotFromZero?: boolean;
}

export interface ReportSection {
  readonly id: string;
  readonly title: string;
  readonly paragraphs: readonly string[];
  readonly charts: readonly ChartSpec[];
  /** First row: the header. */
  readonly table?: readonly (readonly string[])[];
}

/**
 * A section another module renders whole: an HTML fragment that is its own
 * `<section id="...">` (the churn report's inline SVG charts and table). Trusted: built by
 * our code from numbers, never from a peer's or user's text.
 */
export interface HtmlSection {
  readonly id: string;
  readonly html: string;
  /** Paragraphs (plain text) and Chart.js charts added at the end of the fragment's section (published anchors). */
  readonly extraParagraphs?: readonly string[];
  readonly charts?: readonly ChartSpec[];
}

export type AnySection = ReportSection | HtmlSection;

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#17becf', '#8c564b', '#e377c2'];

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** One chart as a Chart.js configuration (plain data: it is embedded as JSON). */
export function chartConfig(c: ChartSpec): unknown {
  const datasets = c.series.map((s, i) => ({
    label: s.label,
    data: s.data,
    borderColor: PALETTE[i % PALETTE.length],
    backgroundColor: PALETTE[i % PALETTE.length],
    borderDash: s.anchor ? [6, 4] : undefined,
    pointRadius: c.type === 'bar' ? undefined : 1.5,
    showLine: c.type !== 'scatter' || s.anchor === true,
    fill: false,
  }));
  const isBar = c.type === 'bar';
  return {
    type: c.type === 'scatter' ? 'scatter' : c.type,
    data: isBar ? { labels: c.categories ?? [], datasets } : { datasets },
    options: {
      animation: false,
      parsing: isBar ? undefined : false,
      plugins: { title: { display: true, text: c.title }, legend: { display: true } },
      scales: {
        x: { type: isBar ? 'category' : 'linear', beginAtZero: true, title: { display: true, text: c.xLabel } },
        y: { beginAtZero: !c.yNotFromZero, title: { display: true, text: c.yNotFromZero ? `${c.yLabel} (not from zero)` : c.yLabel } },
      },
    },
  };
}

export function renderPage(title: string, sections: readonly AnySection[], chartJs: string, footer: readonly string[]): string {
  const configs: unknown[] = [];
  const canvases = (charts: readonly ChartSpec[]): string => charts.map((c) => {
    configs.push(chartConfig(c));
    return `<div class="chart"><canvas id="chart-${configs.length - 1}" data-title="${escapeHtml(c.title)}"></canvas></div>`;
  }).join('\n');
  const body = sections.map((s) => {
    if ('html' in s) {
      if (!s.charts?.length && !s.extraParagraphs?.length) return s.html;
      const end = s.html.lastIndexOf('</section>');
      const extra = `${(s.extraParagraphs ?? []).map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}\n${canvases(s.charts ?? [])}\n`;
      return end < 0 ? s.html + extra : s.html.slice(0, end) + extra + s.html.slice(end);
    }
    const charts = canvases(s.charts);
    const table = s.table ? `<table>${s.table.map((row, i) => `<tr>${row.map((cell) => (i === 0 ? `<th>${escapeHtml(cell)}</th>` : `<td>${escapeHtml(cell)}</td>`)).join('')}</tr>`).join('\n')}</table>` : '';
    return `<section id="${escapeHtml(s.id)}"><h2>${escapeHtml(s.title)}</h2>\n${s.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}\n${charts}\n${table}</section>`;
  }).join('\n');
  // `</` cannot appear inside the JSON (it would end the script element early).
  const json = JSON.stringify(configs).replace(/</g, '\\u003c');
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:1100px}.chart{width:520px;height:320px;display:inline-block;margin:8px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}</style>
<script>${chartJs}</script></head><body>
<h1>${escapeHtml(title)}</h1>
${body}
<footer>${footer.map((f) => `<p>${escapeHtml(f)}</p>`).join('')}</footer>
<script>
const configs = ${json};
window.shoalCharts = configs.map((c, i) => new Chart(document.getElementById('chart-' + i), c));
</script></body></html>
`;
}
