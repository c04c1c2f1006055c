/**
 * S/Kademlia disjoint lookups (Baumgart & Mies 2007): `d` get_peers traversals run side by
 * side, each over its own set of nodes. The seeds (our closest contacts) are dealt round
 * robin to the paths, and a node belongs to the first path that queries it: the other paths
 * skip it (as failed) and go on. A Sybil group that captures one path (answers only with its
 * own contacts) then cannot pull the others in, so the lookup finds the value when any path
 * reaches an honest node that holds it. (Claiming nodes when first heard of instead loses
 * honest nodes: a path captured by Sybils hears of them, never asks them, and bars the others.)
 * Without limits on where ids may be placed (BEP 42, crypto puzzles) it does not help: every
 * path ends in the same cluster next to the key (docs/dht.md, `shoal sim sybil`).
 *
 * Built on the ordinary lookup (./lookups.ts) through a `LookupHost` per path that filters
 * contacts: the traversal itself is unchanged. Sans-I/O like the rest of the lookups.
 */
import type { Address } from '../runtime/types.js';
import type { Contact } from './compact.js';
import { getPeersLookup, type GetPeersResult, type LookupHost } from './lookups.js';
import type { NodeId } from './node-id.js';

export interface DisjointResult {
  /** One result per path, in path order. */
  readonly paths: readonly GetPeersResult[];
  /** Every distinct peer any path found. */
  readonly peers: readonly Address[];
}

export interface DisjointCallbacks {
  /** New peers as they arrive on path `path`. */
  onPeers?: (peers: readonly Address[], path: number, hop: number) => void;
  onDone: (r: DisjointResult) => void;
}

const NO_TID = new Uint8Array(0);

/** Most disjoint paths: more would leave each path one seed or none of the 2k the table offers. */
export const MAX_DISJOINT_PATHS = 16;

/** A get_peers lookup over `d` disjoint paths (d = 1 is the plain lookup). */
export function disjointGetPeers(host: LookupHost, infoHash: NodeId, d: number, cb: DisjointCallbacks): { cancel(): void } {
  if (!Number.isInteger(d) || d < 1 || d > MAX_DISJOINT_PATHS) throw new RangeError(`disjoint paths must be a whole number in 1..${MAX_DISJOINT_PATHS}, got ${d}`);
  /** Which path owns each node id (the first to query it; seeds: the path dealt them). */
  const owner = new Map<NodeId, number>();
  const seeds: Contact[][] = Array.from({ length: d }, () => []);
  // Every seed the host offers (its 2k closest), dealt round robin.
  host.seeds(infoHash).forEach((c, i) => {
    if (owner.has(c.id)) return;
    owner.set(c.id, i % d);
    seeds[i % d].push(c);
  });
  const results: GetPeersResult[] = new Array<GetPeersResult>(d);
  const peers: Address[] = [];
  const seen = new Set<string>();
  let pending = d;
  const traversals: { cancel(): void }[] = [];
  for (let p = 0; p < d; p++) {
    const path = pathHost(host, p, seeds[p], owner);
    traversals.push(getPeersLookup(path, infoHash, {
      onPeers: (fresh, _from, hop) => {
        const mine: Address[] = [];
        for (const a of fresh) {
          const key = `${a.host}:${a.port}`;
          if (seen.has(key)) continue;
          seen.add(key);
          peers.push(a);
          mine.push(a);
        }
        if (mine.length > 0) cb.onPeers?.(mine, p, hop);
      },
      onDone: (r) => {
        results[p] = r;
        if (--pending === 0) cb.onDone({ paths: results, peers });
      },
    }));
  }
  return { cancel: () => traversals.forEach((t) => t.cancel()) };
}

/** The host as path `p` sees it: its own seeds, and only contacts no other path owns. */
function pathHost(host: LookupHost, p: number, seeds: readonly Contact[], owner: Map<NodeId, number>): LookupHost {
  return {
    nodeId: host.nodeId,
    k: host.k,
    alpha: host.alpha,
    dataAlpha: host.dataAlpha,
    family: host.family,
    random: host.random,
    seeds: () => [...seeds],
    queryNode: (c, spec, handler) => {
      // A node another path asked already is not asked again: fail it here, the path moves on.
      const o = owner.get(c.id);
      if (o !== undefined && o !== p) {
        handler.error({ kind: 'error', t: NO_TID, code: 0, message: 'asked by another disjoint path' });
        return;
      }
      owner.set(c.id, p);
      host.queryNode(c, spec, handler);
    },
    acceptContact: (c) => host.acceptContact(c),
    heardAbout: host.heardAbout?.bind(host),
    now: () => host.now(),
    setTimer: host.setTimer?.bind(host),
    lookupStallGraceMs: host.lookupStallGraceMs?.bind(host),
  };
}
