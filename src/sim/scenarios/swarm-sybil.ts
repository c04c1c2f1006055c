/**
 * Sybil peers in a swarm (the swarm half of `shoal sim sybil`): S peers that announce every
 * piece and never send one, beside H honest leechers that arrive together (a flash crowd
 * at one instant). Three runs on one seed: no Sybils; Sybils against leechers without the
 * silent-peer drop (`silentPeerTimeoutMs: Infinity`); Sybils against Shoal as it ships.
 * The cost is the honest leechers' completion (mean, worst, how many finished).
 *
 * The honest leechers are the same peers in all three runs: the same links (drawn from the
 * capacity mix by a stream of their own, not the scenario's) and the same arrival instant.
 * Before session 15 each run drew them anew, and the "slowdown" was mostly the draw
 * (docs/simulator.md, "Sybils in a swarm").
 *
 * `nat` puts the honest leechers behind a NAT (the Sybils stay reachable): a leecher that
 * takes no incoming connection never meets a newcomer, so the turnover at `maxPeers`
 * (peer-turnover.ts) never replaces a Sybil for it, and the silent-peer drop is its only
 * way out of a neighbourhood of Sybils.
 */
import { SeededRandom } from '../../runtime/random.js';
import { NatBox, type NatType } from '../nat.js';
import { BHARAMBE_2006, drawCapacity, type CapacityClass } from './capacity.js';
import { isFreeRider } from './freeriders.js';
import { SILENT_PEER_REASON } from '../../swarm/tick.js';
import { TURNOVER_REASON } from '../../swarm/peer-turnover.js';
import { runSwarmScenario, type PeerSetup, type SwarmScenarioResult } from './swarm-scenario.js';

export interface SwarmSybilOptions {
  readonly honest: number;
  readonly sybils: number;
  /** Default 2 MiB. */
  readonly fileBytes?: number;
  readonly seed?: number;
  /** Each run's length at most (default 600 s); an honest leecher that has not finished counts with it. */
  readonly maxVirtualS?: number;
  /** The honest leechers' NAT (default none: reachable). */
  readonly nat?: NatType;
}

/** What one run's honest leechers saw. */
export interface SwarmSybilRun {
  readonly meanS: number;
  /** The slowest honest leecher's time (the run's length for one that never finished). */
  readonly worstS: number;
  readonly completed: number;
  /** Connections honest leechers made with Sybils (either direction). */
  readonly sybilConnections: number;
  /** ... closed by the silent-peer drop ("never delivered a block it was asked for"). */
  readonly silentDrops: number;
  /** ... replaced by a newcomer at `maxPeers` (turnover). */
  readonly turnovers: number;
}

export interface SwarmSybilReport {
  readonly honest: number;
  readonly sybils: number;
  readonly fileBytes: number;
  readonly nat: NatType | 'none';
  readonly baselineMeanS: number;
  /** Honest mean completion with Sybils and no silent-peer defence. */
  readonly undefendedMeanS: number;
  /** ... with Shoal's defences (snubbing, request timeouts, dropping silent peers). */
  readonly defendedMeanS: number;
  readonly slowdownUndefended: number;
  readonly slowdownDefended: number;
  /** Honest leechers that finished in each run. */
  readonly completed: { readonly baseline: number; readonly undefended: number; readonly defended: number };
  readonly runs: { readonly baseline: SwarmSybilRun; readonly undefended: SwarmSybilRun; readonly defended: SwarmSybilRun };
  /** The honest leechers' link classes, the same in every run. */
  readonly honestClasses: readonly string[];
}

/** A Sybil's link: it sends nothing, so only its share of the requests it receives matters. */
const SYBIL_LINK: CapacityClass = { name: 'sybil 3M/1M', share: 0, downloadBps: 3e6, uploadBps: 1e6 };

export async function runSwarmSybil(o: SwarmSybilOptions): Promise<SwarmSybilReport> {
  const seed = o.seed ?? 1;
  // The honest leechers' links, from a stream of their own: the same peers in every run.
  const linkRandom = new SeededRandom(seed * 7919 + 17);
  const links = Array.from({ length: o.honest }, () => drawCapacity(BHARAMBE_2006, linkRandom));
  const common = { arrival: 'flash' as const, flashWindowS: 0, fileBytes: o.fileBytes ?? 2 * 1024 * 1024, seed, maxVirtualS: o.maxVirtualS ?? 600 };
  const run = async (sybils: number, silentPeerTimeoutMs: number | undefined): Promise<SwarmSybilRun & { classes: string[] }> => {
    const total = o.honest + sybils;
    const share = sybils / total;
    // Index -> honest ordinal, or -1 for a Sybil (spread evenly over the arrival order).
    const ordinal: number[] = [];
    for (let i = 0, k = 0; i < total; i++) ordinal.push(sybils > 0 && isFreeRider(i, share) ? -1 : k++);
    const sybilHosts = new Set<string>();
    const counts = { sybilConnections: 0, silentDrops: 0, turnovers: 0 };
    const onEvent = (e: { type: string; address?: string; reason?: string }): void => {
      if (e.address === undefined || !sybilHosts.has(hostOf(e.address))) return;
      if (e.type === 'peer-connected') counts.sybilConnections++;
      else if (e.type === 'peer-disconnected' && e.reason === SILENT_PEER_REASON) counts.silentDrops++;
      else if (e.type === 'peer-disconnected' && e.reason === TURNOVER_REASON) counts.turnovers++;
    };
    const r = await runSwarmScenario({
      ...common, peers: total,
      onHost: (i, host) => {
        if (ordinal[i] < 0) sybilHosts.add(host.address);
        else if (o.nat !== undefined) host.setNat(new NatBox(o.nat));
      },
      setupPeer: (i): PeerSetup => ordinal[i] < 0
        // A Sybil unchokes everyone who asks and accepts every connection.
        ? { role: 'sybil', measured: false, liar: true, capacity: SYBIL_LINK, swarm: { unchokeSlots: 1000, maxPeers: 1000 } }
        : { role: 'leecher', capacity: links[ordinal[i]], swarm: { onEvent, ...(silentPeerTimeoutMs === undefined ? {} : { silentPeerTimeoutMs }) } },
    });
    const times = honestTimes(r);
    return {
      meanS: times.reduce((a, b) => a + b, 0) / Math.max(1, times.length),
      worstS: Math.max(0, ...times),
      completed: r.records.filter((x) => x.measured && x.completedS !== undefined).length,
      ...counts,
      classes: r.records.filter((x) => x.measured).map((x) => x.capacity),
    };
  };
  const { classes, ...baseline } = await run(0, undefined);
  const { classes: uc, ...undefended } = await run(o.sybils, Infinity);
  const { classes: dc, ...defended } = await run(o.sybils, undefined);
  if (uc.join() !== classes.join() || dc.join() !== classes.join()) throw new Error('swarm-sybil: the honest leechers differ between runs');
  const b = baseline.meanS, u = undefended.meanS, d = defended.meanS;
  return {
    honest: o.honest, sybils: o.sybils, fileBytes: common.fileBytes, nat: o.nat ?? 'none',
    baselineMeanS: b, undefendedMeanS: u, defendedMeanS: d,
    slowdownUndefended: u / b, slowdownDefended: d / b,
    completed: { baseline: baseline.completed, undefended: undefended.completed, defended: defended.completed },
    runs: { baseline, undefended, defended },
    honestClasses: classes,
  };
}

/** Honest completion times; one that never finished counts with the run's length (a lower bound). */
function honestTimes(r: SwarmScenarioResult): number[] {
  return r.records.filter((x) => x.measured).map((x) => x.completedS ?? r.virtualS - x.arrivedS);
}

/** "10.0.0.5:6881" -> "10.0.0.5" (IPv4: the simulator's addresses). */
function hostOf(address: string): string {
  const i = address.lastIndexOf(':');
  return i < 0 ? address : address.slice(0, i);
}
