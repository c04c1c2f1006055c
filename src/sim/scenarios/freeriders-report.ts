/** Text and report section for `shoal sim freeriders`. */
import type { FreeRiderReport, FreeRiderRun } from './freeriders.js';
import type { ReportSection } from './report-html.js';

const s1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');
const r2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');

const RUN_LABEL: Record<FreeRiderRun['choker'], string> = {
  'tit-for-tat': 'tit-for-tat',
  random: 'random (no incentive)',
  tyrant: 'tit-for-tat, probes as tyrants',
  reputation: 'tit-for-tat, 2nd torrent (reputation)',
};

export function formatFreeRiders(r: FreeRiderReport): string {
  const lines = [
    `shoal sim freeriders: ${r.peers} leechers (flash crowd), ${(r.freeRiderShare * 100).toFixed(0)}% upload nothing, ${r.probes} probes on 1 Mbit/s links, seed ${r.seed}`,
    'run                                    contributors s  free riders s  slowdown  same class  probes s  free riders done',
    ...r.runs.map((x) => `${RUN_LABEL[x.choker].padEnd(37)}  ${s1(x.contributorsMeanS).padStart(14)}  ${s1(x.freeRidersMeanS).padStart(13)}  ${r2(x.slowdown).padStart(8)}  ${r2(x.slowdownSameClass).padStart(10)}  ${s1(x.probesMeanS).padStart(8)}  ${x.freeRidersCompleted}/${x.freeRiders}`),
    `freeRiderSlowdown ${r2(r.freeRiderSlowdown)} (tit-for-tat), ${r2(r.freeRiderSlowdownNoIncentive)} (no incentive), ${r2(r.freeRiderSlowdownReputation)} (second torrent, reputation)`,
    `tyrantSpeedup ${r2(r.tyrantSpeedup)} (probes' mean completion as regular clients over as tyrants; Piatek et al.: median ${r.piatekMedianSpeedup.toFixed(1)})`,
    `wall ${s1(r.wallS)} s`,
  ];
  return lines.join('\n') + '\n';
}

export function freeRidersSection(r: FreeRiderReport): ReportSection {
  const regular = r.runs.find((x) => x.choker === 'tit-for-tat');
  const tyrant = r.runs.find((x) => x.choker === 'tyrant');
  const charts: ReportSection['charts'][number][] = [{
    title: 'Mean completion time, contributors against free riders', type: 'bar', xLabel: 'run', yLabel: 'mean completion, s',
    categories: r.runs.map((x) => RUN_LABEL[x.choker]),
    series: [
      { label: 'contributors', data: r.runs.map((x) => x.contributorsMeanS) },
      { label: 'free riders', data: r.runs.map((x) => x.freeRidersMeanS) },
    ],
  }];
  if (regular && tyrant) {
    charts.push({
      title: 'A 1 Mbit/s client: regular Shoal against BitTyrant', type: 'bar', xLabel: 'client', yLabel: 'mean completion, s',
      categories: ['regular (tit-for-tat)', 'tyrant'],
      series: [
        { label: 'measured', data: [regular.probesMeanS, tyrant.probesMeanS] },
        { label: `Piatek et al. 2007: median speed-up ${r.piatekMedianSpeedup}`, anchor: true, data: [regular.probesMeanS, regular.probesMeanS / r.piatekMedianSpeedup] },
      ],
    });
  }
  return {
    id: 'freeriders',
    title: `Free riders: ${(r.freeRiderShare * 100).toFixed(0)}% of ${r.peers} leechers upload nothing`,
    paragraphs: [
      `Free riders' mean completion over contributors': ${r2(r.freeRiderSlowdown)}x with Shoal's tit-for-tat choker (optimistic unchoke every 30 s), ${r2(r.freeRiderSlowdownNoIncentive)}x with a choker that hands out slots at random, ${r2(r.freeRiderSlowdownReputation)}x when the same peers meet again in a second torrent and remember the first (reputation: known free riders are drawn a quarter as often for the optimistic unchoke and come last when rates tie).`,
      'Anchor: with no incentive the ratio is about 1 (everyone is served alike); tit-for-tat leaves free riders the optimistic unchokes, the seed and the regular slots nobody who uploads claims (Cohen 2003; Legout et al. 2007 measured free riders served mostly by seeds).',
      `BitTyrant (Piatek et al., NSDI 2007): ${r.probes} contributors on 1 Mbit/s links run the strategic choker (unchoke by d_p/u_p within their upload budget; δ = 0.2, γ = 0.1, r = 3). Their mean completion as regular clients over theirs as tyrants: ${r2(r.tyrantSpeedup)}, against a median ${r.piatekMedianSpeedup} on live swarms in 2007.`,
    ],
    charts,
    table: [['run', 'contributors s', 'free riders s', 'slowdown', 'same class', 'probes s'], ...r.runs.map((x) => [RUN_LABEL[x.choker], s1(x.contributorsMeanS), s1(x.freeRidersMeanS), r2(x.slowdown), r2(x.slowdownSameClass), s1(x.probesMeanS)])],
  };
}
