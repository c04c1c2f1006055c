/**
 * Diagnostics for `shoal sim swarm` (issue 15: the mean against the fluid model): where the
 * uplink time of one capacity class goes while its peers leech, and whom each class uploads
 * to. Pass `onClient` to `runSwarmScenario`; read `states()` and `flows()` after the run.
 * Sampling reads the clients' state (`Swarm.uplinkSnapshot()`, a copy) from timers on the
 * simulator's clock, so the run itself is unchanged (the same seed gives the same result with or without it).
 *
 * Uplink states, one per sample of a leecher of the class (every `everyMs`):
 * - `busy`: its uplink has bytes on it (`SimHost.upBusy` after now);
 * - `noPiece`: idle, and it has no verified piece to offer yet;
 * - `requestWaiting`: idle, yet a peer it unchokes has a request not yet read (the send
 *   watermark or a disk read holds it);
 * - `chokedInterested`: idle, every request it had is sent, and interested peers wait
 *   choked (more unchoke slots could have used the time);
 * - `allInFlight`: idle, every interested peer unchoked and all their requests sent (the
 *   downloaders ask for no more: queue targets, blocks wanted of others);
 * - `noneInterested`: idle, nobody wants anything of it.
 */
import type { CapacityClass } from './capacity.js';
import type { SimClient } from './sim-client.js';

export type UplinkState = 'busy' | 'noPiece' | 'requestWaiting' | 'chokedInterested' | 'allInFlight' | 'noneInterested';

export interface UplinkDiagnosticsOptions {
  /** The classes of the run (names the rows of `flows`; the origin is 'origin'). */
  readonly classes: readonly CapacityClass[];
  /** The class whose uplink states are sampled (by name). */
  readonly sampled: string;
  /** Uplink state sampling period (default 250 ms; flows are sampled every second). */
  readonly everyMs?: number;
}

export interface UplinkDiagnostics {
  readonly onClient: (index: number, client: SimClient) => void;
  /** Samples taken and each state's share of them. */
  states(): { readonly samples: number; readonly shares: Record<UplinkState, number> };
  /** Per uploading class: the share of its upload (rate samples) that went to each class. */
  flows(): Record<string, Record<string, number>>;
  /** Mean regular and demand slots in use and interested peers choked, over the sampled class's samples. */
  slots(): { readonly unchokedInterested: number; readonly chokedInterested: number; readonly demandSlots: number; readonly connections: number };
  /** At the sampled class's idle moments (past its first piece): the share of the peers it unchokes whose downlink was busy. */
  idleDownlinkBusy(): number;
}

const STATES: readonly UplinkState[] = ['busy', 'noPiece', 'requestWaiting', 'chokedInterested', 'allInFlight', 'noneInterested'];
const FLOW_MS = 1000;

export function uplinkDiagnostics(o: UplinkDiagnosticsOptions): UplinkDiagnostics {
  const everyMs = o.everyMs ?? 250;
  const counts: Record<UplinkState, number> = { busy: 0, noPiece: 0, requestWaiting: 0, chokedInterested: 0, allInFlight: 0, noneInterested: 0 };
  let samples = 0, unchokedSum = 0, chokedSum = 0, demandSum = 0, connSum = 0, idlePeers = 0, idleBusyPeers = 0;
  const classOf = new Map<string, string>();
  const clientOf = new Map<string, SimClient>();
  const flow = new Map<string, Map<string, number>>();
  const nameOf = (index: number, c: SimClient): string => {
    if (index < 0) return 'origin';
    const bps = 8000 / c.host.upMsPerByte;
    let best = '?', gap = Infinity;
    for (const k of o.classes) {
      const d = Math.abs(k.uploadBps - bps);
      if (d < gap) [best, gap] = [k.name, d];
    }
    return best;
  };

  const sampleState = (c: SimClient, now: number): void => {
    let unchoked = 0, choked = 0, waiting = false, conns = 0;
    const view = c.swarm.uplinkSnapshot();
    for (const p of view.peers) {
      if (!p.open) continue;
      conns++;
      if (!p.peerInterested) continue;
      if (p.amChoking) choked++;
      else {
        unchoked++;
        if (p.requestWaiting) waiting = true;
      }
    }
    samples++;
    unchokedSum += unchoked;
    chokedSum += choked;
    connSum += conns;
    demandSum += view.demandSlots;
    let s: UplinkState;
    if (c.host.upBusy > now) s = 'busy';
    else if (c.swarm.stats().bytesHave === 0) s = 'noPiece';
    else if (waiting) s = 'requestWaiting';
    else if (choked > 0) s = 'chokedInterested';
    else if (unchoked > 0) s = 'allInFlight';
    else s = 'noneInterested';
    counts[s]++;
    if (s === 'busy' || s === 'noPiece') return;
    for (const p of view.peers) {
      if (!p.open || !p.peerInterested || p.amChoking) continue;
      const other = clientOf.get(p.host);
      if (!other) continue;
      idlePeers++;
      if (other.host.downBusy > now) idleBusyPeers++;
    }
  };

  const sampleFlows = (from: string, c: SimClient): void => {
    let row = flow.get(from);
    if (!row) flow.set(from, (row = new Map()));
    for (const p of c.swarm.uplinkSnapshot().peers) {
      const to = classOf.get(p.host) ?? '?';
      row.set(to, (row.get(to) ?? 0) + p.uploadRate);
    }
  };

  const onClient = (index: number, c: SimClient): void => {
    const name = nameOf(index, c);
    classOf.set(c.host.address, name);
    clientOf.set(c.host.address, c);
    const clock = c.host.runtime.clock;
    // Leechers while they leech (the origin while the run lasts): a finished peer leaves.
    const leeching = (): boolean => index < 0 || !c.swarm.stats().complete;
    if (name === o.sampled && index >= 0) {
      const tick = (): void => {
        if (!leeching()) return;
        sampleState(c, clock.now());
        clock.setTimer(everyMs, tick);
      };
      clock.setTimer(everyMs, tick);
    }
    const flowTick = (): void => {
      if (!leeching()) return;
      sampleFlows(name, c);
      clock.setTimer(FLOW_MS, flowTick);
    };
    clock.setTimer(FLOW_MS, flowTick);
  };

  return {
    onClient,
    states: () => {
      const shares = {} as Record<UplinkState, number>;
      for (const s of STATES) shares[s] = samples > 0 ? counts[s] / samples : NaN;
      return { samples, shares };
    },
    flows: () => {
      const out: Record<string, Record<string, number>> = {};
      for (const [from, row] of flow) {
        let total = 0;
        for (const v of row.values()) total += v;
        out[from] = {};
        for (const [to, v] of row) out[from][to] = total > 0 ? v / total : NaN;
      }
      return out;
    },
    slots: () => ({
      unchokedInterested: unchokedSum / samples,
      chokedInterested: chokedSum / samples,
      demandSlots: demandSum / samples,
      connections: connSum / samples,
    }),
    idleDownlinkBusy: () => idleBusyPeers / idlePeers,
  };
}
