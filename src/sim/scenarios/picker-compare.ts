/**
 * Rarest first against random picking, on the quantities rarest first is published to win
 * (Legout et al., "Rarest First and Choke Algorithms Are Enough", IMC 2006; Bharambe et
 * al. 2006): how soon every piece has left the origin seed, how much of the origin's upload
 * that took (each piece sent once is 1.0 file; a duplicate sent before the last piece is
 * out is upload the swarm could not use elsewhere), and the copies of the rarest piece
 * among the leechers over time. One `runSwarmScenario` per picker, same seed and options.
 */
import type { SimClient } from './sim-client.js';
import { runSwarmScenario, type SwarmScenarioOptions, type SwarmScenarioResult } from './swarm-scenario.js';

export interface PickerFigures {
  readonly picker: 'rarest' | 'random';
  readonly meanCompletionS: number;
  readonly ratioToFluid: number;
  readonly medianCompletionS: number;
  /** The slowest leecher's completion: the straggler tail the mean carries. */
  readonly maxCompletionS: number;
  readonly completed: number;
  /** Seconds from the start until every piece had been verified by some leecher (left the origin). */
  readonly allOutS: number;
  /** The origin's upload until then, in copies of the file (1.0: no piece sent twice). */
  readonly originCopiesAtAllOut: number;
  /** The fewest copies of a piece among the leechers present (origin left out), mean over the samples with at least half the peak leechers. */
  readonly meanMinLeecherCopies: number;
  /** The share of those samples in which some piece had no copy among the leechers (only the origin held it). */
  readonly originOnlyShare: number;
  readonly events: number;
}

export interface PickerComparison {
  readonly peers: number;
  readonly arrival: 'flash' | 'steady';
  readonly seed: number;
  readonly fileBytes: number;
  readonly rarest: PickerFigures;
  readonly random: PickerFigures;
}

export type PickerCompareOptions = Omit<SwarmScenarioOptions, 'picker' | 'onClient' | 'setupPeer'>;

/** Runs the swarm once per picker and measures both. */
export async function comparePickers(o: PickerCompareOptions): Promise<PickerComparison> {
  const rarest = await measurePicker(o, 'rarest');
  const random = await measurePicker(o, 'random');
  return { peers: o.peers, arrival: o.arrival, seed: o.seed ?? 1, fileBytes: rarest.result.fileBytes, rarest: rarest.figures, random: random.figures };
}

/** One run of the swarm with `picker`, and its figures (`shoal sim swarm --pickers` prints them). */
export async function measurePicker(o: PickerCompareOptions, picker: 'rarest' | 'random'): Promise<{ result: SwarmScenarioResult; figures: PickerFigures }> {
  let origin: SimClient | undefined;
  // Time each piece was first verified by a leecher, ms of virtual time, and the origin's upload then.
  const firstOut = new Map<number, number>();
  let allOutMs = NaN, originBytesAtAllOut = NaN, pieces = 0, clock: (() => number) | undefined;
  const r: SwarmScenarioResult = await runSwarmScenario({
    ...o, picker,
    onClient: (i, c) => {
      if (i === -1) {
        origin = c;
        pieces = c.storage.bitfield().length;
        clock = () => c.host.runtime.clock.now();
      }
    },
    setupPeer: () => ({
      swarm: {
        onEvent: (e) => {
          if (e.type !== 'piece-verified' || firstOut.has(e.piece) || !clock) return;
          firstOut.set(e.piece, clock());
          if (firstOut.size === pieces && origin) {
            allOutMs = clock();
            originBytesAtAllOut = origin.swarm.stats().uploaded;
          }
        },
      },
    }),
  });
  // The availability samples count the origin (it holds every piece while present): minus one.
  // The bulk of the download: samples with at least half the most leechers ever present (a
  // straggler tail of a few peers would otherwise weigh as much as the whole swarm).
  const peak = Math.max(0, ...r.availability.map((s) => s.leechers));
  const leeching = r.availability.filter((s) => s.leechers > 0 && s.leechers * 2 >= peak);
  const minLeecher = leeching.map((s) => Math.max(0, s.minCopies - 1));
  return {
    result: r,
    figures: {
      picker,
      meanCompletionS: r.meanCompletionS,
      ratioToFluid: r.ratioToFluid,
      medianCompletionS: r.medianCompletionS,
      maxCompletionS: Math.max(0, ...r.records.map((x) => x.completedS ?? 0)),
      completed: r.completed,
      allOutS: allOutMs / 1000,
      originCopiesAtAllOut: originBytesAtAllOut / r.fileBytes,
      meanMinLeecherCopies: minLeecher.reduce((a, b) => a + b, 0) / Math.max(1, minLeecher.length),
      originOnlyShare: minLeecher.filter((x) => x === 0).length / Math.max(1, minLeecher.length),
      events: r.events,
    },
  };
}
