/**
 * `shoal sim freeriders`: a share of the leechers upload nothing (their choker unchokes
 * nobody), in a swarm where everyone else runs Shoal's tit-for-tat choker with optimistic
 * unchoke, and again where everyone runs a choker without incentives (random slots every
 * round). The incentive shows as the free riders' mean completion time over the
 * contributors': tit-for-tat should make free riding cost more than the random choker does.
 *
 * Two more questions on the same peers and links:
 * - BitTyrant (Piatek et al., NSDI 2007): a few contributors of the 1 Mbit/s class
 *   ("probes") run the strategic choker (policy 'tyrant', their upload capacity known);
 *   `tyrantSpeedup` is their mean completion as regular Shoal clients over theirs as tyrants
 *   (Piatek et al.: a median 70% speed-up, 1.7, for a 1 Mbit/s client on live swarms).
 * - Reputation across torrents: every client keeps a reputation store (as a session does);
 *   after the tit-for-tat run the same peers meet again in a second swarm, each with what
 *   it remembered of the first. `freeRiderSlowdownReputation` is the free riders' slowdown
 *   there, against `freeRiderSlowdown` (the first torrent: no history yet).
 */
import { RateLimiter } from '../../swarm/rate-limit.js';
import { ReputationStore, type ReputationRecord } from '../../swarm/reputation.js';
import type { CapacityClass } from './capacity.js';
import { runSwarmScenario, type PeerSetup, type SwarmScenarioResult } from './swarm-scenario.js';

/** The probes' access link: the 1 Mbit/s class of Bharambe et al. (capacity.ts). */
export const PROBE_CLASS: CapacityClass = { name: '3M/1M', share: 1, downloadBps: 3e6, uploadBps: 1e6 };
/**
 * The probes cap their upload at this share of their link (regular and tyrant alike), as
 * users of asymmetric links are told to: a saturated uplink queues their own requests
 * behind their uploads, and a tyrant, uploading to more peers, would suffer it more.
 */
export const PROBE_UPLOAD_SHARE = 0.9;
/** Piatek et al.'s median download speed-up of a 1 Mbit/s BitTyrant client on live swarms. */
export const PIATEK_MEDIAN_SPEEDUP = 1.7;

export type FreeRiderRunName = 'tit-for-tat' | 'random' | 'tyrant' | 'reputation';
export const FREE_RIDER_RUNS: readonly FreeRiderRunName[] = ['tit-for-tat', 'random', 'tyrant', 'reputation'];

export interface FreeRiderOptions {
  readonly peers: number;
  /** Share of leechers that free ride (0.1–0.5 in the issue). */
  readonly freeRiderShare: number;
  readonly fileBytes?: number;
  /** Contributors of the 1 Mbit/s class measured as regular clients and as tyrants (default max(2, peers / 10)). */
  readonly probes?: number;
  /** Runs to make (default all four; 'tyrant' and 'reputation' need 'tit-for-tat'). */
  readonly runs?: readonly FreeRiderRunName[];
  readonly seed?: number;
  readonly maxVirtualS?: number;
  readonly wallClock?: () => number;
}

export interface FreeRiderRun {
  /**
   * 'tit-for-tat': Shoal as shipped (reputation store, no history); 'random': no incentive;
   * 'tyrant': as 'tit-for-tat' with the probes on BitTyrant's choker; 'reputation': the
   * second torrent, every client remembering the first.
   */
  readonly choker: FreeRiderRunName;
  readonly contributorsMeanS: number;
  readonly freeRidersMeanS: number;
  /** freeRidersMeanS / contributorsMeanS. */
  readonly slowdown: number;
  /**
   * The same within access-link classes: each free rider's time over the contributors' mean
   * of its class, averaged (free riders of a class no contributor has are left out). The
   * classes are drawn at random, so with 20 free riders the plain ratio moves by ±0.2 from
   * the class mix alone.
   */
  readonly slowdownSameClass: number;
  /** The probes' mean completion (regular clients, or tyrants in the 'tyrant' run). */
  readonly probesMeanS: number;
  readonly completed: number;
  readonly freeRidersCompleted: number;
  readonly freeRiders: number;
}

export interface FreeRiderReport {
  readonly peers: number;
  readonly freeRiderShare: number;
  readonly probes: number;
  /** Free riders' mean completion over contributors', tit-for-tat. */
  readonly freeRiderSlowdown: number;
  /** The same with a choker without incentives. */
  readonly freeRiderSlowdownNoIncentive: number;
  /** The probes' mean completion as regular clients over theirs as tyrants (NaN when not run). */
  readonly tyrantSpeedup: number;
  readonly piatekMedianSpeedup: number;
  /** Free riders' slowdown in a second torrent among the same peers, with what each remembered of the first (NaN when not run). */
  readonly freeRiderSlowdownReputation: number;
  readonly runs: readonly FreeRiderRun[];
  readonly seed: number;
  readonly wallS: number;
}

export async function runFreeRiders(o: FreeRiderOptions): Promise<FreeRiderReport> {
  const wall = o.wallClock ?? (() => 0);
  const t0 = wall();
  const wanted = new Set(o.runs ?? FREE_RIDER_RUNS);
  if ((wanted.has('tyrant') || wanted.has('reputation')) && !wanted.has('tit-for-tat')) throw new RangeError("the 'tyrant' and 'reputation' runs compare against 'tit-for-tat'");
  const probes = probeSet(o.peers, o.freeRiderShare, o.probes ?? Math.max(2, Math.floor(o.peers / 10)));
  const runs: FreeRiderRun[] = [];
  let remembered: ReputationRecord[][] = [];

  const run = async (name: FreeRiderRunName): Promise<void> => {
    const stores: ReputationStore[] = [];
    // A probe's upload limiter needs its host's clock: made once the host exists.
    const limits = new Map<number, { download: RateLimiter[]; upload: RateLimiter[] }>();
    const r = await runSwarmScenario({
      peers: o.peers, arrival: 'flash', choker: name === 'random' ? 'random' : 'tit-for-tat', fileBytes: o.fileBytes, seed: o.seed, maxVirtualS: o.maxVirtualS ?? 1800,
      // Every k-th arrival free rides: the same peers (and links) in every run.
      setupPeer: (i) => {
        const store = new ReputationStore();
        if (name === 'reputation') store.restore(remembered[i] ?? [], 0);
        stores[i] = store;
        const reputation = name === 'random' ? undefined : store;
        if (isFreeRider(i, o.freeRiderShare)) return { role: 'free-rider', swarm: { choker: { policy: 'none' } } };
        if (probes.has(i)) {
          const rateLimiters = { download: [], upload: [] };
          limits.set(i, rateLimiters);
          return probeSetup(name === 'tyrant', reputation, rateLimiters);
        }
        return { role: 'contributor', swarm: { choker: { reputation } } };
      },
      onHost: (i, host) => limits.get(i)?.upload.push(new RateLimiter(host.runtime.clock, (PROBE_CLASS.uploadBps / 8) * PROBE_UPLOAD_SHARE)),
    });
    if (name === 'tit-for-tat') remembered = stores.map((s) => s.save(r.virtualS * 1000));
    runs.push(summarise(name, r));
  };
  for (const name of FREE_RIDER_RUNS) if (wanted.has(name)) await run(name);

  const get = (name: FreeRiderRunName) => runs.find((x) => x.choker === name);
  const tft = get('tit-for-tat'), tyrant = get('tyrant');
  return {
    peers: o.peers, freeRiderShare: o.freeRiderShare, probes: probes.size,
    freeRiderSlowdown: tft?.slowdown ?? NaN, freeRiderSlowdownNoIncentive: get('random')?.slowdown ?? NaN,
    tyrantSpeedup: tft && tyrant ? tft.probesMeanS / tyrant.probesMeanS : NaN,
    piatekMedianSpeedup: PIATEK_MEDIAN_SPEEDUP,
    freeRiderSlowdownReputation: get('reputation')?.slowdown ?? NaN,
    runs, seed: o.seed ?? 1, wallS: (wall() - t0) / 1000,
  };
}

/** A probe: a contributor on the 1 Mbit/s link, regular or a tyrant that knows its upload capacity. */
function probeSetup(tyrant: boolean, reputation: ReputationStore | undefined, rateLimiters: { download: RateLimiter[]; upload: RateLimiter[] }): PeerSetup {
  const uploadCapacity = (PROBE_CLASS.uploadBps / 8) * PROBE_UPLOAD_SHARE;
  return {
    role: 'probe', capacity: PROBE_CLASS,
    swarm: { rateLimiters, choker: tyrant ? { policy: 'tyrant', tyrant: { uploadCapacity }, reputation } : { reputation } },
  };
}

/** Spreads free riders evenly over arrival order: peer i free rides when floor((i+1)·s) > floor(i·s). */
export function isFreeRider(i: number, share: number): boolean {
  return Math.floor((i + 1) * share) > Math.floor(i * share);
}

/** `count` contributors spread evenly over arrival order. */
export function probeSet(peers: number, share: number, count: number): Set<number> {
  const contributors = Array.from({ length: peers }, (_, i) => i).filter((i) => !isFreeRider(i, share));
  const n = Math.min(count, contributors.length);
  const out = new Set<number>();
  for (let k = 0; k < n; k++) out.add(contributors[Math.floor(((k + 0.5) * contributors.length) / n)]);
  return out;
}

function summarise(choker: FreeRiderRunName, r: SwarmScenarioResult): FreeRiderRun {
  // A peer that never finished counts with the whole run's length (a lower bound on its time).
  const time = (x: (typeof r.records)[number]) => x.completedS ?? r.virtualS - x.arrivedS;
  const mean = (roles: readonly string[]) => {
    const xs = r.records.filter((x) => roles.includes(x.role)).map(time);
    return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  };
  // Contributors: everyone who uploads (the probes too).
  const contributorsMeanS = mean(['contributor', 'probe']), freeRidersMeanS = mean(['free-rider']);
  const free = r.records.filter((x) => x.role === 'free-rider');
  const ratios: number[] = [];
  for (const f of free) {
    const peers = r.records.filter((x) => (x.role === 'contributor' || x.role === 'probe') && x.capacity === f.capacity).map(time);
    if (peers.length > 0) ratios.push(time(f) / (peers.reduce((a, b) => a + b, 0) / peers.length));
  }
  return {
    choker, contributorsMeanS, freeRidersMeanS, slowdown: freeRidersMeanS / contributorsMeanS, probesMeanS: mean(['probe']),
    slowdownSameClass: ratios.length > 0 ? ratios.reduce((a, b) => a + b, 0) / ratios.length : NaN,
    completed: r.completed, freeRidersCompleted: free.filter((x) => x.completedS !== undefined).length, freeRiders: free.length,
  };
}
