/** Text and report sections for `shoal sim swarm` results. */
import type { ReportSection } from './report-html.js';
import type { SwarmScenarioResult } from './swarm-scenario.js';

const s1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '-');
const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-');

export function formatSwarm(runs: readonly SwarmScenarioResult[]): string {
  const head = runs[0];
  const lines = [
    `shoal sim swarm: ${head.peers} leechers (${head.arrival === 'flash' ? 'flash crowd' : 'steady Poisson arrivals'}), ${(head.fileBytes / 2 ** 20).toFixed(1)} MiB in ${head.pieces} pieces, seed ${head.seed}`,
    'picker   choker        done   mean s  fluid s  ratio  median s  p95 s  eta     wall s',
  ];
  for (const r of runs) {
    lines.push(`${r.picker.padEnd(8)} ${r.choker.padEnd(12)} ${String(r.completed).padStart(5)}  ${s1(r.meanCompletionS).padStart(7)}  ${s1(r.fluidMeanCompletionS).padStart(7)}  ${r.ratioToFluid.toFixed(2).padStart(5)}  ${s1(r.medianCompletionS).padStart(8)}  ${s1(r.p95CompletionS).padStart(5)}  ${pct(r.effectiveness).padStart(6)}  ${s1(r.wallS).padStart(6)}`);
  }
  lines.push(`duplicate blocks received: ${pct(head.wastedShare)} of payload (end game, late answers to timed-out requests)`);
  lines.push(`by class (${head.picker}): ${Object.entries(head.meanCompletionByClassS).map(([k, v]) => `${k} ${s1(v)} s`).join(', ')}`);
  const mc = head.multiclass;
  if (mc) {
    lines.push(`multiclass fluid model, reciprocal share ${mc.reciprocalShare.toFixed(2)} (Fan–Chiu–Lui 2006, Liao et al. 2007): mean ${s1(mc.meanS)} s, measured over it ${mc.ratio.toFixed(2)}`);
    lines.push(`  per class, model / measured: ${Object.entries(mc.byClass).map(([k, v]) => `${k} ${s1(v.modelS)} / ${s1(v.measuredS)} s`).join(', ')}`);
  }
  lines.push('fluid: Qiu–Srikant steady-state T = 1/(θ+β), 1/β = max(1/c, (1/η)(1/μ − 1/γ)) with η = 1 and the origin seed as extra capacity (flash crowd: total-upload bound)');
  return lines.join('\n') + '\n';
}

/** Completion time against arrival, availability over time, and rarest first against random. */
export function swarmSection(runs: readonly SwarmScenarioResult[]): ReportSection {
  const head = runs[0];
  const done = head.records.filter((r) => r.completedS !== undefined && r.measured);
  return {
    id: 'swarm',
    title: `Swarm: ${head.peers} leechers against the fluid model`,
    paragraphs: [
      `${head.arrival === 'flash' ? 'A flash crowd' : 'Steady Poisson arrivals'}; one origin seed; leecher links (down/up) ${[...new Set(head.records.map((r) => r.capacity))].join(', ')} (the default mix is Bharambe et al. 2006's, after Saroiu et al. 2002). Real Shoal swarms and a real UDP tracker on the simulator; virtual storage moves no bytes.`,
      ...(head.multiclass ? [`Tit-for-tat does not pool upload: under the multiclass fluid model (Fan, Chiu and Lui 2006; Liao et al. 2007) with each leecher giving back ${(head.multiclass.reciprocalShare * 100).toFixed(0)}% of its upload to those who give to it, the mean is ${s1(head.multiclass.meanS)} s (measured over it: ${head.multiclass.ratio.toFixed(2)}); per class, model / measured: ${Object.entries(head.multiclass.byClass).map(([k, v]) => `${k} ${s1(v.modelS)} / ${s1(v.measuredS)} s`).join(', ')}.`] : []),
      `Mean completion ${s1(head.meanCompletionS)} s against the fluid model's ${s1(head.fluidMeanCompletionS)} s (ratio ${head.ratioToFluid.toFixed(2)}; target within 1.2x). Effectiveness η measured: ${pct(head.effectiveness)} (Qiu–Srikant: close to 1 with many pieces); the fluid model at that η: ${s1(head.fluidAtMeasuredEtaS)} s (ratio ${(head.meanCompletionS / head.fluidAtMeasuredEtaS).toFixed(2)}); duplicate blocks: ${pct(head.wastedShare)} of what leechers received.`,
    ],
    charts: [
      {
        title: 'Completion time by arrival (fluid model dashed)', type: 'scatter', xLabel: 'arrival, s', yLabel: 'completion time, s',
        series: [
          { label: 'Shoal peers', data: done.map((r) => ({ x: r.arrivedS, y: r.completedS! })) },
          { label: 'fluid model T', anchor: true, data: [{ x: 0, y: head.fluidMeanCompletionS }, { x: Math.max(1, ...done.map((r) => r.arrivedS)), y: head.fluidMeanCompletionS }] },
        ],
      },
      {
        title: 'Piece availability over time', type: 'line', xLabel: 'virtual time, s', yLabel: 'copies among peers present',
        series: runs.flatMap((r) => [
          { label: `rarest piece (${r.picker})`, data: r.availability.map((a) => ({ x: a.tS, y: a.minCopies })) },
          { label: `mean piece (${r.picker})`, data: r.availability.map((a) => ({ x: a.tS, y: a.meanCopies })) },
        ]),
      },
      {
        title: 'Rarest first against random picking', type: 'bar', xLabel: 'picker', yLabel: 'seconds',
        categories: runs.map((r) => r.picker),
        series: [
          { label: 'mean completion, s', data: runs.map((r) => r.meanCompletionS) },
          { label: 'fluid model, s', data: runs.map((r) => r.fluidMeanCompletionS), anchor: true },
        ],
      },
    ],
    table: [
      ['picker', 'completed', 'mean s', 'fluid s', 'ratio', 'η', 'min copies (last sample)'],
      ...runs.map((r) => [r.picker, String(r.completed), s1(r.meanCompletionS), s1(r.fluidMeanCompletionS), r.ratioToFluid.toFixed(2), pct(r.effectiveness), String(r.availability.at(-1)?.minCopies ?? '-')]),
    ],
  };
}
