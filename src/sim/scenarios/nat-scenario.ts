/**
 * `shoal sim nat`: a swarm whose leechers sit behind NATs (a mix after the measurement
 * literature), run three ways: no traversal (a NATed peer can dial out but nobody can dial
 * in), with port mapping (UPnP IGD / NAT-PMP / PCP where the router offers it), and with
 * port mapping plus hole punching (BEP 55 over uTP). Reports the share of leecher pairs
 * that can connect and the completion times, beside the published figures.
 *
 * What is modelled rather than run: port mapping is the outcome (the NAT admits inbound
 * connections), not the UPnP/NAT-PMP exchange; hole punching is the outcome of a rendezvous
 * (`canPunch` on the two NAT types; a relay both reach is assumed), not BEP 55 messages; and
 * a punched path carries Shoal's TCP-over-the-simulator stream where the real client would
 * use uTP. The NAT boxes themselves (src/sim/nat.ts) filter the simulator's real traffic.
 */
import { canPunch, NatBox, type NatType } from '../nat.js';
import { runSwarmScenario } from './swarm-scenario.js';

export interface NatShare {
  readonly type: NatType;
  readonly share: number;
}

/**
 * The NAT mix: a quarter of peers reachable (public address or no NAT); of the NATed,
 * 20% symmetric, so 80% allow UDP hole punching, in line with Ford, Srisuresh and Kegel
 * (USENIX ATC 2005: 82% of NATs punchable for UDP, 64% for TCP). The split among cone
 * types is an assumption (documented in docs/simulator.md).
 */
export const NAT_MIX: readonly NatShare[] = [
  { type: 'open', share: 0.25 },
  { type: 'full-cone', share: 0.15 },
  { type: 'restricted-cone', share: 0.2 },
  { type: 'port-restricted', share: 0.25 },
  { type: 'symmetric', share: 0.15 },
];
/** Share of NATed peers whose router maps ports on request (UPnP IGD / NAT-PMP): an assumption. */
export const MAPPING_SHARE = 0.5;

export type Traversal = 'none' | 'mapping' | 'holepunch';

export interface NatRun {
  readonly traversal: Traversal;
  /** Share of leecher pairs that can connect. */
  readonly connectablePairs: number;
  readonly meanCompletionS: number;
  readonly completed: number;
}

export interface NatReport {
  readonly peers: number;
  readonly mix: readonly NatShare[];
  readonly mappingShare: number;
  readonly runs: readonly NatRun[];
  /** Share of NATs (not open hosts) that a punch works against from a cone NAT: 1 − symmetric share. */
  readonly punchableNats: number;
  readonly anchors: { readonly fordUdp: number; readonly fordTcp: number; readonly dcutrSuccess: number; readonly dcutrFirstTry: number };
  readonly seed: number;
  readonly wallS: number;
}

export async function runNatScenario(o: { peers: number; fileBytes?: number; seed?: number; wallClock?: () => number }): Promise<NatReport> {
  const wall = o.wallClock ?? (() => 0);
  const t0 = wall();
  const runs: NatRun[] = [];
  for (const traversal of ['none', 'mapping', 'holepunch'] as const) {
    // Types and mapping by host id: the same draw (same seed, same order) in each run.
    const nats = new Map<number, NatBox>();
    const r = await runSwarmScenario({
      peers: o.peers, arrival: 'flash', fileBytes: o.fileBytes ?? 2 * 1024 * 1024, seed: o.seed, lingerMeanS: 60, maxVirtualS: 1800,
      onHost: (i, host) => {
        const type = natFor(i);
        const box = new NatBox(type);
        if (traversal !== 'none' && type !== 'open' && mappedFor(i)) box.mapped = true;
        if (traversal === 'holepunch' && type !== 'open') box.punchable = (peer) => { const other = nats.get(peer); return other !== undefined && canPunch(type, other.type); };
        nats.set(host.id, box);
        host.setNat(box);
      },
    });
    const boxes = [...nats.values()];
    let ok = 0, pairs = 0;
    for (let a = 0; a < boxes.length; a++) {
      for (let b = a + 1; b < boxes.length; b++) {
        pairs++;
        if (boxes[a].open || boxes[b].open || (traversal === 'holepunch' && canPunch(boxes[a].type, boxes[b].type))) ok++;
      }
    }
    runs.push({ traversal, connectablePairs: ok / Math.max(1, pairs), meanCompletionS: r.meanCompletionS, completed: r.completed });
  }
  const nated = NAT_MIX.filter((m) => m.type !== 'open').reduce((a, m) => a + m.share, 0);
  const symmetric = NAT_MIX.find((m) => m.type === 'symmetric')?.share ?? 0;
  return {
    peers: o.peers, mix: NAT_MIX, mappingShare: MAPPING_SHARE, runs,
    punchableNats: 1 - symmetric / nated,
    anchors: { fordUdp: 0.82, fordTcp: 0.64, dcutrSuccess: 0.7, dcutrFirstTry: 0.976 },
    seed: o.seed ?? 1, wallS: (wall() - t0) / 1000,
  };
}

/** Peer i's NAT type: the mix laid out over arrival order (deterministic, exact shares). */
export function natFor(i: number): NatType {
  // A low-discrepancy walk (golden ratio) spreads each type over the arrivals.
  const u = (i * 0.6180339887498949) % 1;
  let acc = 0;
  for (const m of NAT_MIX) {
    acc += m.share;
    if (u < acc) return m.type;
  }
  return NAT_MIX[NAT_MIX.length - 1].type;
}

function mappedFor(i: number): boolean {
  return ((i * 0.7548776662466927) % 1) < MAPPING_SHARE;
}
