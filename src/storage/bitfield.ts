/**
 * A set of piece indices stored as BEP 3 bitfield bytes: piece 0 is the high bit of byte 0.
 * Same shape as `wire/bitfield.ts` (has/set/clear/count/complete/full) so the two can merge;
 * storage keeps its own because it sits beside wire/, not above it.
 */
export class Bitfield {
  private readonly bits: Uint8Array;
  private n = 0;

  constructor(readonly length: number, bytes?: Uint8Array) {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`bitfield length ${length} is invalid`);
    this.bits = new Uint8Array(Math.ceil(length / 8));
    if (bytes) {
      if (bytes.length !== this.bits.length) throw new RangeError(`bitfield needs ${this.bits.length} bytes, got ${bytes.length}`);
      if (length % 8 !== 0 && (bytes[bytes.length - 1] & (0xff >> length % 8)) !== 0) throw new RangeError('bitfield has spare bits set');
      this.bits.set(bytes);
      for (const b of bytes) this.n += popcount(b);
    }
  }

  /** Every piece set. */
  static full(length: number): Bitfield {
    const b = new Bitfield(length);
    for (let i = 0; i < length; i++) b.set(i);
    return b;
  }

  get count(): number {
    return this.n;
  }
  get complete(): boolean {
    return this.n === this.length;
  }

  has(i: number): boolean {
    return i >= 0 && i < this.length && (this.bits[i >> 3] & (0x80 >> (i & 7))) !== 0;
  }

  /** Sets bit `i`; returns true when it was clear. */
  set(i: number): boolean {
    this.check(i);
    if (this.has(i)) return false;
    this.bits[i >> 3] |= 0x80 >> (i & 7);
    this.n++;
    return true;
  }

  /** Clears bit `i`; returns true when it was set (false also when out of range). */
  clear(i: number): boolean {
    if (!this.has(i)) return false;
    this.bits[i >> 3] &= ~(0x80 >> (i & 7));
    this.n--;
    return true;
  }

  /** The set indices, ascending. */
  *indices(): IterableIterator<number> {
    for (let i = 0; i < this.length; i++) if (this.has(i)) yield i;
  }

  /** A copy of the bytes (BEP 3 order, spare bits zero). */
  toBytes(): Uint8Array {
    return this.bits.slice();
  }

  clone(): Bitfield {
    return new Bitfield(this.length, this.bits);
  }

  private check(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new RangeError(`bit ${i} outside a bitfield of ${this.length}`);
  }
}

function popcount(b: number): number {
  let n = 0;
  for (let x = b; x; x &= x - 1) n++;
  return n;
}
