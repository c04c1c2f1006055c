/** Strict bencode decoder (BEP 3) with limits. Never throws anything but `BencodeError`. */
import { InputError } from '../errors.js';
import type { BDict, BList, BValue } from './types.js';

export class BencodeError extends InputError {
  constructor(message: string, readonly offset: number) {
    super(`bencode: ${message} at byte ${offset}`);
  }
}

export interface DecodeOptions {
  /** Reject unsorted and duplicate dictionary keys (default true). When false, the first of duplicate keys wins, as in libtorrent. */
  strict?: boolean;
  /** Deepest nesting of lists and dictionaries (default 64). */
  maxDepth?: number;
  /** Longest byte string in bytes (default 16 MiB). */
  maxStringLength?: number;
  /** Largest input in bytes (default 64 MiB). */
  maxSize?: number;
  /** Copy byte strings out of the input instead of returning views into it (default false). */
  copy?: boolean;
  /** Accept bytes after the first value (default false); `decodeWithSpans(...).end` reports where it ended. */
  allowTrailing?: boolean;
}

export const DECODE_DEFAULTS = {
  strict: true,
  maxDepth: 64,
  maxStringLength: 16 * 1024 * 1024,
  maxSize: 64 * 1024 * 1024,
  copy: false,
  allowTrailing: false,
} as const satisfies Required<DecodeOptions>;

/** The byte range [start, end) a decoded value came from. */
export interface Span {
  readonly start: number;
  readonly end: number;
}

export interface DecodeResult {
  readonly value: BValue;
  /** Where the value ended in the input. */
  readonly end: number;
  /** The raw bytes of a decoded list, dict or byte string (the info hash is taken over these). */
  raw(value: BValue): Uint8Array;
  span(value: BValue): Span | undefined;
}

const MAX_DIGITS = 64;
const D0 = 0x30, D9 = 0x39, MINUS = 0x2d, COLON = 0x3a, E = 0x65, I = 0x69, L = 0x6c, D = 0x64;

class Decoder {
  pos = 0;
  depth = 0;
  readonly spans: Map<object, Span> | undefined;
  constructor(readonly buf: Uint8Array, readonly o: Required<DecodeOptions>, keepSpans: boolean) {
    // A Map, not a WeakMap: the decoder is short-lived, and WeakMaps slow down badly with millions of keys.
    this.spans = keepSpans ? new Map() : undefined;
  }

  fail(message: string, at = this.pos): never {
    throw new BencodeError(message, at);
  }

  value(): BValue {
    const { buf } = this;
    if (this.pos >= buf.length) this.fail('unexpected end of input');
    const c = buf[this.pos];
    if (c === I) return this.integer();
    if (c >= D0 && c <= D9) return this.bytes();
    if (c === L) return this.list();
    if (c === D) return this.dict();
    return this.fail(`unexpected byte 0x${c.toString(16).padStart(2, '0')}`);
  }

  /** Reads digits up to `terminator`; rejects leading zeros and (unless allowed) a sign. */
  digits(terminator: number, signed: boolean): number | bigint {
    const { buf } = this;
    const start = this.pos;
    let negative = false;
    if (signed && buf[this.pos] === MINUS) {
      negative = true;
      this.pos++;
    }
    const first = this.pos;
    let n = 0;
    while (this.pos < buf.length && buf[this.pos] >= D0 && buf[this.pos] <= D9) {
      n = n * 10 + (buf[this.pos] - D0);
      this.pos++;
      // More than 64 digits is nonsense input, not a number.
      if (this.pos - first > MAX_DIGITS) this.fail('integer too long', first);
    }
    const count = this.pos - first;
    if (this.pos >= buf.length) this.fail('unexpected end of input');
    if (buf[this.pos] !== terminator) this.fail(`expected '${String.fromCharCode(terminator)}'`);
    if (count === 0) this.fail('expected digits', first);
    if (count > 1 && buf[first] === D0) this.fail('leading zero', first);
    if (negative && count === 1 && buf[first] === D0) this.fail('negative zero', start);
    this.pos++; // terminator
    if (count <= 15) return negative ? -n : n;
    // Too long for exact float arithmetic: reparse as bigint.
    let big = 0n;
    for (let p = first; p < first + count; p++) big = big * 10n + BigInt(buf[p] - D0);
    if (negative) big = -big;
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }

  integer(): number | bigint {
    this.pos++; // 'i'
    return this.digits(E, true);
  }

  bytes(): Uint8Array {
    const start = this.pos;
    const len = this.digits(COLON, false);
    if (typeof len !== 'number' || len > this.o.maxStringLength) this.fail(`byte string longer than maxStringLength (${this.o.maxStringLength})`, start);
    if (this.pos + len > this.buf.length) this.fail('byte string runs past end of input', start);
    const s = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    // Not `s.slice()`: on a Buffer input that returns a view, not a copy.
    const out = this.o.copy ? new Uint8Array(s) : s;
    this.spans?.set(out, { start, end: this.pos });
    return out;
  }

  enter(): void {
    if (++this.depth > this.o.maxDepth) this.fail(`nesting deeper than maxDepth (${this.o.maxDepth})`);
  }

  list(): BList {
    const start = this.pos;
    this.enter();
    this.pos++; // 'l'
    const out: BList = [];
    while (true) {
      if (this.pos >= this.buf.length) this.fail('unterminated list', start);
      if (this.buf[this.pos] === E) break;
      out.push(this.value());
    }
    this.pos++;
    this.depth--;
    this.spans?.set(out, { start, end: this.pos });
    return out;
  }

  dict(): BDict {
    const start = this.pos;
    this.enter();
    this.pos++; // 'd'
    const out: BDict = new Map();
    let previous: string | undefined;
    while (true) {
      if (this.pos >= this.buf.length) this.fail('unterminated dictionary', start);
      if (this.buf[this.pos] === E) break;
      const keyAt = this.pos;
      const c = this.buf[this.pos];
      if (c < D0 || c > D9) this.fail('dictionary key is not a byte string');
      const kb = this.bytes();
      const key = latin1(kb);
      if (previous !== undefined && key <= previous) {
        if (this.o.strict) this.fail(key === previous ? 'duplicate dictionary key' : 'dictionary keys not sorted', keyAt);
      }
      const v = this.value();
      if (!out.has(key)) out.set(key, v);
      previous = key;
    }
    this.pos++;
    this.depth--;
    this.spans?.set(out, { start, end: this.pos });
    return out;
  }
}

function latin1(b: Uint8Array): string {
  // Short keys dominate; String.fromCharCode over a small array beats Buffer for them.
  if (b.length <= 64) {
    let s = '';
    for (let i = 0; i < b.length; i++) s += String.fromCharCode(b[i]);
    return s;
  }
  return Buffer.from(b.buffer, b.byteOffset, b.length).toString('latin1');
}

function run(buf: Uint8Array, options: DecodeOptions | undefined, keepSpans: boolean): { d: Decoder; value: BValue } {
  const o = { ...DECODE_DEFAULTS, ...options };
  if (buf.length > o.maxSize) throw new BencodeError(`input larger than maxSize (${o.maxSize} bytes)`, 0);
  const d = new Decoder(buf, o, keepSpans);
  let value: BValue;
  try {
    value = d.value();
  } catch (e) {
    if (e instanceof BencodeError) throw e;
    // A RangeError from a pathological input (e.g. stack) is still the input's fault.
    throw new BencodeError(`undecodable input (${(e as Error).message})`, d.pos);
  }
  if (!o.allowTrailing && d.pos !== buf.length) throw new BencodeError('trailing bytes after value', d.pos);
  return { d, value };
}

/** Decodes exactly one value that fills the whole input. */
export function decode(buf: Uint8Array, options?: DecodeOptions): BValue {
  return run(buf, options, false).value;
}

/** Decodes and remembers where every list, dict and byte string came from. */
export function decodeWithSpans(buf: Uint8Array, options?: DecodeOptions): DecodeResult {
  const { d, value } = run(buf, options, true);
  const spans = d.spans as Map<object, Span>;
  const span = (v: BValue): Span | undefined => (typeof v === 'object' ? spans.get(v) : undefined);
  return {
    value,
    end: d.pos,
    span,
    raw(v: BValue): Uint8Array {
      const s = span(v);
      if (!s) throw new Error('value was not decoded from this input');
      return buf.subarray(s.start, s.end);
    },
  };
}
