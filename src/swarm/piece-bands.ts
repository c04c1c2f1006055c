/**
 * Pieces kept in order of a small integer key (availability) in one array split into bands:
 * band k holds every piece whose key is k, and bands sit in key order. Moving a piece one
 * key up or down is one swap with the edge of its band (O(1)); adding or removing a piece
 * walks the bands above it (O(number of keys)). The picker reads the front: the rarest
 * pieces are the first band that is not empty.
 *
 * libtorrent's `piece_picker` keeps its pieces the same way (a vector in priority order
 * with the start of each priority band); anacrolix/torrent keeps a btree.
 *
 * `pos` is shared by the caller's bands (a piece is in at most one at a time) and holds each
 * piece's index in its band's array, or -1.
 */
export class PieceBands {
  /** Piece indices, ordered by key. */
  readonly items: number[] = [];
  /** start[k]: where band k begins; start[keys] === items.length. */
  private readonly start: number[] = [0, 0];

  constructor(private readonly pos: Int32Array) {}

  get size(): number {
    return this.items.length;
  }

  /** Bands so far (one more than the highest key seen). */
  get keys(): number {
    return this.start.length - 1;
  }

  /** [begin, end) of band k in `items`. */
  band(k: number): [number, number] {
    if (k >= this.keys) return [this.items.length, this.items.length];
    return [this.start[k], this.start[k + 1]];
  }

  private grow(key: number): void {
    while (this.keys <= key) this.start.push(this.items.length);
  }

  private swap(i: number, j: number): void {
    if (i === j) return;
    const items = this.items;
    const a = items[i], b = items[j];
    items[i] = b;
    items[j] = a;
    this.pos[a] = j;
    this.pos[b] = i;
  }

  insert(piece: number, key: number): void {
    this.grow(key);
    const items = this.items;
    items.push(piece);
    let i = items.length - 1;
    this.pos[piece] = i;
    const last = this.keys;
    this.start[last]++;
    // Walk down: become the first of each higher band, then hand that place to the band below.
    for (let b = last - 1; b > key; b--) {
      const first = this.start[b];
      this.swap(i, first);
      i = first;
      this.start[b]++;
    }
  }

  remove(piece: number, key: number): void {
    let i = this.pos[piece];
    const last = this.keys;
    for (let b = key; b < last; b++) {
      const end = this.start[b + 1] - 1;
      this.swap(i, end);
      i = end;
      this.start[b + 1]--;
    }
    this.items.pop();
    this.pos[piece] = -1;
  }

  /** Starts with pieces 0..n-1, all of key 0 (an empty band set only). */
  fillKeyZero(n: number): void {
    if (this.items.length > 0) throw new Error('PieceBands.fillKeyZero on a non-empty set');
    const items = this.items;
    items.length = n;
    for (let i = 0; i < n; i++) {
      items[i] = i;
      this.pos[i] = i;
    }
    this.start[0] = 0;
    for (let k = 1; k < this.start.length; k++) this.start[k] = n;
  }

  /** The piece's key went from `key` to `key + 1`. */
  increment(piece: number, key: number): void {
    this.grow(key + 1);
    const end = this.start[key + 1] - 1;
    this.swap(this.pos[piece], end);
    this.start[key + 1]--;
  }

  /** The piece's key went from `key` (> 0) to `key - 1`. */
  decrement(piece: number, key: number): void {
    const first = this.start[key];
    this.swap(this.pos[piece], first);
    this.start[key]++;
  }
}
