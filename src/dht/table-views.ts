/**
 * What the routing table (./routing-table.ts) hands out about its packed entries: snapshots
 * (`RoutingNode`s, new objects each time: changing one changes nothing in the table).
 */
import type { PackedEntries } from './packed-entries.js';
import { RoutingNode } from './routing-node.js';

/** The entry at position `p`, as a new object. */
export function snapshotAt(e: PackedEntries, p: number): RoutingNode {
  const n = new RoutingNode(e.id(p), e.ip(p), e.host6(p), e.port(p), e.lastResponse(p));
  n.lastQuery = e.lastQuery(p);
  n.failures = e.failures(p);
  n.rtt = e.rtt(p);
  return n;
}

/** Every table entry, bucket by bucket (far buckets first). */
export function* allNodes(e: PackedEntries): IterableIterator<RoutingNode> {
  for (let b = 0; b < e.bucketCount; b++) {
    for (let p = e.start(b); p < e.mainEnd(b); p++) yield snapshotAt(e, p);
  }
}

/**
 * Up to `max` unverified entries that have not failed, nearest buckets first. Nearest first
 * because replies name verified nodes only: a node whose nearest neighbours hold it
 * unverified is never named in any reply, so a lookup of a key it is closest to misses it
 * (farthest-first left 3% of lookups at 1,000 nodes ending one node short of the key).
 */
export function unverifiedNodes(e: PackedEntries, max: number): RoutingNode[] {
  const out: RoutingNode[] = [];
  for (let i = e.bucketCount - 1; i >= 0; i--) {
    for (let p = e.start(i); p < e.mainEnd(i); p++) {
      if (e.isVerified(p) || e.failures(p) > 0) continue;
      out.push(snapshotAt(e, p));
      if (out.length >= max) return out;
    }
  }
  return out;
}

/** The least recently seen verified entry of bucket `index` that has been quiet for `quietMs` at `now`, if any. */
export function stalestNode(e: PackedEntries, index: number, now: number, quietMs: number): RoutingNode | undefined {
  if (!(index >= 0 && index < e.bucketCount)) return undefined;
  let best = -1;
  let bestSeen = 0;
  for (let p = e.start(index); p < e.mainEnd(index); p++) {
    const seen = e.lastSeen(p);
    if (!e.isVerified(p) || now - seen < quietMs) continue;
    if (best < 0 || seen < bestSeen) {
      best = p;
      bestSeen = seen;
    }
  }
  return best < 0 ? undefined : snapshotAt(e, best);
}

/**
 * Up to `max` verified entries that have been quiet for `quietMs` at `now`, nearest buckets
 * first (the ones we name in replies about our own neighbourhood, where lookups end). Entries
 * that failed once are included: on a lossy path one lost datagram marks a live node failed
 * (and keeps it out of replies) until it answers again, and a departed one is removed at its
 * second failure.
 */
export function quietNodes(e: PackedEntries, now: number, quietMs: number, max: number): RoutingNode[] {
  const out: RoutingNode[] = [];
  // Nodes we still hand out first (a departed one among them is what lookups meet), then failed ones.
  for (let failed = 0; failed < 2; failed++) {
    for (let i = e.bucketCount - 1; i >= 0; i--) {
      for (let p = e.start(i); p < e.mainEnd(i); p++) {
        if (!e.isVerified(p) || (e.failures(p) > 0 ? 1 : 0) !== failed || now - e.lastSeen(p) < quietMs) continue;
        out.push(snapshotAt(e, p));
        if (out.length >= max) return out;
      }
    }
  }
  return out;
}
