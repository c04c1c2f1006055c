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
 * trusted), and an address that shows up with a new id is not added either. A small
 * counting filter over the entries' addresses (a few hundred bytes) answers "surely not
 * here" for most addresses; only the rest scan the entries, which are scattered in memory
 * (a map of addresses cost more than the entries themselves).
 * Nodes we only heard about (named in a reply, never asked) enter a bucket that has room as
 * *unverified*, as libtorrent does: they seed our own lookups, but are never handed out in
 * replies until they answer us, they are the first to go when a verified node needs the
 * slot, and a single timeout removes them. Housekeeping pings a few of them at a time.
 * Optional libtorrent-style "extended" buckets hold 16x, 8x, 4x and 2x k nodes in the four
 * farthest buckets, which takes about two hops off a lookup for little memory.
 */
import type { Address } from '../runtime/types.js';
import { ID_BITS, commonPrefixLength, idPrefix, type NodeId } from './node-id.js';
import { parseIPv4, type Contact } from './compact.js';
import { Bucket } from './bucket.js';
import { RoutingNode, sameEntryAddress } from './routing-node.js';

export { RoutingNode };

export const QUESTIONABLE_AFTER_MS = 15 * 60_000;

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
  /** Heard-about (unverified) nodes only fill a bucket up to this many entries. Default k. */
  unverifiedFill?: number;
  /** Rank for `prefer` policies: a full bucket swaps out a node `prefer` rejects for one it accepts. */
  prefer?: (id: NodeId, address: Address) => boolean;
}

export type AddResult = 'added' | 'updated' | 'replaced' | 'cached' | 'rejected';

const EXTENDED = [16, 8, 4, 2];
const ADDRESS_FILTER_SLOTS = 512;

/** The address filter slot of an IPv4 address (`ip` signed 32-bit) or IPv6 host, and port. */
function addressSlot(ip: number, host6: string | null, port: number): number {
  let h = Math.imul(ip ^ (port << 16), 0x9e3779b1);
  if (host6 !== null) for (let i = 0; i < host6.length; i++) h = Math.imul(h ^ host6.charCodeAt(i), 0x01000193);
  return (h >>> 23) & (ADDRESS_FILTER_SLOTS - 1);
}

export class RoutingTable {
  readonly id: NodeId;
  readonly k: number;
  private readonly extended: boolean;
  private readonly replacementSize: number;
  private readonly maxFailures: number;
  private readonly accept?: (id: NodeId, address: Address) => boolean;
  private readonly prefer?: (id: NodeId, address: Address) => boolean;
  private readonly buckets: Bucket[];
  private readonly unverifiedCap: number;
  private count = 0;
  /** Counting filter: entries per address hash (saturates at 255, and then never goes down). */
  private readonly addressCounts = new Uint8Array(ADDRESS_FILTER_SLOTS);

  constructor(id: NodeId, now: number, options: RoutingTableOptions = {}) {
    this.id = id;
    this.k = options.k ?? 8;
    this.extended = options.extendedBuckets ?? true;
    this.replacementSize = options.replacements ?? this.k;
    this.maxFailures = options.maxFailures ?? 2;
    this.accept = options.accept;
    this.prefer = options.prefer;
    this.unverifiedCap = options.unverifiedFill ?? this.k;
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
    return this.buckets[this.bucketIndex(id)].find(id);
  }

  /** A node answered one of our queries (it is reachable: BEP 5 "good"). Adds or refreshes it. */
  responded(id: NodeId, address: Address, now: number, rttMs = 0): AddResult {
    if (id === this.id) return 'rejected';
    const index = this.bucketIndex(id);
    const existing = this.buckets[index].find(id);
    const v4 = parseIPv4(address.host);
    if (existing !== undefined) {
      if (!existing.isAt(address, v4)) {
        if (existing.verified) return 'rejected'; // an id that moved address
        this.remove(existing); // a second-hand address that was wrong
        return this.responded(id, address, now, rttMs);
      }
      if (!existing.verified) this.buckets[index].verified++;
      existing.lastResponse = Math.floor(now);
      existing.failures = 0;
      if (rttMs > 0) existing.rtt = Math.round(existing.rtt === 0 ? rttMs : existing.rtt * 0.75 + rttMs * 0.25);
      return 'updated';
    }
    const other = this.find(address, v4);
    if (other !== undefined) {
      if (other.verified) return 'rejected'; // an address that changed its id
      this.remove(other); // an unverified entry with a wrong id
    }
    if (this.accept !== undefined && !this.accept(id, address)) return 'rejected';
    const node = RoutingNode.at(id, address, now);
    node.rtt = Math.round(rttMs);
    return this.insert(node, index, now);
  }

  /**
   * A node named in a reply (not verified). Added as unverified when its bucket has room
   * (splitting if needed); never replaces anything. Returns true when added.
   */
  heardAbout(c: Contact, now: number): boolean {
    const id = c.id;
    if (id === this.id || this.unverifiedCap === 0) return false;
    let index = this.bucketIndex(id);
    const last = this.buckets.length - 1;
    // Most contacts named in replies fall in a full far bucket: rejected before any search.
    if (index !== last && this.buckets[index].size >= Math.min(this.capacity(index), this.unverifiedCap)) return false;
    if (this.buckets[index].find(id) !== undefined) return false;
    if (this.accept !== undefined && !this.accept(id, c.address)) return false;
    for (;;) {
      const b = this.buckets[index];
      if (b.size < Math.min(this.capacity(index), this.unverifiedCap)) {
        const node = RoutingNode.of(c, now);
        node.lastResponse = -1;
        b.add(node);
        this.entered(node);
        this.count++;
        return true;
      }
      const end = this.buckets.length - 1;
      if (index !== end || end >= ID_BITS - 1) return false;
      this.split(now);
      index = this.bucketIndex(id);
    }
  }

  /**
   * Up to `max` unverified nodes, nearest buckets first (for housekeeping pings). Nearest
   * first because replies name verified nodes only: a node whose nearest neighbours hold it
   * unverified is never named in any reply, so a lookup of a key it is closest to misses it
   * (farthest-first left 3% of lookups at 1,000 nodes ending one node short of the key).
   */
  unverified(max: number): RoutingNode[] {
    const out: RoutingNode[] = [];
    for (let i = this.buckets.length - 1; i >= 0; i--) {
      for (const n of this.buckets[i].nodes) {
        if (n.verified || n.failures > 0) continue;
        out.push(n);
        if (out.length >= max) return out;
      }
    }
    return out;
  }

  /** The node at an address, if any. */
  atAddress(address: Address): RoutingNode | undefined {
    return this.find(address, parseIPv4(address.host));
  }

  private find(address: Address, v4: number): RoutingNode | undefined {
    const slot = v4 >= 0 ? addressSlot(v4 | 0, null, address.port) : addressSlot(0, address.host, address.port);
    if (this.addressCounts[slot] === 0) return undefined;
    const buckets = this.buckets;
    for (let j = 0; j < buckets.length; j++) {
      const nodes = buckets[j].nodes;
      for (let i = 0; i < nodes.length; i++) if (nodes[i].isAt(address, v4)) return nodes[i];
    }
    return undefined;
  }

  private holds(n: RoutingNode): boolean {
    if (this.addressCounts[addressSlot(n.ip, n.host6, n.port)] === 0) return false;
    for (const b of this.buckets) for (const m of b.nodes) if (sameEntryAddress(m, n)) return true;
    return false;
  }

  /** A node sent us a query. Returns true when it is in the table (and is refreshed). */
  queried(id: NodeId, address: Address, now: number): boolean {
    const n = this.buckets[this.bucketIndex(id)].find(id);
    if (n === undefined || !n.isAt(address, parseIPv4(address.host))) return false;
    n.lastQuery = Math.floor(now);
    return true;
  }

  /** Verified nodes in the bucket `id` falls in. */
  verifiedNear(id: NodeId): number {
    return this.buckets[this.bucketIndex(id)].verified;
  }

  /** Whether a new node with this id would find room (or a free slot after a split) right now. */
  hasRoomFor(id: NodeId): boolean {
    if (id === this.id) return false;
    const index = this.bucketIndex(id);
    const b = this.buckets[index];
    if (b.nodes.length < this.capacity(index)) return true;
    if (index === this.buckets.length - 1 && index < ID_BITS - 1) return true;
    return b.nodes.some((n) => n.failures > 0 || !n.verified);
  }

  /** A query to this node timed out. Returns true when the node was removed as bad. */
  failed(id: NodeId, address: Address): boolean {
    const n = this.buckets[this.bucketIndex(id)].find(id);
    if (n === undefined || !n.isAt(address, parseIPv4(address.host))) return false;
    n.failures++;
    if (n.failures < this.maxFailures && n.verified) return false;
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
    b.removeAt(i);
    this.left(node);
    this.count--;
    this.refill(b, index);
  }

  private insert(node: RoutingNode, index: number, now: number): AddResult {
    for (;;) {
      const b = this.buckets[index];
      const cap = this.capacity(index);
      if (b.nodes.length < cap) {
        b.add(node);
        this.entered(node);
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
      for (const n of b.nodes) {
        if (!n.verified) {
          worst = n; // unverified entries go first
          break;
        }
        if (n.failures > 0 && (worst === undefined || n.failures > worst.failures)) worst = n;
      }
      if (worst === undefined && this.prefer !== undefined && this.prefer(node.id, node.address)) {
        worst = b.nodes.find((n) => !this.prefer?.(n.id, n.address));
      }
      if (worst !== undefined) {
        b.setAt(b.nodes.indexOf(worst), node);
        this.left(worst);
        this.entered(node);
        b.lastChanged = now;
        return 'replaced';
      }
      const reps = b.replacements;
      for (let i = 0; i < reps.length; i++) {
        if (reps[i].id === node.id || sameEntryAddress(reps[i], node)) {
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
    old.retain((n) => {
      if (commonPrefixLength(this.id, n.id) <= last) return true;
      if (near.size < this.capacity(last + 1)) near.add(n);
      else {
        this.left(n);
        this.count--;
        near.replacements.push(n);
      }
      return false;
    });
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

  private entered(n: RoutingNode): void {
    const slot = addressSlot(n.ip, n.host6, n.port);
    if (this.addressCounts[slot] < 255) this.addressCounts[slot]++;
  }

  private left(n: RoutingNode): void {
    const slot = addressSlot(n.ip, n.host6, n.port);
    if (this.addressCounts[slot] < 255) this.addressCounts[slot]--;
  }

  private refill(b: Bucket, index: number): void {
    while (b.nodes.length < this.capacity(index) && b.replacements.length > 0) {
      const n = b.replacements.pop() as RoutingNode;
      if (b.find(n.id) !== undefined || this.holds(n)) continue;
      b.add(n);
      this.entered(n);
      this.count++;
    }
  }

  /**
   * Up to `count` nodes closest to `target`, closest first. Only the buckets that can hold
   * them are looked at: the target's bucket and those nearer our id, then farther ones in
   * order. Each part is a bounded insertion (most nodes cost one comparison), not a sort.
   */
  closest(target: NodeId, count: number, filter?: (n: RoutingNode) => boolean): RoutingNode[] {
    const buckets = this.buckets;
    const start = this.bucketIndex(target);
    const out: RoutingNode[] = [];
    // Every node of the target's bucket is closer than any node of the buckets nearer our
    // id, which are closer than the farther buckets, each farther than the one before.
    const tp = idPrefix(target);
    buckets[start].closestInto(out, target, tp, count, filter);
    if (out.length >= count) return out;
    const part: RoutingNode[] = [];
    for (let i = start + 1; i < buckets.length; i++) buckets[i].closestInto(part, target, tp, count - out.length, filter);
    for (let i = start - 1; ; i--) {
      for (let j = 0; j < part.length; j++) out.push(part[j]);
      if (i < 0 || out.length >= count) return out;
      part.length = 0;
      buckets[i].closestInto(part, target, tp, count - out.length, filter);
    }
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
      if (!n.verified || now - n.lastSeen() < QUESTIONABLE_AFTER_MS) continue;
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
