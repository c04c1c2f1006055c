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
 * trusted), and an address that shows up with a new id is not added either.
 * Nodes we only heard about (named in a reply, never asked) enter a bucket that has room as
 * *unverified*, as libtorrent does: they seed our own lookups, but are never handed out in
 * replies until they answer us, they are the first to go when a verified node needs the
 * slot, and a single timeout removes them. Housekeeping pings a few of them at a time.
 * Optional libtorrent-style "extended" buckets hold 16x, 8x, 4x and 2x k nodes in the four
 * farthest buckets, which takes about two hops off a lookup for little memory.
 *
 * The entries are packed (./packed-entries.ts: 52 bytes each, bucket by bucket in one
 * buffer); what the table hands out (`get`, `nodes`, `closest`...) are new objects.
 */
import type { Address } from '../runtime/types.js';
import { ID_BITS, commonPrefixLength, type NodeId } from './node-id.js';
import { PackedContact, parseIPv4, type Contact, type Family } from './compact.js';
import { ENTRY_WORDS, EntryRecord, writeIdWords } from './entry-record.js';
import { MAX_FAILURES_COUNTED, PackedEntries } from './packed-entries.js';
import { RoutingNode } from './routing-node.js';
import { closestCompact, closestEntries } from './closest-entries.js';
import { allNodes, quietNodes, snapshotAt, stalestNode, unverifiedNodes } from './table-views.js';

export { RoutingNode };

export const QUESTIONABLE_AFTER_MS = 15 * 60_000;

export interface RoutingTableOptions {
  /** Bucket size (Kademlia's k). Default 8. */
  k?: number;
  /** Bigger far buckets (16k, 8k, 4k, 2k), as libtorrent's extended routing table. Default true. */
  extendedBuckets?: boolean;
  /** Replacement cache size per bucket. Default k. */
  replacements?: number;
  /** Timeouts in a row after which a node is bad and removed (at most 32767). Default 2. */
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

// Scratch space (the table is synchronous and never re-entered while using it).
/** Id words of the id being looked for. */
const WORDS = new Int32Array(5);
/** The entry being inserted, and one being moved. */
const STAGE = new EntryRecord();
const MOVING = new EntryRecord();

export class RoutingTable {
  readonly id: NodeId;
  readonly k: number;
  private readonly extended: boolean;
  private readonly replacementSize: number;
  private readonly maxFailures: number;
  private readonly accept?: (id: NodeId, address: Address) => boolean;
  private readonly prefer?: (id: NodeId, address: Address) => boolean;
  private readonly unverifiedCap: number;
  private readonly e: PackedEntries;
  /** Our id as five words, for the common prefix with a packed entry (numbers: a typed array costs ~250 bytes a table). */
  private readonly s0: number;
  private readonly s1: number;
  private readonly s2: number;
  private readonly s3: number;
  private readonly s4: number;
  private count = 0;

  constructor(id: NodeId, now: number, options: RoutingTableOptions = {}) {
    this.id = id;
    this.k = options.k ?? 8;
    this.extended = options.extendedBuckets ?? true;
    this.replacementSize = options.replacements ?? this.k;
    this.maxFailures = Math.min(options.maxFailures ?? 2, MAX_FAILURES_COUNTED); // the packed count saturates there
    this.accept = options.accept;
    this.prefer = options.prefer;
    this.unverifiedCap = options.unverifiedFill ?? this.k;
    this.e = new PackedEntries(now);
    writeIdWords(id, WORDS, 0);
    this.s0 = WORDS[0];
    this.s1 = WORDS[1];
    this.s2 = WORDS[2];
    this.s3 = WORDS[3];
    this.s4 = WORDS[4];
  }

  /** Nodes in the table (not counting replacement caches). */
  get size(): number {
    return this.count;
  }

  get bucketCount(): number {
    return this.e.bucketCount;
  }

  capacity(index: number): number {
    return this.extended && index < EXTENDED.length ? this.k * EXTENDED[index] : this.k;
  }

  bucketIndex(id: NodeId): number {
    const cpl = commonPrefixLength(this.id, id);
    const last = this.e.bucketCount - 1;
    return cpl < last ? cpl : last;
  }

  /** Position of the table entry with this id (in its bucket `index`), or -1. */
  private position(id: NodeId, index: number): number {
    writeIdWords(id, WORDS, 0);
    return this.e.findId(this.e.start(index), this.e.mainEnd(index), WORDS, 0);
  }

  get(id: NodeId): RoutingNode | undefined {
    const p = this.position(id, this.bucketIndex(id));
    return p < 0 ? undefined : snapshotAt(this.e, p);
  }

  /** A node answered one of our queries (it is reachable: BEP 5 "good"). Adds or refreshes it. */
  responded(id: NodeId, address: Address, now: number, rttMs = 0): AddResult {
    if (id === this.id) return 'rejected';
    const e = this.e;
    const index = this.bucketIndex(id);
    const existing = this.position(id, index);
    const v4 = parseIPv4(address.host);
    if (existing >= 0) {
      if (!e.isAt(existing, address, v4)) {
        if (e.isVerified(existing)) return 'rejected'; // an id that moved address
        this.removeEntry(index, existing); // a second-hand address that was wrong
        return this.responded(id, address, now, rttMs);
      }
      e.setLastResponse(existing, Math.floor(now));
      e.setFailures(existing, 0);
      if (rttMs > 0) {
        const rtt = e.rtt(existing);
        e.setRtt(existing, Math.round(rtt === 0 ? rttMs : rtt * 0.75 + rttMs * 0.25));
      }
      return 'updated';
    }
    const other = this.e.findAddress(address, v4);
    if (other >= 0) {
      if (e.isVerified(other)) return 'rejected'; // an address that changed its id
      this.removeEntry(e.bucketOf(other), other); // an unverified entry with a wrong id
    }
    if (this.accept !== undefined && !this.accept(id, address)) return 'rejected';
    STAGE.set(e, id, v4 >= 0 ? v4 | 0 : 0, v4 >= 0 ? null : address.host, address.port, Math.floor(now), Math.round(rttMs));
    return this.insert(id, index, now);
  }

  /**
   * A node named in a reply (not verified). Added as unverified when its bucket has room
   * (splitting if needed); never replaces anything. Returns true when added.
   */
  heardAbout(c: Contact, now: number): boolean {
    const id = c.id;
    if (id === this.id || this.unverifiedCap === 0) return false;
    const e = this.e;
    let index = this.bucketIndex(id);
    const last = e.bucketCount - 1;
    // Most contacts named in replies fall in a full far bucket: rejected before any search.
    if (index !== last && e.size(index) >= Math.min(this.capacity(index), this.unverifiedCap)) return false;
    if (this.position(id, index) >= 0) return false;
    if (this.accept !== undefined && !this.accept(id, c.address)) return false;
    for (;;) {
      if (e.size(index) < Math.min(this.capacity(index), this.unverifiedCap)) {
        if (c instanceof PackedContact) STAGE.set(e, id, c.ip, c.host6, c.port, -1, 0);
        else {
          const v4 = parseIPv4(c.address.host);
          STAGE.set(e, id, v4 >= 0 ? v4 | 0 : 0, v4 >= 0 ? null : c.address.host, c.address.port, -1, 0);
        }
        e.insertMain(index, STAGE);
        this.count++;
        return true;
      }
      const end = e.bucketCount - 1;
      if (index !== end || end >= ID_BITS - 1) return false;
      this.split(now);
      index = this.bucketIndex(id);
    }
  }

  /** Up to `max` unverified nodes, nearest buckets first, for housekeeping pings (./table-views.ts says why). */
  unverified(max: number): RoutingNode[] {
    return unverifiedNodes(this.e, max);
  }

  /** The node at an address, if any. */
  atAddress(address: Address): RoutingNode | undefined {
    const p = this.e.findAddress(address, parseIPv4(address.host));
    return p < 0 ? undefined : snapshotAt(this.e, p);
  }

  /** A node sent us a query. Returns true when it is in the table (and is refreshed). */
  queried(id: NodeId, address: Address, now: number): boolean {
    const p = this.position(id, this.bucketIndex(id));
    if (p < 0 || !this.e.isAt(p, address, parseIPv4(address.host))) return false;
    this.e.setLastQuery(p, Math.floor(now));
    return true;
  }

  /** Verified nodes in the bucket `id` falls in. */
  verifiedNear(id: NodeId): number {
    return this.e.verified(this.bucketIndex(id));
  }

  /** Whether a new node with this id would find room (or a free slot after a split) right now. */
  hasRoomFor(id: NodeId): boolean {
    if (id === this.id) return false;
    const e = this.e;
    const index = this.bucketIndex(id);
    if (e.size(index) < this.capacity(index)) return true;
    if (index === e.bucketCount - 1 && index < ID_BITS - 1) return true;
    for (let p = e.start(index), end = e.mainEnd(index); p < end; p++) if (e.failures(p) > 0 || !e.isVerified(p)) return true;
    return false;
  }

  /** A query to this node timed out. Returns true when the node was removed as bad. */
  failed(id: NodeId, address: Address): boolean {
    const index = this.bucketIndex(id);
    const p = this.position(id, index);
    const e = this.e;
    if (p < 0 || !e.isAt(p, address, parseIPv4(address.host))) return false;
    const failures = e.failures(p) + 1;
    e.setFailures(p, failures);
    if (failures < this.maxFailures && e.isVerified(p)) return false;
    this.removeEntry(index, p);
    return true;
  }

  /** Removes a node (by id, from the table or its bucket's replacement cache); the freshest replacement takes its place. */
  remove(node: Contact): void {
    const index = this.bucketIndex(node.id);
    const p = this.position(node.id, index);
    if (p >= 0) {
      this.removeEntry(index, p);
      return;
    }
    const r = this.e.findId(this.e.mainEnd(index), this.e.end(index), WORDS, 0);
    if (r >= 0) this.e.removeAt(index, r);
  }

  private removeEntry(index: number, p: number): void {
    this.e.removeAt(index, p);
    this.count--;
    this.refill(index);
  }

  /** Inserts the staged entry (`STAGE`, whose id is `id`) into bucket `index` or its replacement cache. */
  private insert(id: NodeId, index: number, now: number): AddResult {
    const e = this.e;
    for (;;) {
      const cap = this.capacity(index);
      if (e.size(index) < cap) {
        e.insertMain(index, STAGE);
        e.setLastChanged(index, now);
        this.count++;
        return 'added';
      }
      const last = e.bucketCount - 1;
      if (index === last && last < ID_BITS - 1) {
        this.split(now);
        index = this.bucketIndex(id);
        continue;
      }
      // Full: replace the worst node that has failed, or (prefer policy) one that is not preferred.
      const start = e.start(index);
      const mainEnd = e.mainEnd(index);
      let worst = -1;
      let worstFailures = 0;
      for (let p = start; p < mainEnd; p++) {
        if (!e.isVerified(p)) {
          worst = p; // unverified entries go first
          break;
        }
        const f = e.failures(p);
        if (f > 0 && (worst < 0 || f > worstFailures)) {
          worst = p;
          worstFailures = f;
        }
      }
      if (worst < 0 && this.prefer !== undefined && this.prefer(id, addressOf(STAGE))) {
        for (let p = start; p < mainEnd; p++) {
          if (!this.prefer(e.id(p), e.address(p))) {
            worst = p;
            break;
          }
        }
      }
      if (worst >= 0) {
        e.replaceAt(index, worst, STAGE);
        e.setLastChanged(index, now);
        return 'replaced';
      }
      for (let p = mainEnd, end = e.end(index); p < end; p++) {
        if (e.idIs(p, STAGE.i32, 0) || e.sameAddress(p, STAGE)) {
          e.removeAt(index, p);
          break;
        }
      }
      if (this.replacementSize === 0) return 'rejected';
      if (e.replacements(index) >= this.replacementSize) e.removeAt(index, e.mainEnd(index));
      e.insertReplacement(index, STAGE);
      return 'cached';
    }
  }

  /** Common prefix length of our id and the id words at `w[o]`. */
  private cpl(w: Int32Array, o: number): number {
    let x = this.s0 ^ w[o];
    if (x !== 0) return Math.clz32(x);
    if ((x = this.s1 ^ w[o + 1]) !== 0) return 32 + Math.clz32(x);
    if ((x = this.s2 ^ w[o + 2]) !== 0) return 64 + Math.clz32(x);
    if ((x = this.s3 ^ w[o + 3]) !== 0) return 96 + Math.clz32(x);
    if ((x = this.s4 ^ w[o + 4]) !== 0) return 128 + Math.clz32(x);
    return ID_BITS;
  }

  private split(now: number): void {
    const e = this.e;
    const last = e.bucketCount - 1;
    const near = last + 1;
    const old = e.takeLastBucket();
    e.addBucket(now);
    const total = old.count;
    const load = (k: number): EntryRecord => {
      for (let i = 0; i < ENTRY_WORDS; i++) MOVING.i32[i] = old.entries[ENTRY_WORDS * k + i];
      MOVING.host6 = old.host6?.[k] ?? null;
      return MOVING;
    };
    const nearCap = this.capacity(near);
    for (let k = 0; k < old.main; k++) {
      if (this.cpl(old.entries, ENTRY_WORDS * k) <= last) e.insertMain(last, load(k));
      else if (e.size(near) < nearCap) e.insertMain(near, load(k));
      else {
        this.count--;
        e.insertReplacement(near, load(k));
      }
    }
    for (let k = old.main; k < total; k++) e.insertReplacement(this.cpl(old.entries, ENTRY_WORDS * k) > last ? near : last, load(k));
    while (e.replacements(near) > this.replacementSize) e.removeAt(near, e.mainEnd(near));
    // Both halves may have room now: refill them from their replacement caches.
    this.refill(last);
    this.refill(near);
  }

  /** Moves the freshest replacements into bucket `index` while it has room (skipping ones already held). */
  private refill(index: number): void {
    const e = this.e;
    while (e.size(index) < this.capacity(index) && e.replacements(index) > 0) {
      const p = e.end(index) - 1;
      e.read(p, MOVING);
      e.removeAt(index, p);
      if (e.findId(e.start(index), e.mainEnd(index), MOVING.i32, 0) >= 0 || this.e.holdsAddress(MOVING)) continue;
      e.insertMain(index, MOVING);
      this.count++;
    }
  }

  /**
   * Up to `count` nodes closest to `target`, closest first; `live` keeps only nodes that
   * answered us and have not failed since (./closest-entries.ts).
   */
  closest(target: NodeId, count: number, live = false): PackedContact[] {
    return closestEntries(this.e, this.bucketIndex(target), target, count, live);
  }

  /** `closest`, as compact node info of `family` (for a reply's `nodes` / `nodes6`; no contact objects). */
  closestCompact(target: NodeId, count: number, live: boolean, family: Family): Uint8Array {
    return closestCompact(this.e, this.bucketIndex(target), target, count, live, family);
  }


  /** Every node, bucket by bucket (far buckets first), as snapshots. */
  *nodes(): IterableIterator<RoutingNode> {
    yield* allNodes(this.e);
  }

  /** Index and last change of every bucket, for refresh decisions. */
  bucketInfo(): { index: number; size: number; capacity: number; lastChanged: number }[] {
    const out = [];
    for (let index = 0; index < this.e.bucketCount; index++) {
      out.push({ index, size: this.e.size(index), capacity: this.capacity(index), lastChanged: this.e.lastChanged(index) });
    }
    return out;
  }

  /** When bucket `index` last changed or was refreshed (clock ms). */
  lastChanged(index: number): number {
    return this.e.lastChanged(index);
  }

  /** Marks a bucket as refreshed (a lookup into its range ran). */
  touchBucket(index: number, now: number): void {
    if (index >= 0 && index < this.e.bucketCount) this.e.setLastChanged(index, now);
  }

  /** The least recently seen node of a bucket that is questionable at `now`, if any. */
  stalest(index: number, now: number): RoutingNode | undefined {
    return stalestNode(this.e, index, now, QUESTIONABLE_AFTER_MS);
  }

  /** Up to `max` verified nodes quiet for `quietMs` (failed ones included), nearest buckets first (./table-views.ts). */
  quiet(now: number, quietMs: number, max: number): RoutingNode[] {
    return quietNodes(this.e, now, quietMs, max);
  }

  /** Number of nodes in bucket `index` and its replacement cache. */
  bucketSize(index: number): { nodes: number; replacements: number } {
    if (!(index >= 0 && index < this.e.bucketCount)) return { nodes: 0, replacements: 0 };
    return { nodes: this.e.size(index), replacements: this.e.replacements(index) };
  }
}

/** The address of a staged entry. */
function addressOf(r: EntryRecord): Address {
  return new PackedContact('', r.i32[5], r.host6, r.i32[6] & 0xffff).address;
}
