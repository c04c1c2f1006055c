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
   * The message so far, copied out (the writer's buffer is reused). `Buffer.allocUnsafe`
   * carves small messages out of Node's shared pool instead of allocating one backing
   * store per datagram; nothing keeps a message view for long.
   */
  done(): Uint8Array {
    const out = Buffer.allocUnsafe(this.len);
    out.set(this.buf.subarray(0, this.len));
    return out;
  }
  reset(): this {
    this.len = 0;
    return this;
  }
}
