/** Text and report section for `shoal sim nat`. */
import type { NatReport } from './nat-scenario.js';
import type { ReportSection } from './report-html.js';

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;
const LABEL = { none: 'no traversal', mapping: 'port mapping', holepunch: 'mapping + hole punching' } as const;

export function formatNat(r: NatReport): string {
  return [
    `shoal sim nat: ${r.peers} leechers behind a NAT mix (${r.mix.map((m) => `${m.type} ${pct(m.share)}`).join(', ')}; ${pct(r.mappingShare)} of NATs map ports), seed ${r.seed}`,
    'traversal                 pairs connectable  mean completion s  done',
    ...r.runs.map((x) => `${LABEL[x.traversal].padEnd(24)}  ${pct(x.connectablePairs).padStart(17)}  ${x.meanCompletionS.toFixed(1).padStart(17)}  ${x.completed}`),
    `NATs a punch works against: ${pct(r.punchableNats)} (Ford et al. 2005: 82% UDP, 64% TCP; libp2p DCUtR: 70% ± 7.1% success, 97.6% of successes at the first try)`,
    'modelled: port mapping and hole punching as outcomes at the connectivity level (see docs/simulator.md); the NAT boxes filter real simulated traffic',
    `wall ${r.wallS.toFixed(1)} s`,
  ].join('\n') + '\n';
}

export function natSection(r: NatReport): ReportSection {
  return {
    id: 'nat',
    title: `NAT traversal: ${r.peers} leechers`,
    paragraphs: [
      `NAT mix: ${r.mix.map((m) => `${m.type} ${pct(m.share)}`).join(', ')}; ${pct(r.mappingShare)} of NATed routers map ports. Port mapping and hole punching are modelled as outcomes (connectivity level); the simulator's NAT boxes drop unsolicited inbound traffic.`,
      `Share of NATs a punch works against: ${pct(r.punchableNats)}, against Ford, Srisuresh and Kegel 2005 (82% UDP, 64% TCP) and libp2p DCUtR (70% ± 7.1%).`,
    ],
    charts: [
      {
        title: 'Leecher pairs that can connect', type: 'bar', xLabel: 'traversal', yLabel: 'share of pairs',
        categories: r.runs.map((x) => LABEL[x.traversal]),
        series: [{ label: 'Shoal on the simulator', data: r.runs.map((x) => x.connectablePairs) }],
      },
      {
        title: 'Hole punching: share that works, beside published figures', type: 'bar', xLabel: 'source', yLabel: 'share',
        categories: ['this NAT mix (UDP)', 'Ford 2005 UDP', 'Ford 2005 TCP', 'DCUtR 2022'],
        series: [
          { label: 'modelled here', data: [r.punchableNats, null, null, null] },
          { label: 'published', data: [null, r.anchors.fordUdp, r.anchors.fordTcp, r.anchors.dcutrSuccess], anchor: true },
        ],
      },
      {
        title: 'Mean completion by traversal', type: 'bar', xLabel: 'traversal', yLabel: 'mean completion, s',
        categories: r.runs.map((x) => LABEL[x.traversal]),
        series: [{ label: 'mean completion, s', data: r.runs.map((x) => x.meanCompletionS) }],
      },
    ],
    table: [['traversal', 'pairs connectable', 'mean completion s', 'completed'], ...r.runs.map((x) => [LABEL[x.traversal], pct(x.connectablePairs), x.meanCompletionS.toFixed(1), String(x.completed)])],
  };
}
