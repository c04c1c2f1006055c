/**
 * The Kademlia routing table (BEP 5): buckets of up to k nodes, split around our own id.
 * Bucket i holds the nodes whose id shares exactly i leading bits with ours; the last
 * bucket holds everything closer and is the only one that splits.
 *
 * Node states: *good* (answered us in the last 15 minutes, or answered once and queried us
 * since), *questionable* (quiet for 15 minutes) and *bad* (failed `maxFailures` queries in a
 * row; removed). A full bucket replaces a node that has failed, else keeps the newcomer in
 * its replacement cache and asks the owner to ping its stalest questionable node.
 *
 * Defence: an id seen at one address is not accepted from another (ids that move are not
 * trusted), and an address that shows up with a new id is not added either (found by a scan
 * of the table, done only when a new id appears: no per-address map to keep in memory).
 * Optional libtorrent-style "extended" buckets hold 16x, 8x, 4x and 2x k nodes in the four
 * farthest buckets, which takes about two hops off a lookup for little memory.
 */
import type { Address } from '../runtime/types.js';
import type { Contact } from './compact.js';
import { ID_BITS, commonPrefixLength, compareDistance, idPrefix, type NodeId } from './node-id.js';

export const QUESTIONABLE_AFTER_MS = 15 * 60_000;

export class RoutingNode implements Contact {
  readonly id: NodeId;
  readonly address: Address;
  /** Last time it answered one of our queries (whole clock ms; integers stay unboxed). */
  lastResponse: number;
  /** Last time it queried us (whole clock ms), or -1. */
  lastQuery = -1;
  /** Queries in a row that timed out. */
  failures = 0;
  /** Smoothed round-trip time, whole ms (0 when unknown). */
  rtt = 0;
  /** `idPrefix(id)`, for fast distance comparisons. */
  readonly prefix: number;
  constructor(id: NodeId, address: Address, now: number) {
    this.id = id;
    this.prefix = idPrefix(id);
    this.address = address;
    this.lastResponse = Math.floor(now);
  }
  /** Last time we heard from it in a way that counts (BEP 5's "good"). */
  lastSeen(): number {
    return this.lastQuery > this.lastResponse ? this.lastQuery : this.lastResponse;
  }
}

class Bucket {
  nodes: RoutingNode[] = [];
  replacements: RoutingNode[] = [];
  lastChanged: number;
  constructor(now: number) {
    this.lastChanged = now;
  }
}

export interface RoutingTableOptions {
  /** Bucket size (Kademlia's k). Default 8. */
  k?: number;
  /** Bigger far buckets (16k, 8k, 4k, 2k), as libtorrent's extended routing table. Default true. */
  extendedBuckets?: boolean;
  /** Replacement cache size per bucket. Default k. */
  replacements?: number;
  /** Timeouts in a row after which a node is bad and removed. Default 2. */
  maxFailures?: number;
  /** Accept a node into the table (e.g. BEP 42 `require` mode). Default: all. */
  accept?: (id: NodeId, address: Address) => boolean;
  /** Rank for `prefer` policies: a full bucket swaps out a node `prefer` rejects for one it accepts. */
  prefer?: (id: NodeId, address: Address) => boolean;
}

export type AddResult = 'added' | 'updated' | 'replaced' | 'cached' | 'rejected';

const EXTENDED = [16, 8, 4, 2];

export class RoutingTable {
  readonly id: NodeId;
  readonly k: number;
  private readonly extended: boolean;
  private readonly replacementSize: number;
  private readonly maxFailures: number;
  private readonly accept?: (id: NodeId, address: Address) => boolean;
  private readonly prefer?: (id: NodeId, address: Address) => boolean;
  private readonly buckets: Bucket[];
  private count = 0;

  constructor(id: NodeId, now: number, options: RoutingTableOptions = {}) {
    this.id = id;
    this.k = options.k ?? 8;
    this.extended = options.extendedBuckets ?? true;
    this.replacementSize = options.replacements ?? this.k;
    this.maxFailures = options.maxFailures ?? 2;
    this.accept = options.accept;
    this.prefer = options.prefer;
    this.buckets = [new Bucket(now)];
  }

  /** Nodes in the table (not counting replacement caches). */
  get size(): number {
    return this.count;
  }

  get bucketCount(): number {
    return this.buckets.length;
  }

  capacity(index: number): number {
    return this.extended && index < EXTENDED.length ? this.k * EXTENDED[index] : this.k;
  }

  bucketIndex(id: NodeId): number {
    const cpl = commonPrefixLength(this.id, id);
    const last = this.buckets.length - 1;
    return cpl < last ? cpl : last;
  }

  get(id: NodeId): RoutingNode | undefined {
    return findIn(this.buckets[this.bucketIndex(id)].nodes, id);
  }

  /** A node answered one of our queries (it is reachable: BEP 5 "good"). Adds or refreshes it. */
  responded(id: NodeId, address: Address, now: number, rttMs = 0): AddResult {
    if (id === this.id) return 'rejected';
    const index = this.bucketIndex(id);
    const existing = findIn(this.buckets[index].nodes, id);
    if (existing !== undefined) {
      if (!sameAddress(existing.address, address)) return 'rejected'; // an id that moved address
      existing.lastResponse = Math.floor(now);
      existing.failures = 0;
      if (rttMs > 0) existing.rtt = Math.round(existing.rtt === 0 ? rttMs : existing.rtt * 0.75 + rttMs * 0.25);
      return 'updated';
    }
    if (this.atAddress(address) !== undefined) return 'rejected'; // an address that changed its id
    if (this.accept !== undefined && !this.accept(id, address)) return 'rejected';
    const node = new RoutingNode(id, address, now);
    node.rtt = Math.round(rttMs);
    return this.insert(node, index, now);
  }

  /** The node at an address, if any (a scan: only needed when a new id shows up). */
  atAddress(address: Address): RoutingNode | undefined {
    for (const b of this.buckets) {
      const nodes = b.nodes;
      for (let i = 0; i < nodes.length; i++) if (sameAddress(nodes[i].address, address)) return nodes[i];
    }
    return undefined;
  }

  /** A node sent us a query. Returns true when it is in the table (and is refreshed). */
  queried(id: NodeId, address: Address, now: number): boolean {
    const n = findIn(this.buckets[this.bucketIndex(id)].nodes, id);
    if (n === undefined || !sameAddress(n.address, address)) return false;
    n.lastQuery = Math.floor(now);
    return true;
  }

  /** Whether a new node with this id would find room (or a free slot after a split) right now. */
  hasRoomFor(id: NodeId): boolean {
    if (id === this.id) return false;
    const index = this.bucketIndex(id);
    const b = this.buckets[index];
    if (b.nodes.length < this.capacity(index)) return true;
    if (index === this.buckets.length - 1 && index < ID_BITS - 1) return true;
    return b.nodes.some((n) => n.failures > 0);
  }

  /** A query to this node timed out. Returns true when the node was removed as bad. */
  failed(id: NodeId, address: Address): boolean {
    const n = findIn(this.buckets[this.bucketIndex(id)].nodes, id);
    if (n === undefined || !sameAddress(n.address, address)) return false;
    n.failures++;
    if (n.failures < this.maxFailures) return false;
    this.remove(n);
    return true;
  }

  /** Removes a node; the freshest replacement takes its place. */
  remove(node: RoutingNode): void {
    const index = this.bucketIndex(node.id);
    const b = this.buckets[index];
    const i = b.nodes.indexOf(node);
    if (i < 0) {
      const r = b.replacements.indexOf(node);
      if (r >= 0) b.replacements.splice(r, 1);
      return;
    }
    b.nodes.splice(i, 1);
    this.count--;
    this.refill(b, index);
  }

  private insert(node: RoutingNode, index: number, now: number): AddResult {
    for (;;) {
      const b = this.buckets[index];
      const cap = this.capacity(index);
      if (b.nodes.length < cap) {
        b.nodes.push(node);
        b.lastChanged = now;
        this.count++;
        return 'added';
      }
      const last = this.buckets.length - 1;
      if (index === last && last < ID_BITS - 1) {
        this.split(now);
        index = this.bucketIndex(node.id);
        continue;
      }
      // Full: replace the worst node that has failed, or (prefer policy) one that is not preferred.
      let worst: RoutingNode | undefined;
      for (const n of b.nodes) if (n.failures > 0 && (worst === undefined || n.failures > worst.failures)) worst = n;
      if (worst === undefined && this.prefer !== undefined && this.prefer(node.id, node.address)) {
        worst = b.nodes.find((n) => !this.prefer?.(n.id, n.address));
      }
      if (worst !== undefined) {
        b.nodes[b.nodes.indexOf(worst)] = node;
        b.lastChanged = now;
        return 'replaced';
      }
      const reps = b.replacements;
      for (let i = 0; i < reps.length; i++) {
        if (reps[i].id === node.id || sameAddress(reps[i].address, node.address)) {
          reps.splice(i, 1);
          break;
        }
      }
      if (this.replacementSize === 0) return 'rejected';
      if (reps.length >= this.replacementSize) reps.shift();
      reps.push(node);
      return 'cached';
    }
  }

  private split(now: number): void {
    const last = this.buckets.length - 1;
    const old = this.buckets[last];
    const near = new Bucket(now);
    this.buckets.push(near);
    const keep: RoutingNode[] = [];
    for (const n of old.nodes) {
      if (commonPrefixLength(this.id, n.id) > last) {
        if (near.nodes.length < this.capacity(last + 1)) near.nodes.push(n);
        else {
          this.count--;
          near.replacements.push(n);
        }
      } else keep.push(n);
    }
    old.nodes = keep;
    const oldReps: RoutingNode[] = [];
    for (const n of old.replacements) {
      if (commonPrefixLength(this.id, n.id) > last) near.replacements.push(n);
      else oldReps.push(n);
    }
    old.replacements = oldReps;
    while (near.replacements.length > this.replacementSize) near.replacements.shift();
    // Both halves may have room now: refill them from their replacement caches.
    this.refill(old, last);
    this.refill(near, last + 1);
  }

  private refill(b: Bucket, index: number): void {
    while (b.nodes.length < this.capacity(index) && b.replacements.length > 0) {
      const n = b.replacements.pop() as RoutingNode;
      if (findIn(b.nodes, n.id) !== undefined || this.atAddress(n.address) !== undefined) continue;
      b.nodes.push(n);
      this.count++;
    }
  }

  /**
   * Up to `count` nodes closest to `target`, closest first. Only the buckets that can hold
   * them are looked at: the target's bucket and those nearer our id, then farther ones in order.
   */
  closest(target: NodeId, count: number, filter?: (n: RoutingNode) => boolean): RoutingNode[] {
    const buckets = this.buckets;
    const start = this.bucketIndex(target);
    const out: RoutingNode[] = [];
    // Every node of the target's bucket is closer than any node of the buckets nearer our
    // id, which are closer than the farther buckets, each farther than the one before.
    pushClosest(out, buckets[start].nodes, target, count, filter);
    if (out.length >= count) return out;
    const deeper: RoutingNode[] = [];
    for (let i = start + 1; i < buckets.length; i++) pushAll(deeper, buckets[i].nodes, filter);
    if (deeper.length > 0) appendSorted(out, deeper, target, count);
    for (let i = start - 1; i >= 0 && out.length < count; i--) {
      const b = buckets[i].nodes;
      if (b.length === 0) continue;
      const part: RoutingNode[] = [];
      pushAll(part, b, filter);
      appendSorted(out, part, target, count);
    }
    return out;
  }

  /** Every node, bucket by bucket (far buckets first). */
  *nodes(): IterableIterator<RoutingNode> {
    for (const b of this.buckets) yield* b.nodes;
  }

  /** Index and last change of every bucket, for refresh decisions. */
  bucketInfo(): { index: number; size: number; capacity: number; lastChanged: number }[] {
    return this.buckets.map((b, index) => ({ index, size: b.nodes.length, capacity: this.capacity(index), lastChanged: b.lastChanged }));
  }

  /** Marks a bucket as refreshed (a lookup into its range ran). */
  touchBucket(index: number, now: number): void {
    const b = this.buckets[index];
    if (b !== undefined) b.lastChanged = now;
  }

  /** The least recently seen node of a bucket that is questionable at `now`, if any. */
  stalest(index: number, now: number): RoutingNode | undefined {
    let best: RoutingNode | undefined;
    for (const n of this.buckets[index]?.nodes ?? []) {
      if (now - n.lastSeen() < QUESTIONABLE_AFTER_MS) continue;
      if (best === undefined || n.lastSeen() < best.lastSeen()) best = n;
    }
    return best;
  }

  /** Number of nodes in bucket `index` and its replacement cache. */
  bucketSize(index: number): { nodes: number; replacements: number } {
    const b = this.buckets[index];
    return { nodes: b?.nodes.length ?? 0, replacements: b?.replacements.length ?? 0 };
  }
}

/** Orders two nodes by distance to a target whose prefix is `tp`: prefixes first, full ids on a tie. */
function closer(a: RoutingNode, b: RoutingNode, target: NodeId, tp: number): number {
  const da = a.prefix ^ tp;
  const db = b.prefix ^ tp;
  return da !== db ? da - db : compareDistance(a.id, b.id, target);
}

/** Appends the `count - out.length` closest of `nodes` (sorted) to `out`. */
function appendSorted(out: RoutingNode[], nodes: RoutingNode[], target: NodeId, count: number): void {
  const tp = idPrefix(target);
  nodes.sort((a, b) => closer(a, b, target, tp));
  for (let i = 0; i < nodes.length && out.length < count; i++) out.push(nodes[i]);
}

/** The `count` closest of `nodes` into the empty `out`, sorted, by insertion (no full sort). */
function pushClosest(out: RoutingNode[], nodes: readonly RoutingNode[], target: NodeId, count: number, filter?: (n: RoutingNode) => boolean): void {
  const tp = idPrefix(target);
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i];
    if (filter !== undefined && !filter(n)) continue;
    if (out.length === count && closer(n, out[count - 1], target, tp) >= 0) continue;
    let j = out.length < count ? out.length : count - 1;
    while (j > 0 && closer(n, out[j - 1], target, tp) < 0) {
      out[j] = out[j - 1];
      j--;
    }
    out[j] = n;
  }
}

function findIn(nodes: readonly RoutingNode[], id: NodeId): RoutingNode | undefined {
  const p = idPrefix(id);
  for (let i = 0; i < nodes.length; i++) if (nodes[i].prefix === p && nodes[i].id === id) return nodes[i];
  return undefined;
}

function sameAddress(a: Address, b: Address): boolean {
  return a === b || (a.port === b.port && a.host === b.host);
}

function pushAll(out: RoutingNode[], nodes: readonly RoutingNode[], filter?: (n: RoutingNode) => boolean): void {
  if (filter === undefined) {
    for (let i = 0; i < nodes.length; i++) out.push(nodes[i]);
  } else {
    for (let i = 0; i < nodes.length; i++) if (filter(nodes[i])) out.push(nodes[i]);
  }
}
