/**
 * A Chord node's routing state (Stoica et al. 2001): predecessor, successor list and finger
 * table on the 2^48 ring. Finger i is the first node at or after id + 2^i. Pure data: the
 * node (`node.ts`) decides when to change it.
 *
 * Memory: a simulation holds a million of these, so the state is one array of unboxed
 * doubles (finger ids, finger address keys, successor ids, successor address keys, in that
 * order) read through accessors. A plain double array lives on the JS heap next to the node
 * (a `Float64Array` this size would add an `ArrayBuffer`, its extension and a malloc'd block
 * elsewhere in memory, and four views of one buffer about 300 bytes of typed-array objects).
 */
import { ID_BITS, addPow2, cw, inHalfOpen, inOpen } from '../common/ring.js';
import type { ContactList } from '../common/contacts.js';

const NONE = -1;
const FINGER_KEYS = ID_BITS;
const SUCC_IDS = 2 * ID_BITS;

export class ChordRouting {
  readonly id: number;
  readonly selfKey: number;
  /** Successor list capacity r. */
  readonly successors: number;
  succCount = 0;
  predId = NONE;
  predKey = NONE;
  /** [fingerIds(48) | fingerKeys(48) | succIds(r) | succKeys(r)]. */
  private readonly s: number[];
  private readonly succKeysAt: number;

  constructor(id: number, selfKey: number, successors: number) {
    this.id = id;
    this.selfKey = selfKey;
    this.successors = successors;
    this.s = doubles(2 * ID_BITS + 2 * successors);
    this.s.fill(NONE, FINGER_KEYS, SUCC_IDS);
    this.succKeysAt = SUCC_IDS + successors;
  }

  /** The id of successor i (i < succCount). */
  succId(i: number): number {
    return this.s[SUCC_IDS + i];
  }

  /** The address key of successor i (i < succCount). */
  succKey(i: number): number {
    return this.s[this.succKeysAt + i];
  }

  /** The id finger i points at (meaningful when `fingerKey(i)` is not -1). */
  fingerId(i: number): number {
    return this.s[i];
  }

  /** The address key finger i points at, or -1 when unset. */
  fingerKey(i: number): number {
    return this.s[FINGER_KEYS + i];
  }

  /**
   * Writes the successor list to the first entries of `outIds`/`outKeys` and returns its
   * length; entries past it are left as they were (their length is not reset: V8 would drop
   * the arrays' storage and reallocate it on the next write).
   */
  copySuccessors(outIds: number[], outKeys: number[]): number {
    for (let i = 0; i < this.succCount; i++) {
      outIds[i] = this.succId(i);
      outKeys[i] = this.succKey(i);
    }
    return this.succCount;
  }

  /** A copy of the successor list. */
  successorList(): ContactList {
    const ids: number[] = [];
    const keys: number[] = [];
    for (let i = 0; i < this.succCount; i++) {
      ids.push(this.succId(i));
      keys.push(this.succKey(i));
    }
    return { ids, keys };
  }

  get hasPred(): boolean {
    return this.predKey !== NONE;
  }

  /** Set once the node has had a successor: from then on an empty list means it is cut off, not alone. */
  private connected = false;

  /** True when this node believes it is responsible for `key`: key in (pred, self]. */
  owns(key: number): boolean {
    if (key === this.id) return true;
    if (!this.hasPred) return this.succCount === 0 && !this.connected;
    return inHalfOpen(key, this.predId, this.id);
  }

  /**
   * True when key is in (self, last successor]: one of the successors is responsible, so a
   * lookup can end here even when the first successor has failed.
   */
  successorsCover(key: number): boolean {
    return this.succCount > 0 && inHalfOpen(key, this.id, this.succId(this.succCount - 1));
  }

  /** True when key is in (self, successor]: the successor is responsible. */
  successorOwns(key: number): boolean {
    return this.succCount > 0 && inHalfOpen(key, this.id, this.s[SUCC_IDS]);
  }

  setPred(id: number, key: number): void {
    this.predId = key === NONE ? NONE : id;
    this.predKey = key;
  }

  /** Replaces the successor list with `first` followed by `rest` (self and duplicates skipped). */
  setSuccessors(firstId: number, firstKey: number, rest: ContactList | null): void {
    this.succCount = 0;
    this.pushSuccessor(firstId, firstKey);
    if (rest !== null) for (let i = 0; i < rest.ids.length; i++) this.pushSuccessor(rest.ids[i], rest.keys[i]);
    if (this.succCount > 0) this.connected = true;
  }

  private pushSuccessor(id: number, key: number): void {
    const n = this.succCount;
    if (n >= this.successors || key === this.selfKey || key < 0) return;
    const s = this.s;
    const keys = this.succKeysAt;
    for (let i = 0; i < n; i++) if (s[keys + i] === key) return;
    s[SUCC_IDS + n] = id;
    s[keys + n] = key;
    this.succCount = n + 1;
  }

  /** Puts `id` first when it falls between this node and its successor. */
  considerSuccessor(id: number, key: number): boolean {
    if (key === this.selfKey || id === this.id) return false;
    if (this.succCount > 0 && !inOpen(id, this.id, this.s[SUCC_IDS])) return false;
    const s = this.s;
    const keys = this.succKeysAt;
    let n = this.succCount;
    for (let i = 0; i < n; i++) {
      if (s[keys + i] === key) return false;
    }
    if (n === this.successors) n--;
    for (let i = n; i > 0; i--) {
      s[SUCC_IDS + i] = s[SUCC_IDS + i - 1];
      s[keys + i] = s[keys + i - 1];
    }
    s[SUCC_IDS] = id;
    s[keys] = key;
    this.succCount = n + 1;
    this.connected = true;
    return true;
  }

  /** Forgets a contact everywhere (it failed or left). */
  remove(key: number): void {
    const s = this.s;
    const keys = this.succKeysAt;
    let n = 0;
    for (let i = 0; i < this.succCount; i++) {
      if (s[keys + i] === key) continue;
      s[SUCC_IDS + n] = s[SUCC_IDS + i];
      s[keys + n++] = s[keys + i];
    }
    this.succCount = n;
    if (this.predKey === key) this.setPred(NONE, NONE);
    for (let i = FINGER_KEYS; i < SUCC_IDS; i++) if (s[i] === key) s[i] = NONE;
  }

  /**
   * A neighbour left gracefully (LEAVING): it is forgotten; if it was the predecessor, its
   * predecessor `pred` takes its place; if it was the first successor, its successor list
   * `succ` does. True when the predecessor was replaced.
   */
  neighbourLeft(from: number, pred: { id: number; key: number } | null, succ: ContactList): boolean {
    const wasPred = this.predKey === from;
    const wasSucc = this.succCount > 0 && this.succKey(0) === from;
    this.remove(from);
    if (wasSucc && succ.ids.length > 0) this.setSuccessors(succ.ids[0], succ.keys[0], { ids: succ.ids.slice(1), keys: succ.keys.slice(1) });
    if (!wasPred || pred === null || pred.key === this.selfKey) return false;
    this.setPred(pred.id, pred.key);
    return true;
  }

  /** Where finger i should point: id + 2^i. */
  fingerStart(i: number): number {
    return addPow2(this.id, i);
  }

  /** The lowest finger index not already covered by the first successor. */
  firstFinger(): number {
    if (this.succCount === 0) return 0;
    const d = cw(this.id, this.s[SUCC_IDS]);
    // The smallest i with 2^i > d (log2 gives it, corrected at the edges).
    let i = d < 1 ? 0 : Math.floor(Math.log2(d)) + 1;
    while (i > 0 && 2 ** (i - 1) > d) i--;
    while (2 ** i <= d) i++;
    return Math.min(i, ID_BITS - 1);
  }

  /**
   * Sets finger i to `id`, and every higher finger whose start also falls in
   * [start_i, id] (it has no other node before `id` either).
   */
  setFinger(i: number, id: number, key: number): void {
    const s = this.s;
    const start = this.fingerStart(i);
    const reach = cw(start, id);
    s[i] = id;
    s[FINGER_KEYS + i] = key;
    for (let j = i + 1; j < ID_BITS; j++) {
      if (cw(start, this.fingerStart(j)) > reach) break;
      s[j] = id;
      s[FINGER_KEYS + j] = key;
    }
  }

  /** Fills fingers from hints (e.g. the successor's table): each takes the first hint at or after its start. */
  fingersFromHints(hints: ContactList): void {
    const n = hints.ids.length;
    if (n === 0) return;
    for (let i = this.firstFinger(); i < ID_BITS; i++) {
      const start = this.fingerStart(i);
      let best = -1;
      let bestD = Infinity;
      for (let h = 0; h < n; h++) {
        if (hints.keys[h] === this.selfKey) continue;
        const d = cw(start, hints.ids[h]);
        if (d < bestD) {
          bestD = d;
          best = h;
        }
      }
      const s = this.s;
      if (best >= 0 && (s[FINGER_KEYS + i] === NONE || bestD < cw(start, s[i]))) {
        s[i] = hints.ids[best];
        s[FINGER_KEYS + i] = hints.keys[best];
      }
    }
  }

  /**
   * Up to `max` known nodes strictly between this node and `key`, closest to the key first
   * (fingers and successors), into `out`. Returns how many.
   */
  closestPreceding(key: number, max: number, outIds: number[], outKeys: number[]): number {
    outIds.length = 0;
    outKeys.length = 0;
    const s = this.s;
    for (let i = ID_BITS - 1; i >= 0; i--) {
      const k = s[FINGER_KEYS + i];
      if (k !== NONE && (i === ID_BITS - 1 || s[FINGER_KEYS + i + 1] !== k)) this.consider(s[i], k, key, max, outIds, outKeys);
    }
    for (let i = 0; i < this.succCount; i++) this.consider(this.succId(i), this.succKey(i), key, max, outIds, outKeys);
    return outIds.length;
  }

  /** Inserts one contact into closestPreceding's sorted output (a method, not a closure: it runs per FIND). */
  private consider(id: number, k: number, key: number, max: number, outIds: number[], outKeys: number[]): void {
    if (k === NONE || !inOpen(id, this.id, key)) return;
    for (let j = 0; j < outKeys.length; j++) if (outKeys[j] === k) return;
    const d = cw(id, key);
    let at = outIds.length;
    while (at > 0 && cw(outIds[at - 1], key) > d) at--;
    if (at >= max) return;
    outIds.splice(at, 0, id);
    outKeys.splice(at, 0, k);
    if (outIds.length > max) {
      outIds.pop();
      outKeys.pop();
    }
  }

  /** Distinct fingers, successors and predecessor, as a contact list (e.g. hints for a joiner). */
  contacts(): ContactList {
    const ids: number[] = [];
    const keys: number[] = [];
    const add = (id: number, k: number): void => {
      if (k === NONE || keys.includes(k)) return;
      ids.push(id);
      keys.push(k);
    };
    for (let i = 0; i < ID_BITS; i++) add(this.fingerId(i), this.fingerKey(i));
    for (let i = 0; i < this.succCount; i++) add(this.succId(i), this.succKey(i));
    if (this.hasPred) add(this.predId, this.predKey);
    return { ids, keys };
  }

  /** Distinct contacts held: fingers, successors, predecessor. */
  entries(): number {
    return this.contacts().ids.length;
  }
}

/**
 * A zero-filled array of exactly `n` doubles stored unboxed (V8's double elements): created
 * at its final length, then given a non-integer value so its elements kind is double from
 * the start and never changes (only numbers are ever stored).
 */
function doubles(n: number): number[] {
  const a = new Array<number>(n).fill(0.5);
  return a.fill(0);
}
