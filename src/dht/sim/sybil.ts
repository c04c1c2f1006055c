/**
 * The `shoal sim sybil` scenario (DHT half): N honest nodes running the real DHT code, one
 * of them announces a key, then an attacker with S identities on A addresses (./sybil-attacker.ts)
 * places ids next to the key and tries to capture every lookup of it. Random honest nodes
 * then look the key up with get_peers.
 *
 * A lookup is eclipsed when it does not find the announcer's address (the value an honest
 * node stored). It is also counted as captured when none of the k closest nodes it ended
 * with is honest.
 *
 * Defences, each measured on its own network built from the same seed:
 * - `none`: no BEP 42 enforcement, ordinary lookups.
 * - `bep42`: every honest node has a BEP 42 id and enforces BEP 42 (`require`), so the
 *   attacker's ids must be compliant for its addresses.
 * - `disjoint`: S/Kademlia disjoint lookups (../disjoint-lookup.ts) over d paths, on both networks,
 *   for d = 1..maxPaths, beside the prediction 1 - (1 - (1 - f)^h)^d of success (so
 *   (1 - (1 - f)^h)^d eclipsed) for an attacker share f of the ids and h measured hops.
 * - `puzzle`: S/Kademlia crypto-puzzle ids (../puzzle.ts): every id is SHA-1 of a public key
 *   whose double hash has `puzzleBits` leading zero bits, and honest nodes admit no other
 *   id. The attacker cannot place its ids; it solves `grind` x S puzzles and keeps the S ids
 *   closest to the key, paying grind x 2^bits key tries per identity it uses. Measured for
 *   each grind (the cost per identity against the eclipsed share); with grind 1 its ids are
 *   uniformly random, the case (1 - (1 - f)^h)^d models, so the disjoint sweep runs there too.
 *
 * Addresses: honest hosts are in 198.18.0.0/16 and the attacker in 198.19.0.0/16 (RFC 2544's
 * benchmarking block): addresses BEP 42 is not exempt for (the simulator's 10.x ones are),
 * and never routed on the Internet. Nothing leaves the simulator anyway.
 */
import { compliantNodeId } from '../bep42.js';
import { PuzzleDirectory, solvePuzzle } from '../puzzle.js';
import { disjointGetPeers } from '../disjoint-lookup.js';
import { announceLookup, getPeersLookup, type GetPeersResult } from '../lookups.js';
import { commonPrefixLength, compareDistance, idFromBytes, idToBytes, randomId, type NodeId } from '../node-id.js';
import { DhtSimNetwork } from './network.js';
import { SybilAttacker } from './sybil-attacker.js';

export interface SybilRunOptions {
  /** Honest nodes. */
  readonly nodes: number;
  /** The attacker's addresses (A). */
  readonly addresses: number;
  /** The attacker's identities (S, at least A). */
  readonly identities: number;
  /** Lookups per defence (and per path count). */
  readonly lookups: number;
  /** The d reported as the `disjoint` headline. Default 4. */
  readonly disjointPaths?: number;
  /** Path counts measured: 1..maxPaths. Default 8. */
  readonly maxPaths?: number;
  readonly seed?: number;
  /** Median RTT, ms. Default 100. */
  readonly medianRttMs?: number;
  /** Crypto-puzzle difficulty, leading zero bits. Default 8 (256 key tries per id: the simulator's budget, not a deployment's). */
  readonly puzzleBits?: number;
  /** Puzzles the attacker solves per identity it keeps (it keeps the closest to the key), one run each. Default [1, 16]. */
  readonly puzzleGrind?: readonly number[];
  readonly wallClock?: () => number;
  readonly onPhase?: (phase: string) => void;
}

export interface DefenceOutcome {
  /** Share of lookups that did not find the honest value. */
  readonly eclipsed: number;
  /** Share of lookups whose k closest held no honest node. */
  readonly captured: number;
  readonly meanHops: number;
}

export interface SybilReport {
  readonly scenario: 'sybil';
  readonly nodes: number;
  readonly addresses: number;
  readonly identities: number;
  readonly lookups: number;
  readonly seed: number;
  /** Headline: share of lookups eclipsed per defence (`puzzle`: the attacker grinding the most). */
  readonly eclipsed: { readonly none: number; readonly bep42: number; readonly disjoint: number; readonly puzzle: number };
  /** Share of lookups whose k closest held no honest node, per defence. */
  readonly captured: { readonly none: number; readonly bep42: number; readonly disjoint: number };
  /** Eclipsed share of the same lookups before the attacker came (lookups that fail anyway). */
  readonly baseline: { readonly none: number; readonly bep42: number };
  /** The d of the `disjoint` headline (disjoint lookups on the network with BEP 42). */
  readonly disjointPaths: number;
  /** f: the attacker's share of all ids. */
  readonly attackerShare: number;
  /** Per network (without and with BEP 42), per path count d: measured, and (1 - (1 - f)^h)^d with h the mean hops at d = 1. */
  readonly byPaths: { readonly none: readonly PathsRow[]; readonly bep42: readonly PathsRow[]; readonly puzzle: readonly PathsRow[] };
  /** The crypto-puzzle defence: difficulty, and per attacker grind the cost per identity and the outcome. */
  readonly puzzle: { readonly bits: number; readonly rows: readonly PuzzleRow[] };
  /** Longest prefix (bits) shared with the key by an honest id and by an attacker id, per id scheme. */
  readonly prefixBits: { readonly none: { honest: number; attacker: number }; readonly bep42: { honest: number; attacker: number } };
  /** Queries the Sybil identities answered (both networks). */
  readonly attackerAnswers: number;
  readonly wallMs: number;
  readonly virtualMs: number;
}

export interface PuzzleRow extends DefenceOutcome {
  /** Puzzles solved per identity kept. */
  readonly grind: number;
  /** Key tries the attacker spent per identity kept (each try: two SHA-1s). */
  readonly triesPerIdentity: number;
  /** Longest prefix (bits) an attacker id shares with the key. */
  readonly attackerPrefix: number;
}

export interface PathsRow extends DefenceOutcome {
  readonly paths: number;
  /** Eclipsed share predicted by (1 - (1 - f)^h)^d. */
  readonly predicted: number;
}

/** Highest honest node count: honest hosts take 198.18.0.0/16. */
export const SYBIL_MAX_NODES = 65_000;
/** Highest attacker address count: the attacker takes 198.19.0.0/16. */
export const SYBIL_MAX_ADDRESSES = 65_000;

const honestAddress = (i: number): string => `198.18.${((i + 1) >>> 8) & 255}.${(i + 1) & 255}`;
const attackerAddress = (i: number): string => `198.19.${((i + 1) >>> 8) & 255}.${(i + 1) & 255}`;

interface World {
  readonly net: DhtSimNetwork;
  readonly attacker: SybilAttacker;
  readonly target: NodeId;
  readonly announcer: number;
  readonly honestPrefix: number;
  /** The plain lookups before the attacker came. */
  readonly baseline: DefenceOutcome;
}

/** Crypto-puzzle ids for a world: the honest nodes' and the attacker's, with the directory that admits them. */
interface PuzzleIds {
  readonly directory: PuzzleDirectory;
  readonly grind: number;
  /** Key tries the attacker spent in all. */
  attackerTries: number;
}

/** Builds the honest network, announces the key, then deploys and introduces the attacker. */
async function buildWorld(o: SybilRunOptions, bep42: boolean, puzzle?: PuzzleIds): Promise<World> {
  const net = await DhtSimNetwork.create({
    nodes: o.nodes,
    seed: o.seed ?? 1,
    medianRttMs: o.medianRttMs ?? 100,
    address: honestAddress,
    nodeOptions: puzzle !== undefined
      ? (_i, h) => {
        const key = solvePuzzle(puzzle.directory.bits, () => h.runtime.random.bytes(32));
        puzzle.directory.register(key.publicKey);
        return { id: key.id, acceptNodeId: (id: Uint8Array) => puzzle.directory.accepts(id) };
      }
      : bep42 ? (_i, h) => ({ id: idToBytes(compliantNodeId(h.address, h.runtime.random)), bep42: { enforce: 'require' } }) : undefined,
  });
  const spacing = Math.min(20, Math.max(1, 100_000 / o.nodes));
  net.bootstrapAll(spacing);
  net.refreshAll(Math.min(60_000, o.nodes * spacing));
  const sim = net.sim;
  const target = randomId(sim.random);
  const announcer = net.pick(() => true);
  let announced = false;
  announceLookup(net.nodes[announcer], target, { port: 6881 }, { onDone: () => (announced = true) });
  while (!announced && sim.pendingEvents > 0) sim.runForSync(1000);
  const baseline = measure({ net, target, announcer }, o.lookups, 1);
  const attacker = await SybilAttacker.deploy(sim, {
    addresses: Array.from({ length: o.addresses }, (_, i) => attackerAddress(i)),
    identities: o.identities,
    target,
    bep42,
    ids: puzzle === undefined ? undefined : grindIds(puzzle, o.identities, target, sim.random),
  });
  // The attacker queries every honest node from every identity (it can crawl them all);
  // the nodes ping it back and keep it where a bucket has room.
  const spreadMs = 10_000;
  attacker.introduce(net.addresses, spreadMs);
  sim.runForSync(spreadMs + 10_000);
  let honestPrefix = 0;
  for (const { nodeId: id } of net.nodes) honestPrefix = Math.max(honestPrefix, commonPrefixLength(id, target));
  return { net, attacker, target, announcer, honestPrefix, baseline };
}

interface Tally {
  eclipsed: number;
  captured: number;
  hops: number;
}

/** `lookups` get_peers lookups of the key over `paths` disjoint paths from random honest nodes. */
function measure(w: Pick<World, 'net' | 'target' | 'announcer'>, lookups: number, paths: number): DefenceOutcome {
  const { net, target, announcer } = w;
  const sim = net.sim;
  const want = net.addresses[announcer];
  const t: Tally = { eclipsed: 0, captured: 0, hops: 0 };
  // Taken now: honest nodes may have moved to a BEP 42 id (adoptCompliantId) since they joined.
  const honestIds = new Set(net.nodes.map((n) => n.nodeId));
  let done = 0;
  const finish = (found: boolean, results: readonly GetPeersResult[]): void => {
    done++;
    if (!found) t.eclipsed++;
    if (!results.some((r) => r.closest.some((c) => honestIds.has(c.id)))) t.captured++;
    t.hops += Math.max(...results.map((r) => r.stats.hops));
  };
  for (let j = 0; j < lookups; j++) {
    sim.schedule(j * 100, () => {
      const node = net.nodes[net.pick((i) => i !== announcer)];
      let found = false;
      const onPeers = (peers: readonly { host: string; port: number }[]): void => {
        if (peers.some((p) => p.host === want.host && p.port === 6881)) found = true;
      };
      if (paths === 1) getPeersLookup(node, target, { onPeers, onDone: (r) => finish(found, [r]) });
      else disjointGetPeers(node, target, paths, { onPeers, onDone: (r) => finish(found, r.paths) });
    });
  }
  while (done < lookups && sim.pendingEvents > 0) sim.runForSync(1000);
  const n = Math.max(1, done);
  return { eclipsed: round(t.eclipsed / n), captured: round(t.captured / n), meanHops: round(t.hops / n, 2) };
}

const round = (x: number, d = 4): number => Math.round(x * 10 ** d) / 10 ** d;

/** The attacker's puzzle ids: grind x S solutions, the S closest to the key kept (all registered: they are valid). */
function grindIds(p: PuzzleIds, identities: number, target: NodeId, random: { bytes(n: number): Uint8Array }): NodeId[] {
  const ids: NodeId[] = [];
  for (let i = 0; i < identities * p.grind; i++) {
    const key = solvePuzzle(p.directory.bits, () => random.bytes(32));
    p.attackerTries += key.tries;
    p.directory.register(key.publicKey);
    ids.push(idFromBytes(key.id));
  }
  ids.sort((a, b) => compareDistance(a, b, target));
  return ids.slice(0, identities);
}

/** The eclipsed share S/Kademlia's model predicts: every one of d paths of h hops meets an attacker. */
export function predictedEclipse(f: number, h: number, d: number): number {
  return Math.pow(1 - Math.pow(1 - f, h), d);
}

export async function runSybilSimulation(o: SybilRunOptions): Promise<SybilReport> {
  if (o.nodes < 16 || o.nodes > SYBIL_MAX_NODES) throw new RangeError(`nodes must be in 16..${SYBIL_MAX_NODES}`);
  if (o.addresses < 1 || o.addresses > SYBIL_MAX_ADDRESSES) throw new RangeError(`addresses must be in 1..${SYBIL_MAX_ADDRESSES}`);
  const wall = o.wallClock ?? (() => 0);
  const t0 = wall();
  const maxPaths = o.maxPaths ?? 8;
  const headlineD = o.disjointPaths ?? 4;
  if (headlineD > maxPaths) throw new RangeError(`disjoint paths (${headlineD}) must be at most the paths measured (${maxPaths})`);

  const f = o.identities / (o.identities + o.nodes);
  const sweep = (w: World, label: string): PathsRow[] => {
    const rows: PathsRow[] = [];
    for (let d = 1; d <= maxPaths; d++) {
      rows.push({ paths: d, ...measure(w, o.lookups, d), predicted: 0 });
      o.onPhase?.(`${label}: lookups over ${d} disjoint path${d === 1 ? '' : 's'}`);
    }
    // h: the mean hops of the plain lookups on that network.
    return rows.map((r) => ({ ...r, predicted: round(predictedEclipse(f, rows[0].meanHops, r.paths)) }));
  };
  const plain = await buildWorld(o, false);
  o.onPhase?.('network without BEP 42 built, attacker in place');
  const plainRows = sweep(plain, 'without BEP 42');
  const guarded = await buildWorld(o, true);
  o.onPhase?.('network with BEP 42 built, attacker in place');
  const guardedRows = sweep(guarded, 'with BEP 42');
  const bits = o.puzzleBits ?? 8;
  const puzzleRows: PuzzleRow[] = [];
  let puzzlePaths: PathsRow[] = [];
  let puzzleVirtualMs = 0;
  for (const grind of o.puzzleGrind ?? [1, 16]) {
    if (!Number.isInteger(grind) || grind < 1) throw new RangeError(`puzzle grind must be a whole number >= 1, got ${grind}`);
    const p: PuzzleIds = { directory: new PuzzleDirectory(bits), grind, attackerTries: 0 };
    const w = await buildWorld(o, false, p);
    o.onPhase?.(`network with ${bits}-bit puzzle ids built, attacker grinding ${grind}x in place`);
    const outcome = measure(w, o.lookups, 1);
    puzzleRows.push({ grind, triesPerIdentity: Math.round(p.attackerTries / o.identities), attackerPrefix: w.attacker.bestPrefix(w.target), ...outcome });
    // Random placement (grind 1) is the case the disjoint-path formula models.
    if (grind === 1) puzzlePaths = sweep(w, `puzzle ids`);
    puzzleVirtualMs += w.net.sim.now;
  }
  const none = plainRows[0];
  const bep42 = guardedRows[0];
  const disjoint = guardedRows[headlineD - 1];
  const puzzleHead = puzzleRows.reduce((a, b) => (b.grind > a.grind ? b : a), puzzleRows[0]);
  return {
    scenario: 'sybil',
    nodes: o.nodes,
    addresses: o.addresses,
    identities: o.identities,
    lookups: o.lookups,
    seed: o.seed ?? 1,
    eclipsed: { none: none.eclipsed, bep42: bep42.eclipsed, disjoint: disjoint.eclipsed, puzzle: puzzleHead.eclipsed },
    captured: { none: none.captured, bep42: bep42.captured, disjoint: disjoint.captured },
    baseline: { none: plain.baseline.eclipsed, bep42: guarded.baseline.eclipsed },
    disjointPaths: headlineD,
    attackerShare: round(f),
    byPaths: { none: plainRows, bep42: guardedRows, puzzle: puzzlePaths },
    puzzle: { bits, rows: puzzleRows },
    prefixBits: {
      none: { honest: plain.honestPrefix, attacker: plain.attacker.bestPrefix(plain.target) },
      bep42: { honest: guarded.honestPrefix, attacker: guarded.attacker.bestPrefix(guarded.target) },
    },
    attackerAnswers: plain.attacker.stats.queriesAnswered + guarded.attacker.stats.queriesAnswered,
    wallMs: Math.round(wall() - t0),
    virtualMs: Math.round(plain.net.sim.now + guarded.net.sim.now + puzzleVirtualMs),
  };
}
