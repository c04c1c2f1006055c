/**
 * Pastry's routing table: row r holds, for each digit value d, a node that shares the
 * first r digits (base 2^b) with this node and has d as digit r. Rows are allocated when
 * first used (a 10^5-node network fills about five of twelve). Each entry keeps a measured
 * round-trip time, NaN until measured; proximity neighbour selection prefers lower RTTs.
 */
import { ID_BITS, digit, sharedPrefix } from '../common/ring.js';
import type { ContactList } from '../common/contacts.js';
import type { Random } from '../../runtime/types.js';

const EMPTY = -1;

export class RoutingTable {
  readonly id: number;
  readonly b: number;
  readonly rowCount: number;
  readonly cols: number;
  /**
   * Rows 0..rowsAllocated-1 in one array (one typed array per node, not three per row: each
   * typed array costs a few hundred bytes of bookkeeping). Row r starts at r * 3 * cols:
   * ids, then address keys (EMPTY when free), then RTTs (NaN when unmeasured).
   */
  private data: Float64Array | null = null;
  private rowsAllocated = 0;
  size = 0;

  constructor(id: number, b: number) {
    if (ID_BITS % b !== 0 || b < 1 || b > 8) throw new RangeError(`Pastry digit bits b must divide ${ID_BITS} and be 1..8, got ${b}`);
    this.id = id;
    this.b = b;
    this.rowCount = ID_BITS / b;
    this.cols = 1 << b;
  }

  /** The slot a node belongs in: [row, col], or null for this node's own id. */
  slot(id: number): [number, number] | null {
    const row = sharedPrefix(this.id, id, this.b);
    return row >= this.rowCount ? null : [row, digit(id, row, this.b)];
  }

  keyAt(row: number, col: number): number {
    return row < this.rowsAllocated ? this.data![row * 3 * this.cols + this.cols + col] : EMPTY;
  }

  idAt(row: number, col: number): number {
    return this.data![row * 3 * this.cols + col];
  }

  rttAt(row: number, col: number): number {
    return row < this.rowsAllocated ? this.data![row * 3 * this.cols + 2 * this.cols + col] : NaN;
  }

  private ensureRow(row: number): Float64Array {
    if (row < this.rowsAllocated) return this.data!;
    const width = 3 * this.cols;
    const grown = new Float64Array((row + 1) * width);
    if (this.data !== null) grown.set(this.data);
    for (let r = this.rowsAllocated; r <= row; r++) {
      grown.fill(EMPTY, r * width + this.cols, r * width + 2 * this.cols);
      grown.fill(NaN, r * width + 2 * this.cols, (r + 1) * width);
    }
    this.data = grown;
    this.rowsAllocated = row + 1;
    return grown;
  }

  /**
   * Offers a node with a measured RTT (NaN when unknown). It takes an empty slot, or
   * replaces the occupant when its RTT is known and lower than the occupant's (or the
   * occupant's is unknown). Returns 'added', 'replaced', 'updated', or 'kept' (the slot holds
   * another node, which stays: the caller may probe the candidate's RTT).
   */
  consider(id: number, key: number, rtt: number): 'added' | 'replaced' | 'updated' | 'kept' | 'self' {
    const row = sharedPrefix(this.id, id, this.b);
    if (row >= this.rowCount) return 'self';
    const col = digit(id, row, this.b);
    const d = this.ensureRow(row);
    const base = row * 3 * this.cols;
    const k = base + this.cols + col;
    const r = base + 2 * this.cols + col;
    const current = d[k];
    if (current === EMPTY) {
      d[base + col] = id;
      d[k] = key;
      d[r] = rtt;
      this.size++;
      return 'added';
    }
    if (current === key) {
      if (!Number.isNaN(rtt)) d[r] = rtt;
      return 'updated';
    }
    if (!Number.isNaN(rtt) && (Number.isNaN(d[r]) || rtt < d[r])) {
      d[base + col] = id;
      d[k] = key;
      d[r] = rtt;
      return 'replaced';
    }
    return 'kept';
  }

  /** Records an RTT for a node if it is in its slot. */
  updateRtt(id: number, key: number, rtt: number): void {
    const row = sharedPrefix(this.id, id, this.b);
    if (row >= this.rowsAllocated) return;
    const col = digit(id, row, this.b);
    const base = row * 3 * this.cols;
    if (this.data![base + this.cols + col] === key) this.data![base + 2 * this.cols + col] = rtt;
  }

  /** Removes a node from its slot; returns its [row, col] or null. */
  remove(id: number, key: number): [number, number] | null {
    const s = this.slot(id);
    if (s === null || this.keyAt(s[0], s[1]) !== key) return null;
    const base = s[0] * 3 * this.cols;
    this.data![base + this.cols + s[1]] = EMPTY;
    this.data![base + 2 * this.cols + s[1]] = NaN;
    this.size--;
    return s;
  }

  /** Rows 0..maxRow, flattened to a contact list (at most `limit` entries). */
  rowsUpTo(maxRow: number, limit: number): ContactList {
    const ids: number[] = [];
    const keys: number[] = [];
    for (let r = 0; r <= maxRow && r < this.rowsAllocated; r++) {
      for (let c = 0; c < this.cols && ids.length < limit; c++) {
        const k = this.keyAt(r, c);
        if (k === EMPTY) continue;
        ids.push(this.idAt(r, c));
        keys.push(k);
      }
    }
    return { ids, keys };
  }

  row(r: number): ContactList {
    return r < this.rowsAllocated ? this.rowsFrom(r) : { ids: [], keys: [] };
  }

  private rowsFrom(r: number): ContactList {
    const ids: number[] = [];
    const keys: number[] = [];
    for (let c = 0; c < this.cols; c++) {
      const k = this.keyAt(r, c);
      if (k === EMPTY) continue;
      ids.push(this.idAt(r, c));
      keys.push(k);
    }
    return { ids, keys };
  }

  /** A random occupied [row, col], or null when the table is empty. */
  randomEntry(random: Random): [number, number] | null {
    if (this.size === 0) return null;
    for (let tries = 0; tries < 64; tries++) {
      const r = random.int(this.rowsAllocated);
      const c = random.int(this.cols);
      if (this.keyAt(r, c) !== EMPTY) return [r, c];
    }
    const all = this.rowsUpTo(this.rowCount - 1, Infinity);
    if (all.ids.length === 0) return null;
    return this.slot(all.ids[random.int(all.ids.length)]);
  }

  /** Calls `fn` for every entry. */
  forEach(fn: (id: number, key: number) => void): void {
    for (let r = 0; r < this.rowsAllocated; r++) {
      for (let c = 0; c < this.cols; c++) {
        const k = this.keyAt(r, c);
        if (k !== EMPTY) fn(this.idAt(r, c), k);
      }
    }
  }
}
