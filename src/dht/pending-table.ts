/**
 * A node's pending queries by transaction id: an open-addressing table (linear probing,
 * deletion by backward shift) in one plain array, instead of a `Map`. A node's pending
 * queries come and go all the time, and a `Map` reallocates its hash table as it grows,
 * shrinks and fills with deleted entries; each new table hangs off a long-lived map, so it
 * outlived the young generation (about a tenth of what survived a scavenge in a
 * 10,000-node simulation). This table only grows (to twice the most queries pending at
 * once) and keeps its array when empty.
 */

/** What the table holds: anything with a 16-bit key. */
export interface Keyed {
  readonly key: number;
}

const NO_SLOTS: null[] = [];
/** Slots at the first insert. */
const FIRST_SLOTS = 8;

export class PendingTable<T extends Keyed> {
  private slots: (T | null)[] = NO_SLOTS;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: number): T | undefined {
    const slots = this.slots;
    const mask = slots.length - 1;
    if (this.count === 0) return undefined;
    for (let i = key & mask; ; i = (i + 1) & mask) {
      const s = slots[i];
      if (s === null) return undefined;
      if (s.key === key) return s;
    }
  }

  has(key: number): boolean {
    return this.get(key) !== undefined;
  }

  /** Adds `x`; its key must not be in the table. */
  add(x: T): void {
    if (2 * (this.count + 1) > this.slots.length) this.grow();
    this.place(x);
    this.count++;
  }

  /** Removes the entry with `key`; true if there was one. */
  delete(key: number): boolean {
    const slots = this.slots;
    const mask = slots.length - 1;
    if (this.count === 0) return false;
    let i = key & mask;
    for (;;) {
      const s = slots[i];
      if (s === null) return false;
      if (s.key === key) break;
      i = (i + 1) & mask;
    }
    // Backward shift: move later entries of the probe run into the hole when their home
    // slot is not between the hole and where they sit, so no lookup crosses an empty slot.
    for (let j = (i + 1) & mask; ; j = (j + 1) & mask) {
      const s = slots[j];
      if (s === null) break;
      const home = s.key & mask;
      const stays = i <= j ? home > i && home <= j : home > i || home <= j;
      if (!stays) {
        slots[i] = s;
        i = j;
      }
    }
    slots[i] = null;
    this.count--;
    return true;
  }

  /** Every entry, in no particular order. */
  values(): T[] {
    const out: T[] = [];
    for (const s of this.slots) if (s !== null) out.push(s);
    return out;
  }

  clear(): void {
    this.slots.fill(null);
    this.count = 0;
  }

  private place(x: T): void {
    const slots = this.slots;
    const mask = slots.length - 1;
    let i = x.key & mask;
    while (slots[i] !== null) i = (i + 1) & mask;
    slots[i] = x;
  }

  private grow(): void {
    const old = this.slots;
    this.slots = new Array<T | null>(old.length === 0 ? FIRST_SLOTS : 2 * old.length).fill(null);
    for (const s of old) if (s !== null) this.place(s);
  }
}
