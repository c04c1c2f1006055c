/**
 * Pastry's leaf set: the `half` nodes numerically closest on each side of this node
 * (clockwise and counter-clockwise on the 2^48 ring), kept sorted by distance. In a network
 * smaller than the leaf set, the same node may appear on both sides.
 */
import { closerTo, cw } from '../common/ring.js';
import type { ContactList } from '../common/contacts.js';

class Side {
  /** Views into one array the leaf set owns (ids then keys for each side). */
  readonly ids: Float64Array;
  readonly keys: Float64Array;
  count = 0;
  constructor(buffer: Float64Array, offset: number, half: number) {
    this.ids = buffer.subarray(offset, offset + half);
    this.keys = buffer.subarray(offset + half, offset + 2 * half);
  }
  indexOf(key: number): number {
    for (let i = 0; i < this.count; i++) if (this.keys[i] === key) return i;
    return -1;
  }
  /** Inserts by distance `d(id)`; false when not among the closest `half`. */
  insert(id: number, key: number, d: (x: number) => number): boolean {
    if (this.indexOf(key) >= 0) return false;
    const cap = this.ids.length;
    const dist = d(id);
    let at = this.count;
    while (at > 0 && d(this.ids[at - 1]) > dist) at--;
    if (at >= cap) return false;
    const end = this.count < cap ? this.count : cap - 1;
    for (let i = end; i > at; i--) {
      this.ids[i] = this.ids[i - 1];
      this.keys[i] = this.keys[i - 1];
    }
    this.ids[at] = id;
    this.keys[at] = key;
    if (this.count < cap) this.count++;
    return true;
  }
  removeAt(i: number): void {
    for (let j = i; j < this.count - 1; j++) {
      this.ids[j] = this.ids[j + 1];
      this.keys[j] = this.keys[j + 1];
    }
    this.count--;
  }
}

export class LeafSet {
  readonly id: number;
  readonly half: number;
  /** Clockwise (larger ids), nearest first. */
  readonly right: Side;
  /** Counter-clockwise (smaller ids), nearest first. */
  readonly left: Side;
  private readonly dRight = (x: number): number => cw(this.id, x);
  private readonly dLeft = (x: number): number => cw(x, this.id);

  constructor(id: number, half: number) {
    this.id = id;
    this.half = half;
    const buffer = new Float64Array(4 * half);
    this.right = new Side(buffer, 0, half);
    this.left = new Side(buffer, 2 * half, half);
  }

  get size(): number {
    return this.right.count + this.left.count;
  }

  /** Offers a node; true when it entered either side. */
  consider(id: number, key: number, selfKey: number): boolean {
    if (key === selfKey || id === this.id) return false;
    const a = this.right.insert(id, key, this.dRight);
    const b = this.left.insert(id, key, this.dLeft);
    return a || b;
  }

  remove(key: number): boolean {
    let hit = false;
    for (const s of [this.right, this.left]) {
      const i = s.indexOf(key);
      if (i >= 0) {
        s.removeAt(i);
        hit = true;
      }
    }
    return hit;
  }

  has(key: number): boolean {
    return this.right.indexOf(key) >= 0 || this.left.indexOf(key) >= 0;
  }

  /** True when `key` lies within the leaf set's range (or the set holds every node there is). */
  covers(key: number): boolean {
    const r = this.right;
    const l = this.left;
    if (r.count < this.half && l.count < this.half) return true;
    if (r.count === 0 || l.count === 0) return false;
    const lo = l.ids[l.count - 1];
    const hi = r.ids[r.count - 1];
    return cw(lo, key) <= cw(lo, hi);
  }

  /** The closest node to `key` among this node and its leaves: its address key, or `selfKey`. */
  closest(key: number, selfKey: number): { id: number; key: number } {
    let bestId = this.id;
    let bestKey = selfKey;
    for (const s of [this.right, this.left]) {
      for (let i = 0; i < s.count; i++) {
        if (closerTo(key, s.ids[i], bestId)) {
          bestId = s.ids[i];
          bestKey = s.keys[i];
        }
      }
    }
    return { id: bestId, key: bestKey };
  }

  /** Every leaf once, as a contact list. */
  contacts(): ContactList {
    const ids: number[] = [];
    const keys: number[] = [];
    for (const s of [this.right, this.left]) {
      for (let i = 0; i < s.count; i++) {
        if (keys.includes(s.keys[i])) continue;
        ids.push(s.ids[i]);
        keys.push(s.keys[i]);
      }
    }
    return { ids, keys };
  }
}
