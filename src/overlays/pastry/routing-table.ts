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
  private readonly rowIds: (Float64Array | null)[];
  private readonly rowKeys: (Float64Array | null)[];
  private readonly rowRtt: (Float32Array | null)[];
  size = 0;

  constructor(id: number, b: number) {
    if (ID_BITS % b !== 0 || b < 1 || b > 8) throw new RangeError(`Pastry digit bits b must divide ${ID_BITS} and be 1..8, got ${b}`);
    this.id = id;
    this.b = b;
    this.rowCount = ID_BITS / b;
    this.cols = 1 << b;
    this.rowIds = new Array<Float64Array | null>(this.rowCount).fill(null);
    this.rowKeys = new Array<Float64Array | null>(this.rowCount).fill(null);
    this.rowRtt = new Array<Float32Array | null>(this.rowCount).fill(null);
  }

  /** The slot a node belongs in: [row, col], or null for this node's own id. */
  slot(id: number): [number, number] | null {
    const row = sharedPrefix(this.id, id, this.b);
    return row >= this.rowCount ? null : [row, digit(id, row, this.b)];
  }

  keyAt(row: number, col: number): number {
    const k = this.rowKeys[row];
    return k === null ? EMPTY : k[col];
  }

  idAt(row: number, col: number): number {
    return this.rowIds[row]![col];
  }

  rttAt(row: number, col: number): number {
    const r = this.rowRtt[row];
    return r === null ? NaN : r[col];
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
    if (this.rowKeys[row] === null) {
      this.rowIds[row] = new Float64Array(this.cols);
      this.rowKeys[row] = new Float64Array(this.cols).fill(EMPTY);
      this.rowRtt[row] = new Float32Array(this.cols).fill(NaN);
    }
    const keys = this.rowKeys[row]!;
    const rtts = this.rowRtt[row]!;
    const current = keys[col];
    if (current === EMPTY) {
      this.rowIds[row]![col] = id;
      keys[col] = key;
      rtts[col] = rtt;
      this.size++;
      return 'added';
    }
    if (current === key) {
      if (!Number.isNaN(rtt)) rtts[col] = rtt;
      return 'updated';
    }
    if (!Number.isNaN(rtt) && (Number.isNaN(rtts[col]) || rtt < rtts[col])) {
      this.rowIds[row]![col] = id;
      keys[col] = key;
      rtts[col] = rtt;
      return 'replaced';
    }
    return 'kept';
  }

  /** Records an RTT for a node if it is in its slot. */
  updateRtt(id: number, key: number, rtt: number): void {
    const row = sharedPrefix(this.id, id, this.b);
    if (row >= this.rowCount) return;
    const col = digit(id, row, this.b);
    if (this.keyAt(row, col) === key) this.rowRtt[row]![col] = rtt;
  }

  /** Removes a node wherever it is; returns its [row, col] or null. */
  remove(id: number, key: number): [number, number] | null {
    const s = this.slot(id);
    if (s === null || this.keyAt(s[0], s[1]) !== key) return null;
    this.rowKeys[s[0]]![s[1]] = EMPTY;
    this.rowRtt[s[0]]![s[1]] = NaN;
    this.size--;
    return s;
  }

  /** Rows 0..maxRow, flattened to a contact list (at most `limit` entries). */
  rowsUpTo(maxRow: number, limit: number): ContactList {
    const ids: number[] = [];
    const keys: number[] = [];
    for (let r = 0; r <= maxRow && r < this.rowCount; r++) {
      const k = this.rowKeys[r];
      if (k === null) continue;
      for (let c = 0; c < this.cols && ids.length < limit; c++) {
        if (k[c] === EMPTY) continue;
        ids.push(this.rowIds[r]![c]);
        keys.push(k[c]);
      }
    }
    return { ids, keys };
  }

  row(r: number): ContactList {
    const ids: number[] = [];
    const keys: number[] = [];
    const k = r < this.rowCount ? this.rowKeys[r] : null;
    if (k !== null) {
      for (let c = 0; c < this.cols; c++) {
        if (k[c] === EMPTY) continue;
        ids.push(this.rowIds[r]![c]);
        keys.push(k[c]);
      }
    }
    return { ids, keys };
  }

  /** A random occupied [row, col], or null when the table is empty. */
  randomEntry(random: Random): [number, number] | null {
    if (this.size === 0) return null;
    for (let tries = 0; tries < 64; tries++) {
      const r = random.int(this.rowCount);
      const k = this.rowKeys[r];
      if (k === null) continue;
      const c = random.int(this.cols);
      if (k[c] !== EMPTY) return [r, c];
    }
    const all = this.rowsUpTo(this.rowCount - 1, Infinity);
    if (all.ids.length === 0) return null;
    return this.slot(all.ids[random.int(all.ids.length)]);
  }

  /** Calls `fn` for every entry. */
  forEach(fn: (id: number, key: number) => void): void {
    for (let r = 0; r < this.rowCount; r++) {
      const k = this.rowKeys[r];
      if (k === null) continue;
      for (let c = 0; c < this.cols; c++) if (k[c] !== EMPTY) fn(this.rowIds[r]![c], k[c]);
    }
  }
}
