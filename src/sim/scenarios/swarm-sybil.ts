/**
 * Sybil peers in a swarm (the swarm half of `shoal sim sybil`): S peers that announce every
 * piece and never send one, beside N honest leechers (a flash crowd). Three runs on one seed:
 * no Sybils; Sybils against leechers without the silent-peer defence (they keep a Sybil's
 * connection once its requests time out, asking one block at a time); Sybils against Shoal
 * as it ships (request timeouts and snubbing, then the connection dropped after
 * `silentPeerTimeoutMs`). The cost is the honest leechers' mean completion time.
 */
import { isFreeRider } from './freeriders.js';
import { runSwarmScenario, type SwarmScenarioResult } from './swarm-scenario.js';

export interface SwarmSybilOptions {
  readonly honest: number;
  readonly sybils: number;
  readonly fileBytes?: number;
  readonly seed?: number;
  readonly maxVirtualS?: number;
}

export interface SwarmSybilReport {
  readonly honest: number;
  readonly sybils: number;
  readonly baselineMeanS: number;
  /** Honest mean completion with Sybils and no silent-peer defence. */
  readonly undefendedMeanS: number;
  /** ... with Shoal's defences (snubbing, request timeouts, dropping silent peers). */
  readonly defendedMeanS: number;
  readonly slowdownUndefended: number;
  readonly slowdownDefended: number;
  /** Honest leechers that finished in each run. */
  readonly completed: { readonly baseline: number; readonly undefended: number; readonly defended: number };
}

export async function runSwarmSybil(o: SwarmSybilOptions): Promise<SwarmSybilReport> {
  const total = o.honest + o.sybils;
  const share = o.sybils / total;
  const common = { arrival: 'flash' as const, fileBytes: o.fileBytes ?? 2 * 1024 * 1024, seed: o.seed, maxVirtualS: o.maxVirtualS ?? 1200 };
  const baseline = await runSwarmScenario({ ...common, peers: o.honest });
  const attacked = (silentPeerTimeoutMs: number | undefined) => runSwarmScenario({
    ...common, peers: total,
    setupPeer: (i) => isFreeRider(i, share)
      // A Sybil unchokes everyone who asks and accepts every connection.
      ? { role: 'sybil', measured: false, liar: true, swarm: { unchokeSlots: 1000, maxPeers: 1000 } }
      : { role: 'leecher', swarm: silentPeerTimeoutMs === undefined ? {} : { silentPeerTimeoutMs } },
  });
  const undefended = await attacked(Infinity);
  const defended = await attacked(undefined);
  const mean = (r: SwarmScenarioResult) => {
    // A leecher that never finished counts with the run's length (a lower bound on its time).
    const xs = r.records.filter((x) => x.measured).map((x) => x.completedS ?? r.virtualS - x.arrivedS);
    return xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  };
  const done = (r: SwarmScenarioResult) => r.records.filter((x) => x.measured && x.completedS !== undefined).length;
  const b = mean(baseline), u = mean(undefended), d = mean(defended);
  return {
    honest: o.honest, sybils: o.sybils,
    baselineMeanS: b, undefendedMeanS: u, defendedMeanS: d,
    slowdownUndefended: u / b, slowdownDefended: d / b,
    completed: { baseline: done(baseline), undefended: done(undefended), defended: done(defended) },
  };
}
