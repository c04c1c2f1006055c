/**
 * A Chord node's routing state (Stoica et al. 2001): predecessor, successor list and finger
 * table on the 2^48 ring, in typed arrays. Finger i is the first node at or after
 * id + 2^i. Pure data: the node (`node.ts`) decides when to change it.
 */
import { ID_BITS, addPow2, cw, inHalfOpen, inOpen } from '../common/ring.js';
import type { ContactList } from '../common/contacts.js';

const NONE = -1;

export class ChordRouting {
  readonly id: number;
  readonly selfKey: number;
  readonly succIds: Float64Array;
  readonly succKeys: Float64Array;
  succCount = 0;
  predId = NONE;
  predKey = NONE;
  readonly fingerIds: Float64Array;
  readonly fingerKeys: Float64Array;

  constructor(id: number, selfKey: number, successors: number) {
    this.id = id;
    this.selfKey = selfKey;
    // One allocation, four views: each typed array's buffer costs bookkeeping per node.
    const buffer = new Float64Array(2 * ID_BITS + 2 * successors);
    this.fingerIds = buffer.subarray(0, ID_BITS);
    this.fingerKeys = buffer.subarray(ID_BITS, 2 * ID_BITS).fill(NONE);
    this.succIds = buffer.subarray(2 * ID_BITS, 2 * ID_BITS + successors);
    this.succKeys = buffer.subarray(2 * ID_BITS + successors);
  }

  get hasPred(): boolean {
    return this.predKey !== NONE;
  }

  /** The first successor's id, or this node's own id when it knows none (alone on the ring). */
  get succId(): number {
    return this.succCount > 0 ? this.succIds[0] : this.id;
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
    return this.succCount > 0 && inHalfOpen(key, this.id, this.succIds[this.succCount - 1]);
  }

  /** True when key is in (self, successor]: the successor is responsible. */
  successorOwns(key: number): boolean {
    return this.succCount > 0 && inHalfOpen(key, this.id, this.succIds[0]);
  }

  setPred(id: number, key: number): void {
    this.predId = key === NONE ? NONE : id;
    this.predKey = key;
  }

  /** Replaces the successor list with `first` followed by `rest` (self and duplicates skipped). */
  setSuccessors(firstId: number, firstKey: number, rest: ContactList | null): void {
    const cap = this.succIds.length;
    let n = 0;
    const push = (id: number, key: number): void => {
      if (n >= cap || key === this.selfKey || key < 0) return;
      for (let i = 0; i < n; i++) if (this.succKeys[i] === key) return;
      this.succIds[n] = id;
      this.succKeys[n++] = key;
    };
    push(firstId, firstKey);
    if (rest !== null) for (let i = 0; i < rest.ids.length; i++) push(rest.ids[i], rest.keys[i]);
    this.succCount = n;
    if (n > 0) this.connected = true;
  }

  /** Puts `id` first when it falls between this node and its successor. */
  considerSuccessor(id: number, key: number): boolean {
    if (key === this.selfKey || id === this.id) return false;
    if (this.succCount > 0 && !inOpen(id, this.id, this.succIds[0])) return false;
    const cap = this.succIds.length;
    let n = this.succCount;
    for (let i = 0; i < n; i++) {
      if (this.succKeys[i] === key) return false;
    }
    if (n === cap) n--;
    for (let i = n; i > 0; i--) {
      this.succIds[i] = this.succIds[i - 1];
      this.succKeys[i] = this.succKeys[i - 1];
    }
    this.succIds[0] = id;
    this.succKeys[0] = key;
    this.succCount = n + 1;
    this.connected = true;
    return true;
  }

  /** Forgets a contact everywhere (it failed or left). */
  remove(key: number): void {
    let n = 0;
    for (let i = 0; i < this.succCount; i++) {
      if (this.succKeys[i] === key) continue;
      this.succIds[n] = this.succIds[i];
      this.succKeys[n++] = this.succKeys[i];
    }
    this.succCount = n;
    if (this.predKey === key) this.setPred(NONE, NONE);
    const fk = this.fingerKeys;
    for (let i = 0; i < ID_BITS; i++) if (fk[i] === key) fk[i] = NONE;
  }

  /** Where finger i should point: id + 2^i. */
  fingerStart(i: number): number {
    return addPow2(this.id, i);
  }

  /** The lowest finger index not already covered by the first successor. */
  firstFinger(): number {
    if (this.succCount === 0) return 0;
    const d = cw(this.id, this.succIds[0]);
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
    const fi = this.fingerIds;
    const fk = this.fingerKeys;
    const start = this.fingerStart(i);
    const reach = cw(start, id);
    fi[i] = id;
    fk[i] = key;
    for (let j = i + 1; j < ID_BITS; j++) {
      if (cw(start, this.fingerStart(j)) > reach) break;
      fi[j] = id;
      fk[j] = key;
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
      if (best >= 0 && (this.fingerKeys[i] === NONE || bestD < cw(start, this.fingerIds[i]))) {
        this.fingerIds[i] = hints.ids[best];
        this.fingerKeys[i] = hints.keys[best];
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
    const consider = (id: number, k: number): void => {
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
    };
    for (let i = ID_BITS - 1; i >= 0; i--) {
      const k = this.fingerKeys[i];
      if (k !== NONE && (i === ID_BITS - 1 || this.fingerKeys[i + 1] !== k)) consider(this.fingerIds[i], k);
    }
    for (let i = 0; i < this.succCount; i++) consider(this.succIds[i], this.succKeys[i]);
    return outIds.length;
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
    for (let i = 0; i < ID_BITS; i++) add(this.fingerIds[i], this.fingerKeys[i]);
    for (let i = 0; i < this.succCount; i++) add(this.succIds[i], this.succKeys[i]);
    if (this.hasPred) add(this.predId, this.predKey);
    return { ids, keys };
  }

  /** Distinct contacts held: fingers, successors, predecessor. */
  entries(): number {
    return this.contacts().ids.length;
  }
}
