/**
 * A single-pass bencode reader specialised for KRPC: it walks the datagram once, reads the
 * few keys KRPC defines straight into a fixed-shape `Fields` record and skips (while still
 * validating) everything else. No `Map`s, no intermediate values: this is the hot path of a
 * 100,000-node simulation. A BEP 44 `v` is kept as its raw bytes, and whether the message was
 * canonical (sorted keys, no duplicates) is reported so `put` can reject non-canonical values.
 */
import { KrpcDecodeError } from './errors.js';

const D0 = 0x30, D9 = 0x39, COLON = 0x3a, MINUS = 0x2d;
const CH_D = 0x64, CH_E = 0x65, CH_I = 0x69, CH_L = 0x6c;

/**
 * Every field KRPC reads, from the top level, `a` and `r`. The fields every message has (or
 * most do) are byte ranges of the datagram, `xS` (start, -1 when absent) and `xE` (end): a
 * view each was most of the garbage a 100,000-node simulation made per datagram. The rare
 * ones (BEP 44, BEP 51, errors, `values`) are views into the datagram.
 * One record, reset for each datagram (decoding is synchronous and never re-entered).
 */
export class Fields {
  // top level
  tS = -1;
  tE = 0;
  y = -1;
  qS = -1;
  qE = 0;
  ipS = -1;
  ipE = 0;
  ro = false;
  clientS = -1;
  clientE = 0;
  hasA = false;
  hasR = false;
  errCode = 201;
  errMessage: Uint8Array | undefined = undefined;
  hasE = false;
  // a / r
  idS = -1;
  idE = 0;
  targetS = -1;
  targetE = 0;
  infoHashS = -1;
  infoHashE = 0;
  port: number | bigint | undefined = undefined;
  impliedPort = false;
  tokenS = -1;
  tokenE = 0;
  seed = false;
  noseed = false;
  want = 0; // bit 1: n4, bit 2: n6
  seq: number | bigint | undefined = undefined;
  cas: number | bigint | undefined = undefined;
  k: Uint8Array | undefined = undefined;
  sig: Uint8Array | undefined = undefined;
  salt: Uint8Array | undefined = undefined;
  v: Uint8Array | undefined = undefined;
  nodesS = -1;
  nodesE = 0;
  nodes6S = -1;
  nodes6E = 0;
  values: Uint8Array[] | undefined = undefined;
  samples: Uint8Array | undefined = undefined;
  num: number | bigint | undefined = undefined;
  interval: number | bigint | undefined = undefined;
  canonical = true;

  reset(): void {
    this.tS = this.qS = this.ipS = this.clientS = this.idS = this.targetS = this.infoHashS = this.tokenS = this.nodesS = this.nodes6S = -1;
    this.tE = this.qE = this.ipE = this.clientE = this.idE = this.targetE = this.infoHashE = this.tokenE = this.nodesE = this.nodes6E = 0;
    this.y = -1;
    this.ro = this.hasA = this.hasR = this.hasE = this.impliedPort = this.seed = this.noseed = false;
    this.errCode = 201;
    this.errMessage = this.k = this.sig = this.salt = this.v = this.samples = undefined;
    this.port = this.seq = this.cas = this.num = this.interval = undefined;
    this.values = undefined;
    this.want = 0;
    this.canonical = true;
  }
}

export class KrpcReader {
  /** The datagram being read (the ranges in `Fields` point into it). */
  buf: Uint8Array = new Uint8Array(0);
  private readonly f = new Fields();
  private pos = 0;
  private maxDepth = 16;
  private maxValues = 200;

  /** Reads one datagram into the reader's `Fields` (valid until the next read). Throws `KrpcDecodeError` on malformed bencode. */
  read(buf: Uint8Array, maxDepth: number, maxValues: number): Fields {
    this.buf = buf;
    this.pos = 0;
    this.maxDepth = maxDepth;
    this.maxValues = maxValues;
    const f = this.f;
    f.reset();
    if (buf.length === 0 || buf[0] !== CH_D) this.fail('message is not a dictionary');
    this.pos = 1;
    let prevStart = -1, prevEnd = -1;
    for (;;) {
      if (this.pos >= buf.length) this.fail('unterminated dictionary');
      if (buf[this.pos] === CH_E) break;
      const ks = this.strStart();
      const ke = this.pos;
      if (prevStart >= 0 && compareRange(buf, prevStart, prevEnd, ks, ke) >= 0) f.canonical = false;
      prevStart = ks;
      prevEnd = ke;
      this.topValue(f, ks, ke - ks);
    }
    this.pos++;
    if (this.pos !== buf.length) this.fail('trailing bytes after message');
    return f;
  }

  private fail(message: string): never {
    throw new KrpcDecodeError(`${message} at byte ${this.pos}`);
  }

  /** Parses "<len>:" and leaves pos at the start of the string; returns the start; pos moves past it. */
  private strStart(): number {
    const buf = this.buf;
    let p = this.pos;
    const c0 = buf[p];
    if (!(c0 >= D0 && c0 <= D9)) this.fail('expected a byte string');
    let len = 0;
    const first = p;
    while (p < buf.length && buf[p] >= D0 && buf[p] <= D9) {
      len = len * 10 + (buf[p] - D0);
      p++;
      if (p - first > 7) this.fail('string length too long');
    }
    if (p >= buf.length || buf[p] !== COLON) this.fail("expected ':'");
    if (p - first > 1 && c0 === D0) this.fail('leading zero in length');
    p++;
    if (p + len > buf.length) this.fail('byte string runs past end of input');
    this.pos = p + len;
    return p;
  }

  /** Skips a byte string, returning its start (its end is `pos`). */
  private range(): number {
    return this.strStart();
  }

  private bytes(): Uint8Array {
    const s = this.strStart();
    return this.buf.subarray(s, this.pos);
  }

  private int(): number | bigint {
    const buf = this.buf;
    if (buf[this.pos] !== CH_I) this.fail('expected an integer');
    let p = this.pos + 1;
    let neg = false;
    if (buf[p] === MINUS) {
      neg = true;
      p++;
    }
    const first = p;
    let n = 0;
    while (p < buf.length && buf[p] >= D0 && buf[p] <= D9) {
      n = n * 10 + (buf[p] - D0);
      p++;
      if (p - first > 64) this.fail('integer too long');
    }
    const count = p - first;
    if (p >= buf.length || buf[p] !== CH_E || count === 0) this.fail('malformed integer');
    if (count > 1 && buf[first] === D0) this.fail('leading zero in integer');
    if (neg && count === 1 && buf[first] === D0) this.fail('negative zero');
    this.pos = p + 1;
    if (count <= 15) return neg ? -n : n;
    let big = 0n;
    for (let i = first; i < p; i++) big = big * 10n + BigInt(buf[i] - D0);
    return neg ? -big : big;
  }

  /** Skips one value, validating it; notes non-canonical dictionaries. */
  private skip(f: Fields, depth: number): void {
    const buf = this.buf;
    if (this.pos >= buf.length) this.fail('unexpected end of input');
    const c = buf[this.pos];
    if (c === CH_I) {
      this.int();
      return;
    }
    if (c >= D0 && c <= D9) {
      this.strStart();
      return;
    }
    if (depth >= this.maxDepth) this.fail(`nesting deeper than ${this.maxDepth}`);
    if (c === CH_L) {
      this.pos++;
      while (this.pos < buf.length && buf[this.pos] !== CH_E) this.skip(f, depth + 1);
      if (this.pos >= buf.length) this.fail('unterminated list');
      this.pos++;
      return;
    }
    if (c === CH_D) {
      this.pos++;
      let ps = -1, pe = -1;
      while (this.pos < buf.length && buf[this.pos] !== CH_E) {
        const ks = this.strStart();
        if (ps >= 0 && compareRange(buf, ps, pe, ks, this.pos) >= 0) f.canonical = false;
        ps = ks;
        pe = this.pos;
        this.skip(f, depth + 1);
      }
      if (this.pos >= buf.length) this.fail('unterminated dictionary');
      this.pos++;
      return;
    }
    this.fail(`unexpected byte 0x${c.toString(16)}`);
  }

  private isStr(): boolean {
    const c = this.buf[this.pos];
    return c >= D0 && c <= D9;
  }

  private isInt(): boolean {
    return this.buf[this.pos] === CH_I;
  }

  private topValue(f: Fields, ks: number, kl: number): void {
    const buf = this.buf;
    const k0 = buf[ks];
    if (kl === 1) {
      switch (k0) {
        case 0x74: // t
          if (f.tS < 0 && this.isStr()) {
            f.tS = this.range();
            f.tE = this.pos;
            return;
          }
          break;
        case 0x79: // y
          if (f.y < 0 && this.isStr()) {
            const s = this.range();
            f.y = this.pos - s === 1 ? buf[s] : 0;
            return;
          }
          break;
        case 0x71: // q
          if (f.qS < 0 && this.isStr()) {
            f.qS = this.range();
            f.qE = this.pos;
            return;
          }
          break;
        case 0x76: // v
          if (f.clientS < 0 && this.isStr()) {
            f.clientS = this.range();
            f.clientE = this.pos;
            return;
          }
          break;
        case 0x61: // a
        case 0x72: // r
          if (buf[this.pos] === CH_D && !f.hasA && !f.hasR) {
            if (k0 === 0x61) f.hasA = true;
            else f.hasR = true;
            this.body(f);
            return;
          }
          break;
        case 0x65: // e
          if (buf[this.pos] === CH_L && !f.hasE) {
            f.hasE = true;
            this.pos++;
            if (this.isInt()) {
              const code = this.int();
              f.errCode = typeof code === 'number' ? code : 201;
            }
            if (this.isStr()) f.errMessage = this.bytes();
            while (this.pos < buf.length && buf[this.pos] !== CH_E) this.skip(f, 1);
            if (this.pos >= buf.length) this.fail('unterminated list');
            this.pos++;
            return;
          }
          break;
      }
    } else if (kl === 2) {
      const k1 = buf[ks + 1];
      if (k0 === 0x69 && k1 === 0x70 && this.isStr()) { // ip
        f.ipS = this.range();
        f.ipE = this.pos;
        return;
      }
      if (k0 === 0x72 && k1 === 0x6f && this.isInt()) { // ro
        f.ro = this.int() === 1;
        return;
      }
    }
    this.skip(f, 0);
  }

  /** The `a` or `r` dictionary. */
  private body(f: Fields): void {
    const buf = this.buf;
    this.pos++; // 'd'
    let ps = -1, pe = -1;
    for (;;) {
      if (this.pos >= buf.length) this.fail('unterminated dictionary');
      if (buf[this.pos] === CH_E) break;
      const ks = this.strStart();
      const ke = this.pos;
      if (ps >= 0 && compareRange(buf, ps, pe, ks, ke) >= 0) f.canonical = false;
      ps = ks;
      pe = ke;
      if (!this.field(f, ks, ke - ks)) this.skip(f, 1);
    }
    this.pos++;
  }

  /** Reads a known field of `a` / `r`; false when the key is not one (or has the wrong type). */
  private field(f: Fields, ks: number, kl: number): boolean {
    const buf = this.buf;
    const str = this.isStr();
    const int = this.isInt();
    switch (kl) {
      case 1:
        if (buf[ks] === 0x6b && str) f.k = this.bytes(); // k
        else if (buf[ks] === 0x76) { // v: any value, kept raw
          const start = this.pos;
          this.skip(f, 1);
          f.v = buf.subarray(start, this.pos);
        } else return false;
        return true;
      case 2:
        if (buf[ks] === 0x69 && buf[ks + 1] === 0x64 && str) { // id
          f.idS = this.range();
          f.idE = this.pos;
          return true;
        }
        return false;
      case 3:
        if (match(buf, ks, 'seq') && int) f.seq = this.int();
        else if (match(buf, ks, 'sig') && str) f.sig = this.bytes();
        else if (match(buf, ks, 'cas') && int) f.cas = this.int();
        else if (match(buf, ks, 'num') && int) f.num = this.int();
        else return false;
        return true;
      case 4:
        if (match(buf, ks, 'port') && int) f.port = this.int();
        else if (match(buf, ks, 'salt') && str) f.salt = this.bytes();
        else if (match(buf, ks, 'seed') && int) f.seed = this.int() === 1;
        else if (match(buf, ks, 'want') && buf[this.pos] === CH_L) this.want(f);
        else return false;
        return true;
      case 5:
        if (match(buf, ks, 'nodes') && str) {
          f.nodesS = this.range();
          f.nodesE = this.pos;
        } else if (match(buf, ks, 'token') && str) {
          f.tokenS = this.range();
          f.tokenE = this.pos;
        }
        else return false;
        return true;
      case 6:
        if (match(buf, ks, 'target') && str) {
          f.targetS = this.range();
          f.targetE = this.pos;
        }
        else if (match(buf, ks, 'values') && buf[this.pos] === CH_L) this.values(f);
        else if (match(buf, ks, 'nodes6') && str) {
          f.nodes6S = this.range();
          f.nodes6E = this.pos;
        }
        else if (match(buf, ks, 'noseed') && int) f.noseed = this.int() === 1;
        else return false;
        return true;
      case 7:
        if (match(buf, ks, 'samples') && str) f.samples = this.bytes();
        else return false;
        return true;
      case 8:
        if (match(buf, ks, 'interval') && int) f.interval = this.int();
        else return false;
        return true;
      case 9:
        if (match(buf, ks, 'info_hash') && str) {
          f.infoHashS = this.range();
          f.infoHashE = this.pos;
        }
        else return false;
        return true;
      case 12:
        if (match(buf, ks, 'implied_port') && int) f.impliedPort = this.int() === 1;
        else return false;
        return true;
    }
    return false;
  }

  private values(f: Fields): void {
    const buf = this.buf;
    this.pos++;
    const out: Uint8Array[] = [];
    while (this.pos < buf.length && buf[this.pos] !== CH_E) {
      if (this.isStr() && out.length < this.maxValues) out.push(this.bytes());
      else this.skip(f, 2);
    }
    if (this.pos >= buf.length) this.fail('unterminated list');
    this.pos++;
    f.values = out;
  }

  private want(f: Fields): void {
    const buf = this.buf;
    this.pos++;
    while (this.pos < buf.length && buf[this.pos] !== CH_E) {
      if (this.isStr()) {
        const s = this.range();
        if (this.pos - s === 2 && buf[s] === 0x6e) {
          if (buf[s + 1] === 0x34) f.want |= 1;
          else if (buf[s + 1] === 0x36) f.want |= 2;
        }
      } else this.skip(f, 2);
    }
    if (this.pos >= buf.length) this.fail('unterminated list');
    this.pos++;
  }
}

function match(buf: Uint8Array, at: number, key: string): boolean {
  for (let i = 0; i < key.length; i++) if (buf[at + i] !== key.charCodeAt(i)) return false;
  return true;
}

/** Byte-wise comparison of buf[as, ae) and buf[bs, be). */
function compareRange(buf: Uint8Array, as: number, ae: number, bs: number, be: number): number {
  const n = Math.min(ae - as, be - bs);
  for (let i = 0; i < n; i++) {
    const d = buf[as + i] - buf[bs + i];
    if (d !== 0) return d;
  }
  return ae - as - (be - bs);
}
