/**
 * Byte readers and writers for the overlays' binary message codecs. A reader checks every
 * bound and throws `OverlayMessageError` (a remote protocol violation, never a local bug), so
 * a node can drop a malformed datagram with one `try`.
 *
 * Integers are big-endian. Ids on the 2^48 rings are 6-byte unsigned integers; IPv4 transport
 * addresses are 4 bytes of address and 2 of port (see `addresses.ts`).
 */
import { InputError } from '../../errors.js';

/** A peer sent bytes that break an overlay's message format or limits. */
export class OverlayMessageError extends InputError {}

const TWO_POW_32 = 4294967296;

export class ByteReader {
  private pos: number;
  readonly buf: Uint8Array;

  /** Reads `buf` from offset `start` (overlay messages start after their 3-byte header). */
  constructor(buf: Uint8Array, start = 0) {
    this.buf = buf;
    this.pos = start;
  }

  get remaining(): number {
    return this.buf.byteLength - this.pos;
  }

  private need(n: number): number {
    const p = this.pos;
    if (p + n > this.buf.byteLength) throw new OverlayMessageError(`truncated message: needed ${n} more bytes at offset ${p}`);
    this.pos = p + n;
    return p;
  }

  u8(): number {
    return this.buf[this.need(1)];
  }

  u16(): number {
    const p = this.need(2);
    return (this.buf[p] << 8) | this.buf[p + 1];
  }

  u32(): number {
    const p = this.need(4);
    const b = this.buf;
    return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  }

  /** A 48-bit unsigned integer (exact as a double). */
  u48(): number {
    const hi = this.u16();
    return hi * TWO_POW_32 + this.u32();
  }

  /** `n` bytes, as a view into the message (treat as read-only). */
  bytes(n: number): Uint8Array {
    const p = this.need(n);
    return this.buf.subarray(p, p + n);
  }

  /** A count that must not exceed `max` (a limit named by the codec). */
  count8(max: number, what: string): number {
    const n = this.u8();
    if (n > max) throw new OverlayMessageError(`${what}: ${n} entries, more than the limit ${max}`);
    return n;
  }

  /** Throws unless every byte was consumed (trailing bytes are a format error). */
  end(): void {
    if (this.pos !== this.buf.byteLength) throw new OverlayMessageError(`${this.buf.byteLength - this.pos} trailing bytes`);
  }
}

export class ByteWriter {
  private pos = 0;
  private readonly buf: Uint8Array;

  constructor(capacity: number) {
    this.buf = new Uint8Array(capacity);
  }

  u8(v: number): this {
    this.buf[this.pos++] = v;
    return this;
  }

  u16(v: number): this {
    const b = this.buf;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    const b = this.buf;
    b[this.pos++] = (v >>> 24) & 0xff;
    b[this.pos++] = (v >>> 16) & 0xff;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = v & 0xff;
    return this;
  }

  u48(v: number): this {
    const hi = Math.floor(v / TWO_POW_32);
    this.u16(hi);
    return this.u32(v - hi * TWO_POW_32);
  }

  bytes(data: Uint8Array): this {
    this.buf.set(data, this.pos);
    this.pos += data.byteLength;
    return this;
  }

  /** The bytes written (a view of exactly that length). */
  finish(): Uint8Array {
    return this.pos === this.buf.byteLength ? this.buf : this.buf.subarray(0, this.pos);
  }
}
