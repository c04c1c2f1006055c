/** Text and report section for `shoal sim nat`. */
import type { NatReport, NatRun, RouterShare } from './nat-scenario.js';
import type { ReportSection } from './report-html.js';

const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-');
const sec = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');
/** "UPnP 35.0% (IGD v1 20.0%, v2 15.0%), NAT-PMP 20.0%" of NAT routers. */
function routersText(routers: readonly RouterShare[]): string {
  const sum = (f: (r: RouterShare) => boolean): number => routers.filter(f).reduce((a, r) => a + r.share, 0);
  return `UPnP IGD ${pct(sum((r) => r.upnp !== false))} (v1 ${pct(sum((r) => r.upnp === 1))}, v2 ${pct(sum((r) => r.upnp === 2))}), NAT-PMP ${pct(sum((r) => r.natPmp))}, neither ${pct(sum((r) => !r.natPmp && r.upnp === false))}`;
}

const LABEL = { none: 'no traversal', mapping: 'port mapping', holepunch: 'mapping + hole punching' } as const;

function punchLine(x: NatRun): string {
  const p = x.punch;
  if (p.pairs === 0) return `${LABEL[x.traversal]}: no punches`;
  return `${LABEL[x.traversal]}: ${p.attempts} punch attempts over ${p.pairs} peer pairs; ${p.punched} pairs punched through (${pct(p.successRate)}), ${pct(p.firstTryShare)} of them at the first try; ${p.punchedCarriedUtp} then carried payload over uTP; symmetric-symmetric pairs punched: ${p.symmetricBoth} of ${p.symmetricBothTried} that tried; ${p.redundant} punches to peers already connected under another address left out`;
}

export function formatNat(r: NatReport): string {
  const a = r.anchors;
  return [
    `shoal sim nat: ${r.peers} leechers behind a NAT mix (${r.mix.map((m) => `${m.type} ${pct(m.share)}`).join(', ')}; NAT routers answer ${routersText(r.routers)}), ${(r.fileBytes / 2 ** 20).toFixed(2)} MiB, seed ${r.seed}`,
    'traversal                 connected/dialled  connected/all  possible/all  mean s  median s  p90 s  done  mapped  ext.addr',
    ...r.runs.map((x) => [
      LABEL[x.traversal].padEnd(24),
      pct(x.connectedOfAttempted).padStart(18),
      pct(x.connectedPairs).padStart(13),
      pct(x.connectablePairs).padStart(12),
      sec(x.meanCompletionS).padStart(6),
      sec(x.medianCompletionS).padStart(8),
      sec(x.p90CompletionS).padStart(5),
      String(x.completed).padStart(4),
      `${x.mappedPeers}/${x.natedPeers}`.padStart(6),
      `${x.externalAddressAgreed}/${x.natedPeers}`.padStart(8),
    ].join('  ')),
    ...r.runs.filter((x) => x.mappedPeers > 0).map((x) => `${LABEL[x.traversal]}: ${x.mappedPeers} of ${x.natedPeers} NATed leechers mapped both ports (last mapping via UPnP IGD ${x.mappedVia.upnp}, NAT-PMP ${x.mappedVia.natpmp}, PCP ${x.mappedVia.pcp})`),
    ...r.runs.filter((x) => x.traversal === 'holepunch').map(punchLine),
    `NATs a punch works against in this mix: ${pct(r.punchableNats)}; published: Ford, Srisuresh and Kegel 2005 ${pct(a.fordUdp)} UDP, ${pct(a.fordTcp)} TCP; libp2p DCUtR ${pct(a.dcutrSuccess)} ± ${pct(a.dcutrSuccessCi)} success, ${pct(a.dcutrFirstTry)} of successes at the first try`,
    'connected/dialled: leecher pairs with a connection over pairs where one side dialled the other (measured); possible/all: what the NAT types and the mappings made allow',
    `wall ${r.wallS.toFixed(1)} s`,
  ].join('\n') + '\n';
}

export function natSection(r: NatReport): ReportSection {
  const holepunch = r.runs.find((x) => x.traversal === 'holepunch');
  return {
    id: 'nat',
    title: `NAT traversal: ${r.peers} leechers`,
    paragraphs: [
      `NAT mix: ${r.mix.map((m) => `${m.type} ${pct(m.share)}`).join(', ')}; NAT routers answer ${routersText(r.routers)}. The gateways rewrite addresses (RFC 4787 mapping and filtering per type); clients dial uTP then TCP, map ports with Shoal's port mapper and punch through BEP 55 relays.`,
      ...(holepunch ? [punchLine(holepunch)] : []),
      `Share of NATs a punch works against: ${pct(r.punchableNats)}, against Ford, Srisuresh and Kegel 2005 (82% UDP, 64% TCP) and libp2p DCUtR (70% ± 7.1%, 97.6% at the first try).`,
    ],
    charts: [
      {
        title: 'Leecher pairs that connected', type: 'bar', xLabel: 'traversal', yLabel: 'share of pairs',
        categories: r.runs.map((x) => LABEL[x.traversal]),
        series: [
          { label: 'connected, of pairs that dialled (measured)', data: r.runs.map((x) => x.connectedOfAttempted) },
          { label: 'possible from NAT types (all pairs)', data: r.runs.map((x) => x.connectablePairs) },
        ],
      },
      {
        title: 'Hole punching: share that works, beside published figures', type: 'bar', xLabel: 'source', yLabel: 'share',
        categories: ['punch success (pairs)', 'first try', 'NATs punchable (mix)', 'Ford 2005 UDP', 'Ford 2005 TCP', 'DCUtR success', 'DCUtR first try'],
        series: [
          { label: 'Shoal on the simulator', data: [holepunch?.punch.successRate ?? null, holepunch?.punch.firstTryShare ?? null, r.punchableNats, null, null, null, null] },
          { label: 'published', data: [null, null, null, r.anchors.fordUdp, r.anchors.fordTcp, r.anchors.dcutrSuccess, r.anchors.dcutrFirstTry], anchor: true },
        ],
      },
      {
        title: 'Completion by traversal', type: 'bar', xLabel: 'traversal', yLabel: 'completion, s',
        categories: r.runs.map((x) => LABEL[x.traversal]),
        series: [
          { label: 'mean', data: r.runs.map((x) => x.meanCompletionS) },
          { label: 'median', data: r.runs.map((x) => x.medianCompletionS) },
          { label: 'p90', data: r.runs.map((x) => x.p90CompletionS) },
        ],
      },
    ],
    table: [
      ['traversal', 'connected / dialled', 'connected / all', 'possible / all', 'mean s', 'median s', 'p90 s', 'completed', 'punch attempts', 'punch success', 'first try'],
      ...r.runs.map((x) => [
        LABEL[x.traversal], pct(x.connectedOfAttempted), pct(x.connectedPairs), pct(x.connectablePairs), sec(x.meanCompletionS), sec(x.medianCompletionS), sec(x.p90CompletionS),
        String(x.completed), String(x.punch.attempts), pct(x.punch.successRate), pct(x.punch.firstTryShare),
      ]),
    ],
  };
}
