/**
 * The swarm half of `shoal sim churn` as text lines, as an HTML table (the `--out` page) and
 * as a `shoal sim report` section (Chart.js).
 */
import { escapeHtml, type ReportSection } from './report-html.js';
import type { SwarmChurnRun, SwarmCompletion } from './swarm-churn.js';

const RUNS = [['no churn', 'noChurn'], ['churn, resume (repair)', 'withRepair'], ['churn, restart (no repair)', 'withoutRepair']] as const;

const s = (x: number | null): string => (x === null ? '-' : x.toFixed(1));
const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

function headline(c: SwarmCompletion): string {
  return `${c.leechers} leechers, ${(c.fileBytes / 2 ** 20).toFixed(1)} MiB, ${c.model} sessions and offline spells of mean ${c.meanSessionS} s / ${c.meanOfflineS} s, origin seed always online, seed ${c.seed}`;
}

function rows(c: SwarmCompletion): string[][] {
  return RUNS.map(([label, k]) => {
    const r: SwarmChurnRun = c[k];
    return [label, pct(r.completionRate), s(r.meanCompletionS), s(r.medianCompletionS), s(r.meanOnlineS), String(r.departures), r.sessionsPerLeecher.toFixed(2), r.downloadedPerFile === null ? '-' : r.downloadedPerFile.toFixed(2)];
  });
}

const HEADER = ['run', 'completed', 'mean s', 'median s', 'mean online s', 'departures', 'sessions/leecher', 'downloaded/file'];

export function formatSwarmCompletion(c: SwarmCompletion): string {
  const table = [HEADER, ...rows(c)];
  const widths = HEADER.map((_, i) => Math.max(...table.map((r) => r[i].length)));
  return [`swarm: ${headline(c)}`, ...table.map((r) => r.map((x, i) => (i === 0 ? x.padEnd(widths[i]) : x.padStart(widths[i]))).join('  '))].join('\n') + '\n';
}

/** A plain table for the `shoal sim churn --out` page (no scripts there). */
export function swarmCompletionHtml(c: SwarmCompletion): string {
  const tr = (cells: readonly string[], tag: string): string => `<tr>${cells.map((x) => `<${tag}>${escapeHtml(x)}</${tag}>`).join('')}</tr>`;
  return [
    `<section id="swarm-churn"><h2>Churn: swarm completion</h2>`,
    `<p>${escapeHtml(headline(c))}. Completion time from a leecher's first arrival, offline spells included, over the leechers that finished.</p>`,
    `<table><thead>${tr(HEADER, 'th')}</thead><tbody>${rows(c).map((r) => tr(r, 'td')).join('')}</tbody></table>`,
    `</section>`,
  ].join('\n');
}

export function swarmChurnSection(c: SwarmCompletion): ReportSection {
  const runs = RUNS.map(([label, k]) => ({ label, r: c[k] }));
  return {
    id: 'swarm-churn',
    title: 'Churn: swarm completion under heavy-tailed sessions',
    paragraphs: [
      `${headline(c)}. A leecher whose session ends before it finishes leaves mid-download and comes back after an offline spell (Weibull shape 0.5: Stutzbach & Rejaie, IMC 2006). With repair it resumes from its verified pieces (as shoal get after a kill); without, it starts again from nothing. The reference is the same leechers without churn.`,
    ],
    charts: [
      {
        title: 'Completion time from first arrival', type: 'bar', xLabel: 'run', yLabel: 'seconds',
        categories: runs.map((x) => x.label),
        series: [
          { label: 'mean completion, s', data: runs.map((x) => x.r.meanCompletionS) },
          { label: 'median completion, s', data: runs.map((x) => x.r.medianCompletionS) },
        ],
      },
    ],
    table: [HEADER, ...rows(c)],
  };
}
