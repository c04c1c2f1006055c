/**
 * `shoal sim nat`: a swarm (leechers arriving steadily, or as a flash crowd) whose leechers
 * sit behind address-rewriting NAT gateways (src/sim/nat-gateway.ts; a mix after the
 * measurement literature), run three ways with the real client's mechanisms:
 * - 'none': no traversal. Clients dial uTP first, then TCP (transport/dual-streams.ts);
 *   a NATed peer can dial out, and only crossing dials open a NAT by accident.
 * - 'mapping': Shoal's port mapping (PCP/NAT-PMP and UPnP IGD side by side) asks the gateway
 *   for forwards of the TCP and uTP listen port; the routers `ROUTER_MIX` says answer.
 * - 'holepunch': mapping plus BEP 55: a failed dial to a peer that a connected peer
 *   advertised (PEX, BEP 11) becomes a rendezvous through that relay, and both sides send
 *   uTP SYNs. Any peer connected to both sides may relay: the origin seed, open peers,
 *   mapped ones.
 * Figures: leecher pairs that connected (measured from the clients' connections, over the
 * pairs where one side dialled the other), the share the NAT types allow (potential, over
 * all pairs), completion times, punch attempts and outcomes, beside published anchors.
 */
import { canPunch, type NatType } from '../nat.js';
import { NatRouter } from '../nat-gateway.js';
import type { IgdVersion } from '../upnp-igd.js';
import { natClientSetup, NatLedger, type Traversal } from './nat-peers.js';
import { quantile, runSwarmScenario } from './swarm-scenario.js';

export type { Traversal } from './nat-peers.js';

export interface NatShare {
  readonly type: NatType;
  readonly share: number;
}

/**
 * The NAT mix, over all peers, from measurement studies:
 * - NATed 78%, open 22%; symmetric 14% of peers: Halkes and Pouwelse ("UDP NAT and Firewall
 *   Puncturing in the Wild", IFIP Networking 2011, Tribler peers) found about 64% of all
 *   peers behind a NAT or firewall that allows UDP hole punching, and Ford, Srisuresh and
 *   Kegel (USENIX ATC 2005, 380 NATs) 82% of NATs punchable for UDP; so 64/82 = 78% of
 *   peers are NATed and 18% of those (14% of peers) map a port per destination.
 * - Of the punchable 64%: full cone 12% of peers (15% of NATs: endpoint-independent
 *   filtering, as NATCracker, Roverso, El-Ansary and Haridi, ICCCN 2009, is quoted), the
 *   rest mostly port-restricted (address-and-port-dependent filtering: what Linux
 *   conntrack, inside most home routers, does) 40%, address-restricted 12% (this
 *   split is not measured by the studies above; an assumption).
 */
export const NAT_MIX: readonly NatShare[] = [
  { type: 'open', share: 0.22 },
  { type: 'full-cone', share: 0.12 },
  { type: 'restricted-cone', share: 0.12 },
  { type: 'port-restricted', share: 0.4 },
  { type: 'symmetric', share: 0.14 },
];

/** What a NAT router answers: NAT-PMP (RFC 6886; PCP is refused, the client falls back), UPnP IGD of a version, or nothing. */
export interface RouterShare {
  readonly natPmp: boolean;
  readonly upnp: IgdVersion | false;
  /** Share of NAT routers. */
  readonly share: number;
}

/**
 * The routers behind NATed peers. DiCioccio, Teixeira, May and Kreibich ("Probe and Pray:
 * Using UPnP for Home Network Measurements", PAM 2012, 120,000 homes through Netalyzr and
 * HomeNet Profiler) got no UPnP answer from the gateway in the majority of homes: here 35%
 * answer UPnP, most of them IGD v1 (v2, with AddAnyPortMapping, from miniupnpd, which also
 * speaks NAT-PMP/PCP); NAT-PMP without UPnP (Apple's routers) 5%. The split below the
 * measured bound is an assumption.
 */
export const ROUTER_MIX: readonly RouterShare[] = [
  { natPmp: false, upnp: 1, share: 0.2 },
  { natPmp: true, upnp: 2, share: 0.15 },
  { natPmp: true, upnp: false, share: 0.05 },
  { natPmp: false, upnp: false, share: 0.6 },
];

const DEFAULT_FILE_BYTES = 2 * 1024 * 1024;

export const PUBLISHED = { fordUdp: 0.82, fordTcp: 0.64, dcutrSuccess: 0.7, dcutrSuccessCi: 0.071, dcutrFirstTry: 0.976 } as const;

export interface PunchFigures {
  /** Ordered (initiator, target) pairs that sent at least one punch. */
  readonly pairs: number;
  readonly attempts: number;
  /** Pairs that punched through / pairs that tried. */
  readonly successRate: number;
  /** Of the pairs that punched through, the share that did at the first attempt. */
  readonly firstTryShare: number;
  /** Pairs that punched through whose NATs were both symmetric, neither mapped (the physics says: none). */
  readonly symmetricBoth: number;
  /** Pairs that tried whose NATs were both symmetric, neither mapped. */
  readonly symmetricBothTried: number;
  /** Punched pairs that then moved payload (at least a block's worth of bytes) over uTP. */
  readonly punchedCarriedUtp: number;
  readonly punched: number;
  /** Punches towards a peer already connected under another address (not counted above). */
  readonly redundant: number;
}

export interface NatRun {
  readonly traversal: Traversal;
  /** Measured: leecher pairs that connected, over pairs where one side dialled the other. */
  readonly connectedOfAttempted: number;
  /** Measured: leecher pairs that connected, over all pairs. */
  readonly connectedPairs: number;
  /** Potential: pairs the NAT types (and the mappings made) allow, over all pairs. */
  readonly connectablePairs: number;
  readonly attemptedPairs: number;
  readonly meanCompletionS: number;
  readonly medianCompletionS: number;
  readonly p90CompletionS: number;
  readonly completed: number;
  /** NATed leechers whose port mapper got both forwards. */
  readonly mappedPeers: number;
  /** Of those, by the path that made the last mapping: UPnP IGD, NAT-PMP, PCP. */
  readonly mappedVia: { readonly upnp: number; readonly natpmp: number; readonly pcp: number };
  /** NATed leechers whose external-address vote decided their gateway's public address. */
  readonly externalAddressAgreed: number;
  readonly natedPeers: number;
  readonly punch: PunchFigures;
  readonly events: number;
  readonly virtualS: number;
}

export interface NatReport {
  readonly peers: number;
  readonly mix: readonly NatShare[];
  readonly routers: readonly RouterShare[];
  /** Share of NAT routers that answer a port-mapping request (NAT-PMP or UPnP). */
  readonly mappingShare: number;
  readonly runs: readonly NatRun[];
  /** Share of NATs (not open hosts) that a punch works against from a cone NAT: 1 − symmetric share. */
  readonly punchableNats: number;
  readonly anchors: typeof PUBLISHED;
  readonly seed: number;
  readonly fileBytes: number;
  readonly wallS: number;
}

export interface NatScenarioOptions {
  readonly peers: number;
  readonly fileBytes?: number;
  readonly seed?: number;
  /** Which runs (default all three, in order). */
  readonly traversals?: readonly Traversal[];
  readonly maxVirtualS?: number;
  /** The NAT mix (default `NAT_MIX`) and what the NAT routers answer (default `ROUTER_MIX`). */
  readonly mix?: readonly NatShare[];
  readonly routers?: readonly RouterShare[];
  /** Leechers arrive steadily over 200 s (default) or as a flash crowd within 10 s. */
  readonly arrival?: 'flash' | 'steady';
  /** Peers a leecher asks the tracker for (default 50); fewer: more of the swarm is learnt over PEX. */
  readonly numwant?: number;
  readonly wallClock?: () => number;
  readonly onProgress?: (p: { readonly traversal: Traversal; readonly tS: number; readonly finished: number; readonly arrived: number }) => void;
}

export async function runNatScenario(o: NatScenarioOptions): Promise<NatReport> {
  const wall = o.wallClock ?? (() => 0);
  const t0 = wall();
  const runs: NatRun[] = [];
  for (const traversal of o.traversals ?? TRAVERSALS) runs.push(await runNatArm(traversal, o));
  return natReport(o, runs, (wall() - t0) / 1000);
}

/** The three runs, in report order. */
export const TRAVERSALS: readonly Traversal[] = ['none', 'mapping', 'holepunch'];

/**
 * One run (arm) of the scenario: its own simulator, hosts and clients, nothing shared with
 * the other arms, so arms may run one after another or at once (the CLI's worker threads)
 * and give the same figures.
 */
export function runNatArm(traversal: Traversal, o: NatScenarioOptions): Promise<NatRun> {
  return runOnce(traversal, o, o.fileBytes ?? DEFAULT_FILE_BYTES);
}

/** The report over runs made with the options `o`. */
export function natReport(o: NatScenarioOptions, runs: readonly NatRun[], wallS: number): NatReport {
  const mix = o.mix ?? NAT_MIX;
  const nated = mix.filter((m) => m.type !== 'open').reduce((a, m) => a + m.share, 0);
  const symmetric = mix.find((m) => m.type === 'symmetric')?.share ?? 0;
  const routers = o.routers ?? ROUTER_MIX;
  return {
    peers: o.peers, mix, routers, mappingShare: routers.filter((r) => r.natPmp || r.upnp !== false).reduce((a, r) => a + r.share, 0), runs,
    punchableNats: 1 - symmetric / nated,
    anchors: PUBLISHED,
    seed: o.seed ?? 1, fileBytes: o.fileBytes ?? DEFAULT_FILE_BYTES, wallS,
  };
}

async function runOnce(traversal: Traversal, o: NatScenarioOptions, fileBytes: number): Promise<NatRun> {
  const ledger = new NatLedger(o.peers);
  const r = await runSwarmScenario({
    peers: o.peers, arrival: o.arrival ?? 'steady', fileBytes, seed: o.seed, lingerMeanS: 60, maxVirtualS: o.maxVirtualS ?? 1800,
    // Types and routers by leecher index: the same in every run.
    onHost: (i, host) => {
      const type = natFor(i, o.mix);
      ledger.types[i] = type;
      ledger.indexOf.set(host.address, i);
      if (type === 'open') return;
      const router = routerFor(i, o.routers);
      const gw = NatRouter.of(host.network).add(host, { type, natPmp: router.natPmp, upnp: router.upnp });
      ledger.gateways[i] = gw;
      ledger.indexOf.set(gw.publicAddress, i);
    },
    clientSetup: (i, host) => ({ ...natClientSetup(traversal, ledger, i, host), numwant: o.numwant }),
    onProgress: (p) => o.onProgress?.({ traversal, tS: p.tS, finished: p.finished, arrived: p.arrived }),
  });
  const done = r.records.filter((x) => x.completedS !== undefined).map((x) => x.completedS!).sort((a, b) => a - b);
  const n = o.peers;
  const allPairs = Math.max(1, (n * (n - 1)) / 2);
  const reachable = (i: number): boolean => ledger.types[i] === 'open' || ledger.mapped[i] === true;
  let potential = 0;
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      if (reachable(a) || reachable(b) || (traversal === 'holepunch' && canPunch(ledger.types[a], ledger.types[b]))) potential++;
    }
  }
  let connectedAttempted = 0;
  for (const k of ledger.connected) if (ledger.attempted.has(k)) connectedAttempted++;
  const nated = ledger.gateways.filter((g) => g !== undefined);
  let agreed = 0;
  ledger.gateways.forEach((g, i) => {
    if (g !== undefined && ledger.votes[i]?.host === g.publicAddress) agreed++;
  });
  return {
    traversal,
    connectedOfAttempted: connectedAttempted / Math.max(1, ledger.attempted.size),
    connectedPairs: ledger.connected.size / allPairs,
    connectablePairs: potential / allPairs,
    attemptedPairs: ledger.attempted.size,
    meanCompletionS: r.meanCompletionS,
    medianCompletionS: quantile(done, 0.5),
    p90CompletionS: quantile(done, 0.9),
    completed: r.completed,
    mappedPeers: ledger.mapped.filter((m) => m).length,
    mappedVia: {
      upnp: ledger.mapped.filter((m, i) => m && ledger.mappedVia[i] === 'upnp').length,
      natpmp: ledger.mapped.filter((m, i) => m && ledger.mappedVia[i] === 'natpmp').length,
      pcp: ledger.mapped.filter((m, i) => m && ledger.mappedVia[i] === 'pcp').length,
    },
    externalAddressAgreed: agreed,
    natedPeers: nated.length,
    punch: punchFigures(ledger),
    events: r.events,
    virtualS: r.virtualS,
  };
}

function punchFigures(ledger: NatLedger): PunchFigures {
  let pairs = 0, attempts = 0, punched = 0, first = 0, symmetricBoth = 0, symmetricBothTried = 0, carried = 0;
  for (const [k, p] of ledger.punches) {
    if (p.attempts === 0) continue;
    pairs++;
    attempts += p.attempts;
    const i = Math.floor(k / ledger.leechers), j = k % ledger.leechers;
    // A mapped port filters nothing: only unmapped symmetric NATs on both sides cannot punch.
    const bothSymmetric = ledger.types[i] === 'symmetric' && ledger.types[j] === 'symmetric' && ledger.mapped[i] !== true && ledger.mapped[j] !== true;
    if (bothSymmetric) symmetricBothTried++;
    if (p.succeededAt === undefined) continue;
    punched++;
    if (p.succeededAt === 1) first++;
    if (bothSymmetric) symmetricBoth++;
    if (ledger.carriedUtp.has(ledger.pair(i, j))) carried++;
  }
  return { pairs, attempts, successRate: punched / Math.max(1, pairs), firstTryShare: punched ? first / punched : NaN, symmetricBoth, symmetricBothTried, punchedCarriedUtp: carried, punched, redundant: ledger.redundantPunches };
}

/** Peer i's NAT type: the mix laid out over arrival order (deterministic, exact shares). */
export function natFor(i: number, mix: readonly NatShare[] = NAT_MIX): NatType {
  // A low-discrepancy walk (golden ratio) spreads each type over the arrivals.
  const u = (i * 0.6180339887498949) % 1;
  let acc = 0;
  for (const m of mix) {
    acc += m.share;
    if (u < acc) return m.type;
  }
  return mix[mix.length - 1].type;
}

/** What peer i's router answers: the router mix laid out over arrival order like the NAT types, on another walk. */
export function routerFor(i: number, routers: readonly RouterShare[] = ROUTER_MIX): RouterShare {
  const u = (i * 0.7548776662466927) % 1;
  let acc = 0;
  for (const r of routers) {
    acc += r.share;
    if (u < acc) return r;
  }
  return routers[routers.length - 1];
}
