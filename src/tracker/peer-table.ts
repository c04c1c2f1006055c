/**
 * One torrent's peers of one address family, packed for the tracker's hot path:
 *
 * - `entries` starts with the compact peers (6 bytes for IPv4, 18 for IPv6) back to back, so
 *   a reply is a few slices copied out of it; leechers sit at positions [0, leechers), seeds
 *   after them, so a seed is sent only leechers by slicing the first part. After the
 *   `capacity` peers come their last-announce times (4 bytes each, whole seconds on the
 *   core's clock): one typed array per table keeps a small swarm small.
 * - `slots`: an open-addressing index (linear probing) from an entry to its position + 1; a
 *   peer is identified by its address and port, as a tracker lists it. The keyed hash covers
 *   only the entry's source (the IPv4 address, or the /64 of an IPv6 one), so every entry of
 *   one source sits in the probe run from that hash: `countSource` reads them without a scan.
 *   Tables of up to 8 peers have no index and are scanned.
 *
 * About 6 (or 18) + 4 + 8 bytes per peer, no object per peer and nothing for the GC to trace.
 */

/** Below this capacity a table is scanned instead of indexed. */
const SCAN_CAPACITY = 8;
const MIN_CAPACITY = 2;
/** Bytes of an entry that name its source: an IPv4 address, or an IPv6 /64. */
const SOURCE_BYTES = { 6: 4, 18: 8 } as const;

export class PeerTable {
  readonly width: 6 | 18;
  private readonly seed: number;
  entries: Uint8Array;
  private slots: Int32Array | undefined;
  private capacity: number;
  count = 0;
  leechers = 0;

  constructor(width: 6 | 18, seed: number) {
    this.width = width;
    this.seed = seed;
    this.capacity = MIN_CAPACITY;
    this.entries = new Uint8Array(MIN_CAPACITY * (width + 4));
  }

  get seeders(): number {
    return this.count - this.leechers;
  }

  /** Position of the entry equal to `src[off .. off + width)`, or -1. */
  find(src: Uint8Array, off: number): number {
    const slots = this.slots;
    if (slots === undefined) {
      for (let p = 0; p < this.count; p++) if (this.equalAt(p, src, off)) return p;
      return -1;
    }
    const mask = slots.length - 1;
    for (let i = this.hash(src, off) & mask; ; i = (i + 1) & mask) {
      const s = slots[i];
      if (s === 0) return -1;
      if (this.equalAt(s - 1, src, off)) return s - 1;
    }
  }

  /**
   * Entries from the source (IPv4 address, IPv6 /64) of the entry at `src[off..]`, counted up
   * to `max`. Indexed tables walk the probe run from the source's hash, which holds every
   * entry of that source (linear probing keeps an entry between its home slot and the next
   * empty one), so this costs the run, not the table.
   */
  countSource(src: Uint8Array, off: number, max: number): number {
    const n = SOURCE_BYTES[this.width];
    let count = 0;
    const slots = this.slots;
    if (slots === undefined) {
      for (let p = 0; p < this.count && count < max; p++) if (this.sameSource(p, src, off, n)) count++;
      return count;
    }
    const mask = slots.length - 1;
    for (let i = this.hash(src, off) & mask; slots[i] !== 0 && count < max; i = (i + 1) & mask) {
      if (this.sameSource(slots[i] - 1, src, off, n)) count++;
    }
    return count;
  }

  private sameSource(p: number, src: Uint8Array, off: number, n: number): boolean {
    const e = this.entries;
    const base = p * this.width;
    for (let i = 0; i < n; i++) if (e[base + i] !== src[off + i]) return false;
    return true;
  }

  /** Adds a peer that `find` did not find; returns its position. */
  insert(src: Uint8Array, off: number, seed: boolean, now: number): number {
    if (this.count === this.capacity) this.resize(this.capacity * 2);
    let p = this.count++;
    this.entries.set(src.subarray(off, off + this.width), p * this.width);
    this.setSeen(p, now);
    this.index(p);
    if (!seed) {
      // Leechers first: the new one takes the first seed's place, which moves to the end.
      if (p !== this.leechers) {
        this.swap(p, this.leechers);
        p = this.leechers;
      }
      this.leechers++;
    }
    return p;
  }

  /** Records an announce from the peer at `p`; returns its position (a change of role moves it). */
  touch(p: number, seed: boolean, now: number): number {
    this.setSeen(p, now);
    const isSeed = p >= this.leechers;
    if (seed === isSeed) return p;
    if (seed) {
      const last = --this.leechers;
      this.swap(p, last);
      return last;
    }
    const first = this.leechers++;
    this.swap(p, first);
    return first;
  }

  /** Removes the peer at `p`; returns whether it was a seed. */
  removeAt(p: number): boolean {
    const seed = p >= this.leechers;
    this.unindex(p);
    if (!seed) {
      // Fill the hole with the last leecher, then that hole with the last seed.
      const lastLeecher = --this.leechers;
      this.moveTo(lastLeecher, p);
      p = lastLeecher;
    }
    this.moveTo(--this.count, p);
    return seed;
  }

  /**
   * Drops peers not seen since `cutoff`; returns [removed, of which seeds]. `onRemove` sees
   * each dropped entry (its bytes at `entries[off .. off + width)`) before it goes.
   */
  expire(cutoff: number, onRemove?: (entries: Uint8Array, off: number) => void): [number, number] {
    let removed = 0;
    let seeds = 0;
    for (let p = this.count - 1; p >= 0; p--) {
      if (this.seenAt(p) >= cutoff) continue;
      removed++;
      onRemove?.(this.entries, p * this.width);
      if (this.removeAt(p)) seeds++;
      // removeAt may move an unchecked entry into p only from above p (already checked).
    }
    if (this.capacity > MIN_CAPACITY && this.count * 4 <= this.capacity) this.resize(Math.max(MIN_CAPACITY, this.capacity >> 1));
    return [removed, seeds];
  }

  /**
   * Copies up to `want` entries from positions [0, end) into `out` at `o`, starting at a
   * position `start` in that range and wrapping, skipping position `skip`. Returns bytes written.
   */
  copyOut(end: number, start: number, skip: number, want: number, out: Uint8Array, o: number): number {
    const w = this.width;
    const o0 = o;
    let left = want;
    // Two runs, [start, end) then [0, start), each split around `skip`.
    const runs = [start, end, 0, start];
    for (let r = 0; r < 4 && left > 0; r += 2) {
      const a = runs[r];
      const b = runs[r + 1];
      if (skip >= a && skip < b) {
        o = this.copyRun(a, skip, left, out, o);
        left = want - (o - o0) / w;
        o = this.copyRun(skip + 1, b, left, out, o);
      } else o = this.copyRun(a, b, left, out, o);
      left = want - (o - o0) / w;
    }
    return o - o0;
  }

  private copyRun(a: number, b: number, max: number, out: Uint8Array, o: number): number {
    const n = Math.min(b - a, max);
    if (n <= 0) return o;
    const w = this.width;
    const e = this.entries;
    // Short runs byte by byte: a subarray would move a small on-heap array off the heap.
    if (n * w <= 64) for (let i = a * w, end = (a + n) * w; i < end; i++) out[o++] = e[i];
    else {
      out.set(e.subarray(a * w, (a + n) * w), o);
      o += n * w;
    }
    return o;
  }

  /** When the peer at `p` last announced (seconds). */
  seenAt(p: number): number {
    const e = this.entries;
    const i = this.capacity * this.width + 4 * p;
    return ((e[i] << 24) | (e[i + 1] << 16) | (e[i + 2] << 8) | e[i + 3]) >>> 0;
  }

  private setSeen(p: number, t: number): void {
    const e = this.entries;
    const i = this.capacity * this.width + 4 * p;
    e[i] = t >>> 24;
    e[i + 1] = t >>> 16;
    e[i + 2] = t >>> 8;
    e[i + 3] = t;
  }

  private equalAt(p: number, src: Uint8Array, off: number): boolean {
    const e = this.entries;
    const base = p * this.width;
    for (let i = 0; i < this.width; i++) if (e[base + i] !== src[off + i]) return false;
    return true;
  }

  /** A keyed hash of the entry's source only (see the class comment). */
  private hash(src: Uint8Array, off: number): number {
    let h = this.seed;
    for (let i = 0, n = SOURCE_BYTES[this.width]; i < n; i += 2) {
      h = Math.imul(h ^ ((src[off + i] << 8) | src[off + i + 1]), 0x9e3779b1);
      h ^= h >>> 15;
    }
    h = Math.imul(h ^ (h >>> 13), 0x85ebca6b);
    return (h ^ (h >>> 16)) >>> 0;
  }

  /** The slot holding position `p`. */
  private slotOf(p: number): number {
    const slots = this.slots as Int32Array;
    const mask = slots.length - 1;
    let i = this.hash(this.entries, p * this.width) & mask;
    while (slots[i] !== p + 1) i = (i + 1) & mask;
    return i;
  }

  private index(p: number): void {
    const slots = this.slots;
    if (slots === undefined) return;
    const mask = slots.length - 1;
    let i = this.hash(this.entries, p * this.width) & mask;
    while (slots[i] !== 0) i = (i + 1) & mask;
    slots[i] = p + 1;
  }

  /** Removes position `p` from the index (backward-shift deletion keeps probe runs intact). */
  private unindex(p: number): void {
    const slots = this.slots;
    if (slots === undefined) return;
    const mask = slots.length - 1;
    let hole = this.slotOf(p);
    for (let j = (hole + 1) & mask; slots[j] !== 0; j = (j + 1) & mask) {
      const home = this.hash(this.entries, (slots[j] - 1) * this.width) & mask;
      // Move j into the hole unless its home lies cyclically in (hole, j].
      if (((j - home) & mask) >= ((j - hole) & mask)) {
        slots[hole] = slots[j];
        hole = j;
      }
    }
    slots[hole] = 0;
  }

  /** Moves the (indexed) entry at `from` to the unindexed position `to`. */
  private moveTo(from: number, to: number): void {
    if (from === to) return;
    if (this.slots !== undefined) this.slots[this.slotOf(from)] = to + 1;
    const w = this.width;
    this.entries.copyWithin(to * w, from * w, from * w + w);
    this.setSeen(to, this.seenAt(from));
  }

  private swap(a: number, b: number): void {
    if (a === b) return;
    if (this.slots !== undefined) {
      const sa = this.slotOf(a);
      const sb = this.slotOf(b);
      this.slots[sa] = b + 1;
      this.slots[sb] = a + 1;
    }
    const e = this.entries;
    const w = this.width;
    for (let i = 0; i < w; i++) {
      const t = e[a * w + i];
      e[a * w + i] = e[b * w + i];
      e[b * w + i] = t;
    }
    const t = this.seenAt(a);
    this.setSeen(a, this.seenAt(b));
    this.setSeen(b, t);
  }

  private resize(capacity: number): void {
    const w = this.width;
    const old = this.entries;
    const oldSeen = this.capacity * w;
    const entries = new Uint8Array(capacity * (w + 4));
    for (let i = 0; i < this.count * w; i++) entries[i] = old[i];
    for (let i = 0; i < this.count * 4; i++) entries[capacity * w + i] = old[oldSeen + i];
    this.entries = entries;
    this.capacity = capacity;
    if (capacity <= SCAN_CAPACITY) {
      this.slots = undefined;
      return;
    }
    this.slots = new Int32Array(capacity * 2);
    for (let p = 0; p < this.count; p++) this.index(p);
  }
}
