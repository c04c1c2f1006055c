/** Bytes of the pool `done()` carves messages from. */
const POOL_BYTES = 64 * 1024;
let pool = new Uint8Array(POOL_BYTES);
let poolUsed = 0;

/** A growable byte buffer with bencode primitives; shared by the general encoder and KRPC's hand-ordered encoders. */
export class BencodeWriter {
  buf: Uint8Array;
  len = 0;
  constructor(size = 256) {
    this.buf = new Uint8Array(size);
  }
  ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
  ascii(s: string): void {
    this.ensure(s.length);
    const b = this.buf;
    let l = this.len;
    for (let i = 0; i < s.length; i++) b[l++] = s.charCodeAt(i);
    this.len = l;
  }
  /** A non-negative integer in decimal ASCII, no allocation. */
  decimal(n: number): void {
    this.ensure(16);
    const b = this.buf;
    if (n < 10) {
      b[this.len++] = 48 + n;
      return;
    }
    let digits = 0;
    for (let x = n; x > 0; x = Math.floor(x / 10)) digits++;
    let l = this.len + digits;
    this.len = l;
    for (let x = n; x > 0; x = Math.floor(x / 10)) b[--l] = 48 + (x % 10);
  }
  /** A key or other ASCII/binary string as a bencode byte string. */
  str(s: string): void {
    this.decimal(s.length);
    this.ensure(s.length + 1);
    const b = this.buf;
    let l = this.len;
    b[l++] = 58; // ':'
    for (let i = 0; i < s.length; i++) b[l++] = s.charCodeAt(i);
    this.len = l;
  }
  bytes(v: Uint8Array): void {
    this.decimal(v.length);
    this.ensure(v.length + 1);
    this.buf[this.len++] = 58;
    this.buf.set(v, this.len);
    this.len += v.length;
  }
  int(n: number | bigint): void {
    if (typeof n === 'number' && n >= 0 && Number.isSafeInteger(n)) {
      this.ensure(18);
      this.buf[this.len++] = 105; // 'i'
      this.decimal(n);
      this.buf[this.len++] = 101; // 'e'
    } else this.ascii(`i${n}e`);
  }
  /** Already-bencoded bytes. */
  raw(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.len);
    this.len += v.length;
  }
  /**
   * The message so far, copied out (the writer's buffer is reused). Small messages are
   * carved out of a shared pool, as `Buffer.allocUnsafe` does with Node's 8 KB one, but 64 KB:
   * a simulation's datagrams filled Node's pool every ~30 messages, and at a million DHT nodes
   * each new array buffer cost a V8 marking step (docs/dht.md, "Array buffers"). A pool lives
   * while any message carved from it does; nothing keeps a message view for long.
   */
  done(): Uint8Array {
    const n = this.len;
    if (n > POOL_BYTES >>> 3) return this.buf.slice(0, n);
    if (poolUsed + n > pool.length) {
      pool = new Uint8Array(POOL_BYTES);
      poolUsed = 0;
    }
    const out = pool.subarray(poolUsed, poolUsed + n);
    // Eight-byte aligned, as Node's pool is, so a view of it can be read as wider words.
    poolUsed = (poolUsed + n + 7) & ~7;
    out.set(this.buf.subarray(0, n));
    return out;
  }
  reset(): this {
    this.len = 0;
    return this;
  }
}
