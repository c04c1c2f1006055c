/**
 * A Pastry node's routing state (Rowstron & Druschel 2001) and its routing rule:
 * 1. a key within the leaf set's range goes to the numerically closest leaf (or is
 *    delivered here when this node is the closest);
 * 2. otherwise to the routing-table entry that shares one more digit with the key;
 * 3. otherwise (rare) to any known node that shares as long a prefix and is closer.
 */
import { closerTo, sharedPrefix } from '../common/ring.js';
import type { ContactList } from '../common/contacts.js';
import { RecentFailures } from '../common/recent-failures.js';
import type { Clock } from '../../runtime/types.js';
import { LeafSet } from './leaf-set.js';
import { Neighbourhood } from './neighbourhood.js';
import { RoutingTable } from './routing-table.js';

export interface Hop {
  id: number;
  key: number;
}

export class PastryState {
  readonly id: number;
  readonly selfKey: number;
  readonly leaves: LeafSet;
  readonly table: RoutingTable;
  readonly near: Neighbourhood;
  /** Nodes that failed lately: not taken back from others' stale lists for a minute. */
  readonly failures = new RecentFailures(16, 60_000);
  private readonly clock: Clock;

  constructor(clock: Clock, id: number, selfKey: number, b: number, leafHalf: number, neighbourhood: number) {
    this.clock = clock;
    this.id = id;
    this.selfKey = selfKey;
    this.leaves = new LeafSet(id, leafHalf);
    this.table = new RoutingTable(id, b);
    this.near = new Neighbourhood(neighbourhood);
  }

  /** Offers a node (rtt NaN when unknown); returns the routing table's verdict. */
  consider(id: number, key: number, rtt: number): ReturnType<RoutingTable['consider']> {
    if (key === this.selfKey || key < 0) return 'self';
    if (this.failures.has(key, this.clock.now())) return 'kept';
    this.leaves.consider(id, key, this.selfKey);
    this.near.consider(id, key, rtt);
    return this.table.consider(id, key, rtt);
  }

  /** Offers a list of nodes of unknown RTT (ones already in the leaf set are skipped quickly). */
  considerAll(list: ContactList): void {
    const leaves = this.leaves;
    for (let i = 0; i < list.ids.length; i++) {
      const k = list.keys[i];
      if (!leaves.has(k)) this.consider(list.ids[i], k, NaN);
    }
  }

  /** Forgets a node; returns the routing-table slot it held, if any (to repair). */
  remove(id: number, key: number): { slot: [number, number] | null; leaf: boolean } {
    this.failures.add(key, this.clock.now());
    const leaf = this.leaves.remove(key);
    this.near.remove(key);
    return { slot: this.table.remove(id, key), leaf };
  }

  /** The next hop towards `key`, or null when this node should deliver. `avoid`: a key not to route to. */
  route(key: number, avoid = -1): Hop | null {
    const leaves = this.leaves;
    if (leaves.covers(key)) {
      const c = leaves.closest(key, this.selfKey);
      if (c.key === this.selfKey || c.key === avoid) return c.key === avoid ? this.bestOther(key, avoid) : null;
      return c;
    }
    const t = this.table;
    const row = sharedPrefix(this.id, key, t.b);
    if (row < t.rowCount) {
      const col = Math.floor(key / 2 ** (48 - t.b * (row + 1))) % t.cols;
      const k = t.keyAt(row, col);
      if (k >= 0 && k !== avoid) return { id: t.idAt(row, col), key: k };
    }
    return this.bestOther(key, avoid);
  }

  /** Rule 3: any known node at least as long a prefix match and numerically closer than us. */
  private bestOther(key: number, avoid: number): Hop | null {
    const row = sharedPrefix(this.id, key, this.table.b);
    let bestId = this.id;
    let bestKey = -1;
    const offer = (id: number, k: number): void => {
      if (k === avoid || k === this.selfKey) return;
      if (sharedPrefix(id, key, this.table.b) >= row && closerTo(key, id, bestId)) {
        bestId = id;
        bestKey = k;
      }
    };
    for (const s of [this.leaves.right, this.leaves.left]) for (let i = 0; i < s.count; i++) offer(s.ids[i], s.keys[i]);
    this.table.forEach(offer);
    for (let i = 0; i < this.near.count; i++) offer(this.near.ids[i], this.near.keys[i]);
    return bestKey < 0 ? null : { id: bestId, key: bestKey };
  }

  /** Distinct contacts across leaf set, routing table and neighbourhood set. */
  entries(): number {
    const seen = new Set<number>();
    for (const s of [this.leaves.right, this.leaves.left]) for (let i = 0; i < s.count; i++) seen.add(s.keys[i]);
    this.table.forEach((_, k) => seen.add(k));
    for (let i = 0; i < this.near.count; i++) seen.add(this.near.keys[i]);
    return seen.size;
  }

  /** Leaf set, table and neighbourhood as one list (e.g. to announce a join to). */
  contacts(): ContactList {
    const out = this.leaves.contacts();
    this.table.forEach((id, k) => {
      if (!out.keys.includes(k)) {
        out.ids.push(id);
        out.keys.push(k);
      }
    });
    return out;
  }
}
