/**
 * A piece bitfield in BEP 3 wire order: the high bit of byte 0 is piece 0; spare bits at the
 * end are kept zero. Shared by wire/, storage/ and swarm/.
 */

export class Bitfield {
  /** Number of pieces. */
  readonly length: number;
  /** The wire bytes (`ceil(length / 8)`); shared, not copied, by `bytes`. */
  private readonly bits: Uint8Array;
  private setCount = 0;

  constructor(length: number, bytes?: Uint8Array) {
    if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`bitfield length must be a non-negative integer, got ${length}`);
    this.length = length;
    this.bits = new Uint8Array(Math.ceil(length / 8));
    if (bytes) {
      if (bytes.length !== this.bits.length) throw new RangeError(`bitfield of ${length} pieces takes ${this.bits.length} bytes, got ${bytes.length}`);
      this.bits.set(bytes);
      this.clearSpare();
      for (const b of this.bits) this.setCount += popcount(b);
    }
  }

  /** A bitfield with every piece set. */
  static full(length: number): Bitfield {
    const b = new Bitfield(length);
    b.bits.fill(0xff);
    b.clearSpare();
    b.setCount = length;
    return b;
  }

  has(index: number): boolean {
    if (index < 0 || index >= this.length) return false;
    return (this.bits[index >>> 3] & (0x80 >>> (index & 7))) !== 0;
  }

  /** Sets a piece; returns true when it was not set before. */
  set(index: number): boolean {
    if (index < 0 || index >= this.length) throw new RangeError(`piece ${index} out of range 0..${this.length - 1}`);
    const mask = 0x80 >>> (index & 7);
    const i = index >>> 3;
    if (this.bits[i] & mask) return false;
    this.bits[i] |= mask;
    this.setCount++;
    return true;
  }

  /** Clears a piece; returns true when it was set. */
  clear(index: number): boolean {
    if (index < 0 || index >= this.length) return false;
    const mask = 0x80 >>> (index & 7);
    const i = index >>> 3;
    if (!(this.bits[i] & mask)) return false;
    this.bits[i] &= ~mask;
    this.setCount--;
    return true;
  }

  /** Number of pieces set. */
  get count(): number {
    return this.setCount;
  }

  get complete(): boolean {
    return this.setCount === this.length;
  }

  /** The wire bytes. Do not modify them. */
  get bytes(): Uint8Array {
    return this.bits;
  }

  /** Whether a piece is set in both (bitfields of the same length), a byte at a time. */
  intersects(other: Bitfield): boolean {
    if (other.length !== this.length) throw new RangeError(`bitfields of ${this.length} and ${other.length} pieces`);
    const a = this.bits, b = other.bits;
    for (let i = 0; i < a.length; i++) if ((a[i] & b[i]) !== 0) return true;
    return false;
  }

  /** The set indices, ascending. */
  *indices(): IterableIterator<number> {
    for (let i = 0; i < this.length; i++) if (this.has(i)) yield i;
  }

  /** A copy of the bytes. */
  toBytes(): Uint8Array {
    return this.bits.slice();
  }

  clone(): Bitfield {
    return new Bitfield(this.length, this.bits);
  }

  private clearSpare(): void {
    const spare = this.bits.length * 8 - this.length;
    if (spare > 0) this.bits[this.bits.length - 1] &= (0xff << spare) & 0xff;
  }
}

function popcount(b: number): number {
  let n = b - ((b >> 1) & 0x55);
  n = (n & 0x33) + ((n >> 2) & 0x33);
  return (n + (n >> 4)) & 0x0f;
}
