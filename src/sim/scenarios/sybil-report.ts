/**
 * The Sybil section (`shoal sim sybil --out`, and `shoal sim report`): the DHT eclipse per
 * defence, eclipsed lookups against disjoint paths beside S/Kademlia's (1 − (1 − f)^h)^d,
 * and the swarm half (Sybil peers that announce pieces and never send them).
 */
import type { SybilReport } from '../../dht/sim/sybil.js';
import type { ChartSpec, ReportSection } from './report-html.js';
import type { SwarmSybilReport, SwarmSybilRun } from './swarm-sybil.js';

const pct = (x: number | null): string => (x === null ? '-' : `${(x * 100).toFixed(1)}%`);

/** Per network and path count: eclipsed, predicted, captured, hops (first row: the header). */
export function sybilPathRows(r: SybilReport): string[][] {
  const out = [['network', 'paths', 'eclipsed', 'predicted', 'captured', 'hops']];
  for (const net of ['none', 'bep42', 'puzzle'] as const) {
    for (const x of r.byPaths[net]) out.push([net === 'none' ? 'no BEP 42' : net === 'bep42' ? 'BEP 42' : 'puzzle ids', String(x.paths), pct(x.eclipsed), pct(x.predicted), pct(x.captured), x.meanHops.toFixed(2)]);
  }
  return out;
}

/**
 * The swarm half: the three means, then per run how many honest leechers finished and how
 * their connections to Sybils ended (a mean alone hides a leecher that never finished, counted
 * at the run's length, and how often the Sybils were dropped and redialled).
 */
export function swarmSybilParagraphs(swarm: SwarmSybilReport): string[] {
  const run = (name: string, r: SwarmSybilRun): string => `${name}: ${r.completed}/${swarm.honest} finished (worst ${r.worstS.toFixed(0)} s), ${r.sybilConnections} Sybil connections, ${r.silentDrops} silent-peer drops, ${r.turnovers} turnovers`;
  return [
    `Swarm: ${swarm.sybils} Sybils announce every piece and send none among ${swarm.honest} leechers (NAT ${swarm.nat}): mean completion ${swarm.baselineMeanS.toFixed(1)} s without them, ${swarm.undefendedMeanS.toFixed(1)} s without the silent-peer drop, ${swarm.defendedMeanS.toFixed(1)} s with Shoal's defences.`,
    `Per run: ${run('no Sybils', swarm.runs.baseline)}; ${run('no silent-peer drop', swarm.runs.undefended)}; ${run("Shoal's defences", swarm.runs.defended)}.`,
  ];
}

export function sybilSection(dht: SybilReport, swarm: SwarmSybilReport | null): ReportSection {
  const grind = dht.puzzle.rows.at(-1)?.grind ?? 1;
  const paragraphs = [
    `DHT: ${dht.nodes} honest nodes, attacker ${dht.identities} ids on ${dht.addresses} addresses (f = ${pct(dht.attackerShare)}), ${dht.lookups} lookups each. Eclipsed lookups: none ${pct(dht.eclipsed.none)}, BEP 42 ${pct(dht.eclipsed.bep42)}, disjoint (d = ${dht.disjointPaths}) ${pct(dht.eclipsed.disjoint)}, crypto-puzzle ids (${dht.puzzle.bits} bits, the attacker grinding ${grind}x) ${pct(dht.eclipsed.puzzle)}. Anchor: S/Kademlia's (1 − (1 − f)^h)^d, dashed.`,
  ];
  if (swarm) paragraphs.push(...swarmSybilParagraphs(swarm));
  const charts: ChartSpec[] = [
    {
      title: 'Eclipsed lookups against disjoint paths d (BEP 42 network)', type: 'line', xLabel: 'disjoint paths d', yLabel: 'share of lookups eclipsed',
      series: [
        { label: 'measured', data: dht.byPaths.bep42.map((x) => ({ x: x.paths, y: x.eclipsed })) },
        { label: 'predicted (1 − (1 − f)^h)^d', anchor: true, data: dht.byPaths.bep42.map((x) => ({ x: x.paths, y: x.predicted })) },
      ],
    },
    {
      title: 'Eclipsed lookups per defence', type: 'bar', xLabel: 'defence', yLabel: 'share of lookups eclipsed',
      categories: ['none', 'BEP 42', `BEP 42 + disjoint (d = ${dht.disjointPaths})`, `puzzle ids (grind ${grind}x)`],
      series: [{ label: 'eclipsed', data: [dht.eclipsed.none, dht.eclipsed.bep42, dht.eclipsed.disjoint, dht.eclipsed.puzzle] }],
    },
  ];
  if (swarm) {
    charts.push({
      title: 'Honest leechers with Sybils in the swarm', type: 'bar', xLabel: 'run', yLabel: 'mean completion, s',
      categories: ['no Sybils', 'Sybils, no silent-peer drop', 'Sybils, Shoal defences'],
      series: [{ label: 'mean completion, s', data: [swarm.baselineMeanS, swarm.undefendedMeanS, swarm.defendedMeanS] }],
    });
  }
  return { id: 'sybil', title: 'Sybils: eclipsing a DHT key, and lying peers in a swarm', paragraphs, charts, table: sybilPathRows(dht) };
}
