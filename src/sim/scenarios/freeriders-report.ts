/** Text and report section for `shoal sim freeriders`. */
import type { FreeRiderReport } from './freeriders.js';
import type { ReportSection } from './report-html.js';

const s1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');

export function formatFreeRiders(r: FreeRiderReport): string {
  return [
    `shoal sim freeriders: ${r.peers} leechers (flash crowd), ${(r.freeRiderShare * 100).toFixed(0)}% upload nothing, seed ${r.seed}`,
    'choker        contributors s  free riders s  slowdown  free riders done',
    ...r.runs.map((x) => `${x.choker.padEnd(12)}  ${s1(x.contributorsMeanS).padStart(14)}  ${s1(x.freeRidersMeanS).padStart(13)}  ${x.slowdown.toFixed(2).padStart(8)}  ${x.freeRidersCompleted}/${x.freeRiders}`),
    `freeRiderSlowdown ${r.freeRiderSlowdown.toFixed(2)} (tit-for-tat), ${r.freeRiderSlowdownNoIncentive.toFixed(2)} (no incentive)`,
    `wall ${s1(r.wallS)} s`,
  ].join('\n') + '\n';
}

export function freeRidersSection(r: FreeRiderReport): ReportSection {
  return {
    id: 'freeriders',
    title: `Free riders: ${(r.freeRiderShare * 100).toFixed(0)}% of ${r.peers} leechers upload nothing`,
    paragraphs: [
      `Free riders' mean completion over contributors': ${r.freeRiderSlowdown.toFixed(2)}x with Shoal's tit-for-tat choker (optimistic unchoke every 30 s), ${r.freeRiderSlowdownNoIncentive.toFixed(2)}x with a choker that hands out slots at random.`,
      'Anchor: with no incentive the ratio is about 1 (everyone is served alike); tit-for-tat leaves free riders the optimistic unchokes and the seed (Cohen 2003; Legout et al. 2007 measured free riders served mostly by seeds).',
    ],
    charts: [{
      title: 'Mean completion time, contributors against free riders', type: 'bar', xLabel: 'choker', yLabel: 'mean completion, s',
      categories: r.runs.map((x) => x.choker),
      series: [
        { label: 'contributors', data: r.runs.map((x) => x.contributorsMeanS) },
        { label: 'free riders', data: r.runs.map((x) => x.freeRidersMeanS) },
      ],
    }],
    table: [['choker', 'contributors s', 'free riders s', 'slowdown'], ...r.runs.map((x) => [x.choker, s1(x.contributorsMeanS), s1(x.freeRidersMeanS), x.slowdown.toFixed(2)])],
  };
}
