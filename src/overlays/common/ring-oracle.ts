/**
 * Ground truth on a 2^48 ring: the live nodes sorted by id, and which one is responsible for
 * a key under a given rule (Chord: the key's successor; Pastry: the numerically closest).
 * Adds and removals are cheap; the order is rebuilt lazily before the next question.
 */
import type { Address } from '../../runtime/types.js';
import type { OverlayNode, QueryTarget, ResponsibilityOracle } from '../types.js';
import { closerTo } from './ring.js';

export interface RingMember extends OverlayNode {
  readonly id: number;
}

export type RingRule = 'successor' | 'closest';

export class RingOracle<N extends RingMember> implements ResponsibilityOracle<N> {
  /** Members in id order (valid up to `count`), and their ids. */
  private sorted: N[] = [];
  private ids = new Float64Array(16);
  private count = 0;
  /** Adds not merged yet: merged one by one when few, by a full sort when many. */
  private pending: N[] = [];
  private readonly rule: RingRule;

  constructor(rule: RingRule) {
    this.rule = rule;
  }

  add(node: N): void {
    this.pending.push(node);
  }

  remove(node: N): void {
    const p = this.pending.indexOf(node);
    if (p >= 0) {
      this.pending.splice(p, 1);
      return;
    }
    const i = this.lowerBound(node.id);
    for (let j = i; j < this.count && this.ids[j] === node.id; j++) {
      if (this.sorted[j] === node) {
        this.sorted.splice(j, 1);
        this.ids.copyWithin(j, j + 1, this.count);
        this.count--;
        return;
      }
    }
  }

  get size(): number {
    return this.count + this.pending.length;
  }

  responsible(target: QueryTarget): Address | null {
    const n = this.responsibleFor(target.key48);
    return n === null ? null : n.address;
  }

  /** The live node responsible for a 48-bit key. */
  responsibleFor(key: number): N | null {
    this.merge();
    const n = this.count;
    if (n === 0) return null;
    const lo = this.lowerBound(key);
    const succ = lo === n ? 0 : lo; // the key's successor: first id >= key, wrapping
    if (this.rule === 'successor') return this.sorted[succ];
    const pred = (succ + n - 1) % n;
    return closerTo(key, this.ids[pred], this.ids[succ]) ? this.sorted[pred] : this.sorted[succ];
  }

  private lowerBound(key: number): number {
    const ids = this.ids;
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ids[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private merge(): void {
    const add = this.pending;
    if (add.length === 0) return;
    this.pending = [];
    if (this.count + add.length > this.ids.length) {
      const grown = new Float64Array(Math.max(2 * this.ids.length, this.count + add.length));
      grown.set(this.ids.subarray(0, this.count));
      this.ids = grown;
    }
    if (add.length > 64) {
      this.sorted = this.sorted.concat(add).sort((a, b) => a.id - b.id);
      this.count = this.sorted.length;
      for (let i = 0; i < this.count; i++) this.ids[i] = this.sorted[i].id;
      return;
    }
    for (const m of add) {
      const i = this.lowerBound(m.id);
      this.ids.copyWithin(i + 1, i, this.count);
      this.ids[i] = m.id;
      this.sorted.splice(i, 0, m);
      this.count++;
    }
  }
}
