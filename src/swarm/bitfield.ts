/** A fixed-size bit set in BitTorrent's order: piece 0 is the high bit of byte 0 (BEP 3). */
export class Bitfield {
  readonly bytes: Uint8Array;
  private count = 0;

  constructor(readonly size: number, bytes?: Uint8Array) {
    this.bytes = new Uint8Array(Math.ceil(size / 8));
    if (bytes) {
      this.bytes.set(bytes.subarray(0, this.bytes.length));
      // Spare bits past `size` are cleared so counts stay honest.
      if (size % 8 !== 0 && this.bytes.length > 0) this.bytes[this.bytes.length - 1] &= 0xff << (8 - (size % 8));
      for (const b of this.bytes) this.count += POPCOUNT[b];
    }
  }

  static full(size: number): Bitfield {
    const b = new Bitfield(size);
    for (let i = 0; i < size; i++) b.set(i);
    return b;
  }

  get(i: number): boolean {
    return (this.bytes[i >> 3] & (0x80 >> (i & 7))) !== 0;
  }

  /** Sets bit i; returns true when it was clear. */
  set(i: number): boolean {
    if (i < 0 || i >= this.size) throw new RangeError(`bit ${i} out of range`);
    const mask = 0x80 >> (i & 7);
    if (this.bytes[i >> 3] & mask) return false;
    this.bytes[i >> 3] |= mask;
    this.count++;
    return true;
  }

  /** Clears bit i; returns true when it was set. */
  clear(i: number): boolean {
    const mask = 0x80 >> (i & 7);
    if (!(this.bytes[i >> 3] & mask)) return false;
    this.bytes[i >> 3] &= ~mask;
    this.count--;
    return true;
  }

  get setCount(): number {
    return this.count;
  }

  get complete(): boolean {
    return this.count === this.size;
  }

  *indices(): IterableIterator<number> {
    for (let i = 0; i < this.size; i++) if (this.get(i)) yield i;
  }
}

const POPCOUNT = new Uint8Array(256);
for (let i = 0; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];
