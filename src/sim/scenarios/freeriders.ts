/**
 * `shoal sim freeriders`: a share of the leechers upload nothing (their choker unchokes
 * nobody), in a swarm where everyone else runs Shoal's tit-for-tat choker with optimistic
 * unchoke, and again where everyone runs a choker without incentives (random slots every
 * round). The incentive shows as the free riders' mean completion time over the
 * contributors': tit-for-tat should make free riding cost more than the random choker does.
 */
import { runSwarmScenario, type SwarmScenarioResult } from './swarm-scenario.js';

export interface FreeRiderOptions {
  readonly peers: number;
  /** Share of leechers that free ride (0.1–0.5 in the issue). */
  readonly freeRiderShare: number;
  readonly fileBytes?: number;
  readonly seed?: number;
  readonly maxVirtualS?: number;
  readonly wallClock?: () => number;
}

export interface FreeRiderRun {
  readonly choker: 'tit-for-tat' | 'random';
  readonly contributorsMeanS: number;
  readonly freeRidersMeanS: number;
  /** freeRidersMeanS / contributorsMeanS. */
  readonly slowdown: number;
  readonly completed: number;
  readonly freeRidersCompleted: number;
  readonly freeRiders: number;
}

export interface FreeRiderReport {
  readonly peers: number;
  readonly freeRiderShare: number;
  /** Free riders' mean completion over contributors', tit-for-tat. */
  readonly freeRiderSlowdown: number;
  /** The same with a choker without incentives. */
  readonly freeRiderSlowdownNoIncentive: number;
  readonly runs: readonly FreeRiderRun[];
  readonly seed: number;
  readonly wallS: number;
}

export async function runFreeRiders(o: FreeRiderOptions): Promise<FreeRiderReport> {
  const wall = o.wallClock ?? (() => 0);
  const t0 = wall();
  const runs: FreeRiderRun[] = [];
  for (const choker of ['tit-for-tat', 'random'] as const) {
    const r = await runSwarmScenario({
      peers: o.peers, arrival: 'flash', choker, fileBytes: o.fileBytes, seed: o.seed, maxVirtualS: o.maxVirtualS ?? 1800,
      // Every k-th arrival free rides: the same peers (and links) in both runs.
      setupPeer: (i) => (isFreeRider(i, o.freeRiderShare) ? { role: 'free-rider', swarm: { choker: { policy: 'none' } } } : { role: 'contributor' }),
    });
    runs.push(summarise(choker, r));
  }
  return {
    peers: o.peers, freeRiderShare: o.freeRiderShare,
    freeRiderSlowdown: runs[0].slowdown, freeRiderSlowdownNoIncentive: runs[1].slowdown,
    runs, seed: o.seed ?? 1, wallS: (wall() - t0) / 1000,
  };
}

/** Spreads free riders evenly over arrival order: peer i free rides when floor((i+1)·s) > floor(i·s). */
export function isFreeRider(i: number, share: number): boolean {
  return Math.floor((i + 1) * share) > Math.floor(i * share);
}

function summarise(choker: 'tit-for-tat' | 'random', r: SwarmScenarioResult): FreeRiderRun {
  // A peer that never finished counts with the whole run's length (a lower bound on its time).
  const time = (x: (typeof r.records)[number]) => x.completedS ?? r.virtualS - x.arrivedS;
  const mean = (role: string) => {
    const xs = r.records.filter((x) => x.role === role).map(time);
    return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  };
  const contributorsMeanS = mean('contributor'), freeRidersMeanS = mean('free-rider');
  const free = r.records.filter((x) => x.role === 'free-rider');
  return {
    choker, contributorsMeanS, freeRidersMeanS, slowdown: freeRidersMeanS / contributorsMeanS,
    completed: r.completed, freeRidersCompleted: free.filter((x) => x.completedS !== undefined).length, freeRiders: free.length,
  };
}
