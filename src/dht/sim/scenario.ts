/**
 * Simulation scenarios over a `DhtSimNetwork`, written callback-style so thousands of
 * lookups run inside one synchronous simulator loop:
 * - `checkClosest`: find_node lookups compared with the ground-truth k closest;
 * - `announceAll` / `lookupPeers`: announce info hashes, then look them up with get_peers.
 */
import { idToBytes, randomId, type NodeId } from '../node-id.js';
import { announceLookup, findNodeLookup, getPeersLookup, type GetPeersResult } from '../lookups.js';
import type { DhtSimNetwork } from './network.js';

export interface ClosestOutcome {
  readonly lookups: number;
  /** Lookups whose k closest equal the ground truth's (order ignored). */
  readonly exact: number;
  /** Lookups that found the true closest node. */
  readonly foundClosest: number;
  readonly hops: number[];
  readonly latencyMs: number[];
}

/**
 * Runs `count` find_node lookups for random targets from random nodes `from` accepts,
 * `spacingMs` apart, and checks each against the ground truth taken when it ends.
 */
export function checkClosest(net: DhtSimNetwork, count: number, o: { from?: (i: number) => boolean; spacingMs?: number; truth?: (i: number) => boolean } = {}): ClosestOutcome {
  const sim = net.sim;
  const from = o.from ?? ((i: number) => net.online(i) && net.natted[i] === 0);
  const out = { lookups: count, exact: 0, foundClosest: 0, hops: [] as number[], latencyMs: [] as number[] };
  const truth = net.groundTruth(o.truth);
  let done = 0;
  for (let j = 0; j < count; j++) {
    sim.schedule(j * (o.spacingMs ?? 10), () => {
      const i = net.pick(from);
      const node = net.nodes[i];
      const target = randomId(node.random);
      findNodeLookup(node, target, (r) => {
        done++;
        const want = truth.closest(target, node.k);
        const got = new Set(r.closest.map((c) => c.id));
        if (want.every((id) => got.has(id))) out.exact++;
        if (r.closest.length > 0 && r.closest[0].id === want[0]) out.foundClosest++;
        out.hops.push(r.stats.hops);
        out.latencyMs.push(r.stats.durationMs);
      });
    });
  }
  while (done < count && sim.pendingEvents > 0) sim.runForSync(1000);
  return out;
}

export interface Announcement {
  readonly infoHash: NodeId;
  readonly announcer: number;
  readonly port: number;
  announcedTo: number;
}

/** Announces `count` random info hashes, each from a random node `from` accepts, all at once; runs until done. */
export function announceAll(net: DhtSimNetwork, count: number, from: (i: number) => boolean, port = 6881): Announcement[] {
  const sim = net.sim;
  const list: Announcement[] = [];
  let done = 0;
  for (let j = 0; j < count; j++) {
    const i = net.pick(from);
    const a: Announcement = { infoHash: randomId(sim.random), announcer: i, port, announcedTo: 0 };
    list.push(a);
    sim.schedule(j, () => announceLookup(net.nodes[i], a.infoHash, { port }, {
      onDone: (r) => {
        a.announcedTo = r.announcedTo;
        done++;
      },
    }));
  }
  while (done < count && sim.pendingEvents > 0) sim.runForSync(1000);
  return list;
}

export interface PeerLookupOutcome {
  readonly announcement: Announcement;
  readonly lookupNode: number;
  /** The announcer's address was among the peers found. */
  readonly found: boolean;
  /** Virtual ms until the announcer was found (undefined when it was not). */
  readonly foundMs?: number;
  readonly foundHop?: number;
  readonly result: GetPeersResult;
}

/** Looks up each announcement from a random other node `from` accepts, `spacingMs` apart. */
export function lookupPeers(net: DhtSimNetwork, announcements: readonly Announcement[], from: (i: number) => boolean, spacingMs: number, onEach?: (o: PeerLookupOutcome) => void): PeerLookupOutcome[] {
  const sim = net.sim;
  const out: PeerLookupOutcome[] = [];
  let done = 0;
  announcements.forEach((a, j) => {
    sim.schedule(j * spacingMs, () => {
      const i = net.pick((x) => x !== a.announcer && from(x));
      const node = net.nodes[i];
      const start = sim.now;
      const want = net.addresses[a.announcer].host;
      let foundMs: number | undefined;
      let foundHop: number | undefined;
      getPeersLookup(node, a.infoHash, {
        onPeers: (peers, _c, hop) => {
          if (foundMs === undefined && peers.some((p) => p.host === want && p.port === a.port)) {
            foundMs = sim.now - start;
            foundHop = hop;
          }
        },
        onDone: (r) => {
          done++;
          const o = { announcement: a, lookupNode: i, found: foundMs !== undefined, foundMs, foundHop, result: r };
          out.push(o);
          onEach?.(o);
        },
      });
    });
  });
  while (done < announcements.length && sim.pendingEvents > 0) sim.runForSync(1000);
  return out;
}

export { idToBytes };
