/**
 * A super-peer's leaves: who they are, when they were last heard, their capacity and
 * uptime (for elections), and the keyword-hash index each uploaded.
 */
export interface LeafEntry {
  key: number;
  heardAt: number;
  capacity: number;
  /** Virtual time the leaf's session started (now - reported uptime). */
  since: number;
  index: Uint32Array;
}

export class LeafTable {
  readonly max: number;
  readonly leaves: LeafEntry[] = [];

  constructor(max: number) {
    this.max = max;
  }

  get size(): number {
    return this.leaves.length;
  }

  get full(): boolean {
    return this.leaves.length >= this.max;
  }

  find(key: number): LeafEntry | undefined {
    for (const l of this.leaves) if (l.key === key) return l;
    return undefined;
  }

  /** Adds or updates a leaf; false when full. */
  upsert(key: number, now: number, capacity: number, uptimeMs: number, index: Uint32Array | null): boolean {
    const e = this.find(key);
    if (e !== undefined) {
      e.heardAt = now;
      e.capacity = capacity;
      e.since = now - uptimeMs;
      if (index !== null) e.index = index;
      return true;
    }
    if (this.full) return false;
    this.leaves.push({ key, heardAt: now, capacity, since: now - uptimeMs, index: index ?? new Uint32Array(0) });
    return true;
  }

  remove(key: number): void {
    const i = this.leaves.findIndex((l) => l.key === key);
    if (i >= 0) this.leaves.splice(i, 1);
  }

  /** Drops leaves silent for longer than `deadAfterMs`. */
  expire(now: number, deadAfterMs: number): void {
    for (let i = this.leaves.length - 1; i >= 0; i--) if (now - this.leaves[i].heardAt > deadAfterMs) this.leaves.splice(i, 1);
  }

  /** Leaves whose index holds `hash`. */
  matching(hash: number, exclude: number): number[] {
    const out: number[] = [];
    for (const l of this.leaves) if (l.key !== exclude && l.index.includes(hash)) out.push(l.key);
    return out;
  }

  /** The leaf most fit to be promoted: eligible capacity, then the longest uptime. */
  bestCandidate(minCapacity: number, minUptimeMs: number, now: number): LeafEntry | undefined {
    let best: LeafEntry | undefined;
    for (const l of this.leaves) {
      if (l.capacity < minCapacity || now - l.since < minUptimeMs) continue;
      if (best === undefined || l.capacity * (now - l.since) > best.capacity * (now - best.since)) best = l;
    }
    return best;
  }

  indexEntries(): number {
    let n = 0;
    for (const l of this.leaves) n += l.index.length;
    return n;
  }
}
