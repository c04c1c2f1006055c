/**
 * The routing table's entries (./routing-table.ts), packed into one growable buffer: a big
 * simulation holds hundreds of millions of them, and an object per entry, its id string and
 * the bucket arrays cost about 240 bytes where a packed entry takes 40.
 *
 * Entries are kept bucket by bucket: each bucket is a contiguous range, its table entries
 * (in insertion order) followed by its replacement cache (oldest first). Adding or removing
 * an entry moves the entries after it by one (a `copyWithin` of a few KB at most); finding
 * an id or the closest entries scans contiguous memory. One entry's ten words: ./entry-record.ts.
 *
 * The buffer holds word 0 of every entry as a column of its own (a scan for an id or for the
 * closest entries reads 16 entries a cache line), then words 1-9 of every entry (`STRIDE`).
 * Times are 32-bit offsets from the table's epoch (its creation time at first), which covers
 * 24.8 days either side; a later time moves the epoch on (`rebase`), and times that fall
 * off the far end are kept as the oldest time there is (a node quiet for weeks is
 * questionable either way). As float64s they took 8 bytes more an entry: at a million
 * simulated nodes with ~170 entries each, 1.4 GB.
 */
import type { Address } from '../runtime/types.js';
import { PackedContact, formatIPv4 } from './compact.js';
import { giveBuffer, splitScratch, takeBuffer } from './table-buffers.js';
import { ENTRY_WORDS, EntryRecord, IP, NEVER, PORT, PORT_MASK, STRIDE, S_IP, S_PORT, S_QUERY, S_RESPONSE, S_RTT, V6 } from './entry-record.js';
import type { NodeId } from './node-id.js';

/** The oldest and newest times an entry can hold, relative to the epoch. */
const OLDEST = NEVER + 1;
const NEWEST = 0x7fffffff;
/** How far `rebase` moves the epoch past a time too new to hold: half the range (12.4 days). */
const REBASE_STEP = 2 ** 30;
/** Failures saturate here (far above any sensible `maxFailures`). */
export const MAX_FAILURES_COUNTED = 0x7fff;
/** Per-bucket metadata: end of its table entries, end of its range, verified entries, last change. */
const META = 4;

export class PackedEntries {
  i32: Int32Array;
  /** Clock ms that stored times count from (whole ms). */
  private epoch: number;
  /** IPv6 hosts by position, allocated when the first IPv6 entry arrives. */
  private host6s: (string | null)[] | null = null;
  /** Entries held (table entries and replacements). */
  length = 0;
  private capacity: number;
  /** Where the records start (in words): before them, the first id word of every entry, as a column. */
  base: number;
  /** `META` numbers a bucket; a plain array of exactly that size (a Float64Array costs two more objects and a malloc'd block). */
  private meta: number[];
  private nb = 1;

  /** `initialCapacity`: a joined node's table holds 50-150 entries; fewer, smaller steps cost more reallocations. */
  constructor(now: number, initialCapacity = 32) {
    this.capacity = initialCapacity & ~1;
    this.base = this.capacity;
    this.i32 = new Int32Array(this.capacity * (STRIDE + 1));
    this.meta = [0, 0, 0, now];
    this.epoch = Math.floor(now);
  }

  /** A clock time (whole ms; < 0 for never) as stored; a time too new for the epoch moves it on. */
  encodeTime(t: number): number {
    if (t < 0) return NEVER;
    let d = t - this.epoch;
    if (d > NEWEST) {
      this.rebase(t - REBASE_STEP);
      d = t - this.epoch;
    }
    return d < OLDEST ? OLDEST : d;
  }

  private decodeTime(v: number): number {
    return v === NEVER ? -1 : this.epoch + v;
  }

  /** Moves the epoch to `epoch` (later than now): every stored time is re-expressed, the oldest clamped. */
  private rebase(epoch: number): void {
    const shift = epoch - this.epoch;
    this.epoch = epoch;
    const w = this.i32;
    // Clamped times stay >= 0 when decoded (a negative one would read as unverified).
    const lo = Math.max(OLDEST, -epoch);
    for (let p = 0; p < this.length; p++) {
      for (let i = this.base + STRIDE * p + S_RESPONSE; i <= this.base + STRIDE * p + S_QUERY; i++) {
        if (w[i] !== NEVER) w[i] = w[i] - shift < lo ? lo : w[i] - shift;
      }
    }
  }

  get bucketCount(): number {
    return this.nb;
  }

  /** First position of bucket `b`. */
  start(b: number): number {
    return b === 0 ? 0 : this.meta[META * (b - 1) + 1];
  }

  /** End of bucket `b`'s table entries (its replacements start here). */
  mainEnd(b: number): number {
    return this.meta[META * b];
  }

  /** End of bucket `b` (replacements included). */
  end(b: number): number {
    return this.meta[META * b + 1];
  }

  /** Table entries in bucket `b`. */
  size(b: number): number {
    return this.meta[META * b] - this.start(b);
  }

  replacements(b: number): number {
    return this.meta[META * b + 1] - this.meta[META * b];
  }

  verified(b: number): number {
    return this.meta[META * b + 2];
  }

  lastChanged(b: number): number {
    return this.meta[META * b + 3];
  }

  setLastChanged(b: number, now: number): void {
    this.meta[META * b + 3] = now;
  }

  /** The bucket holding position `p`. */
  bucketOf(p: number): number {
    let b = 0;
    while (this.meta[META * b + 1] <= p) b++;
    return b;
  }

  // ---- fields ----

  /** Last response, clock ms (-1 while unverified). */
  lastResponse(p: number): number {
    return this.decodeTime(this.i32[this.base + STRIDE * p + S_RESPONSE]);
  }

  isVerified(p: number): boolean {
    return this.i32[this.base + STRIDE * p + S_RESPONSE] !== NEVER;
  }

  /** Marks a response at `t` (whole clock ms): the entry becomes verified (the bucket's count follows). */
  setLastResponse(p: number, t: number): void {
    const v = this.encodeTime(t);
    const i = this.base + STRIDE * p + S_RESPONSE;
    if (this.i32[i] === NEVER && v !== NEVER) this.meta[META * this.bucketOf(p) + 2]++;
    this.i32[i] = v;
  }

  /** Last query from it, clock ms (-1 when never). */
  lastQuery(p: number): number {
    return this.decodeTime(this.i32[this.base + STRIDE * p + S_QUERY]);
  }

  setLastQuery(p: number, t: number): void {
    const v = this.encodeTime(t);
    this.i32[this.base + STRIDE * p + S_QUERY] = v;
  }

  /** `max(lastQuery, lastResponse)`, clock ms (NEVER sorts below every time). */
  lastSeen(p: number): number {
    const q = this.i32[this.base + STRIDE * p + S_QUERY];
    const r = this.i32[this.base + STRIDE * p + S_RESPONSE];
    return this.decodeTime(q > r ? q : r);
  }

  failures(p: number): number {
    return (this.i32[this.base + STRIDE * p + S_PORT] >>> 16) & MAX_FAILURES_COUNTED;
  }

  setFailures(p: number, n: number): void {
    const i = this.base + STRIDE * p + S_PORT;
    const f = n < MAX_FAILURES_COUNTED ? n : MAX_FAILURES_COUNTED;
    this.i32[i] = (this.i32[i] & (PORT_MASK | V6)) | (f << 16);
  }

  rtt(p: number): number {
    return this.i32[this.base + STRIDE * p + S_RTT];
  }

  setRtt(p: number, ms: number): void {
    this.i32[this.base + STRIDE * p + S_RTT] = ms;
  }

  port(p: number): number {
    return this.i32[this.base + STRIDE * p + S_PORT] & PORT_MASK;
  }

  /** The IPv6 host, or null for IPv4. */
  host6(p: number): string | null {
    return (this.i32[this.base + STRIDE * p + S_PORT] & V6) === 0 ? null : (this.host6s as (string | null)[])[p];
  }

  /** Signed IPv4 address (0 for IPv6). */
  ip(p: number): number {
    return this.i32[this.base + STRIDE * p + S_IP];
  }

  /** The id as a binary string. */
  id(p: number): NodeId {
    const w = this.i32;
    const o = this.base + STRIDE * p;
    const a = w[p], b = w[o], c = w[o + 1], d = w[o + 2], e = w[o + 3];
    return String.fromCharCode(
      a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255, b >>> 24, (b >>> 16) & 255, (b >>> 8) & 255, b & 255,
      c >>> 24, (c >>> 16) & 255, (c >>> 8) & 255, c & 255, d >>> 24, (d >>> 16) & 255, (d >>> 8) & 255, d & 255,
      e >>> 24, (e >>> 16) & 255, (e >>> 8) & 255, e & 255);
  }

  /** Writes the id's 20 bytes into `out` at `o`. */
  writeId(p: number, out: Uint8Array, o: number): void {
    const w = this.i32;
    const b = this.base + STRIDE * p;
    writeWord(out, o, w[p]);
    for (let k = 0; k < 4; k++) writeWord(out, o + 4 + 4 * k, w[b + k]);
  }

  address(p: number): Address {
    return { host: this.host6(p) ?? formatIPv4(this.ip(p)), port: this.port(p) };
  }

  /** A contact for the entry (a new object; the table keeps no objects). */
  contact(p: number): PackedContact {
    return new PackedContact(this.id(p), this.ip(p), this.host6(p), this.port(p));
  }

  /** Whether the entry's id is the five words at `w[o]`. */
  idIs(p: number, w: Int32Array, o: number): boolean {
    const e = this.i32;
    const i = this.base + STRIDE * p;
    return e[p] === w[o] && e[i] === w[o + 1] && e[i + 1] === w[o + 2] && e[i + 2] === w[o + 3] && e[i + 3] === w[o + 4];
  }

  /** Whether the entry is at `a`; `v4` is `parseIPv4(a.host)`. */
  isAt(p: number, a: Address, v4: number): boolean {
    const pw = this.i32[this.base + STRIDE * p + S_PORT];
    if ((pw & PORT_MASK) !== a.port) return false;
    if (v4 >= 0) return (pw & V6) === 0 && this.i32[this.base + STRIDE * p + S_IP] === (v4 | 0);
    return (pw & V6) !== 0 && (this.host6s as (string | null)[])[p] === a.host;
  }

  /** Whether the entry is at the address of `r`. */
  sameAddress(p: number, r: EntryRecord): boolean {
    const pw = this.i32[this.base + STRIDE * p + S_PORT];
    const rw = r.i32[PORT];
    if ((pw & (PORT_MASK | V6)) !== (rw & (PORT_MASK | V6))) return false;
    if ((pw & V6) === 0) return this.i32[this.base + STRIDE * p + S_IP] === r.i32[IP];
    return (this.host6s as (string | null)[])[p] === r.host6;
  }

  /** Position of the entry with id words `w[o]` among `[from, to)`, or -1. */
  findId(from: number, to: number, w: Int32Array, o: number): number {
    const e = this.i32;
    const w0 = w[o];
    // The first words are a column of their own: a scan reads 16 entries a cache line.
    for (let p = from; p < to; p++) if (e[p] === w0 && this.idIs(p, w, o)) return p;
    return -1;
  }

  /** Position of the table entry (in any bucket) at `address` (`v4` is its parsed IPv4), or -1. */
  findAddress(address: Address, v4: number): number {
    for (let b = 0; b < this.nb; b++) {
      for (let p = this.start(b), end = this.mainEnd(b); p < end; p++) if (this.isAt(p, address, v4)) return p;
    }
    return -1;
  }

  /** Whether a table entry (in any bucket) is at the address of `r`. */
  holdsAddress(r: EntryRecord): boolean {
    for (let b = 0; b < this.nb; b++) {
      for (let p = this.start(b), end = this.mainEnd(b); p < end; p++) if (this.sameAddress(p, r)) return true;
    }
    return false;
  }

  // ---- moving entries ----

  /** Copies entry `p` out into `r`. */
  read(p: number, r: EntryRecord): void {
    const w = this.i32;
    const o = this.base + STRIDE * p;
    const out = r.i32;
    out[0] = w[p];
    for (let k = 0; k < STRIDE; k++) out[k + 1] = w[o + k];
    r.host6 = this.host6(p);
  }

  /** Adds `r` at the end of bucket `b`'s table entries. */
  insertMain(b: number, r: EntryRecord): number {
    const p = this.mainEnd(b);
    this.openGap(p, b, true);
    this.write(p, r);
    if (r.verified) this.meta[META * b + 2]++;
    return p;
  }

  /** Adds `r` at the end of bucket `b`'s replacement cache (the newest). */
  insertReplacement(b: number, r: EntryRecord): number {
    const p = this.end(b);
    this.openGap(p, b, false);
    this.write(p, r);
    return p;
  }

  /** Overwrites table entry `p` of bucket `b` with `r` (in place: the order is kept). */
  replaceAt(b: number, p: number, r: EntryRecord): void {
    if (this.isVerified(p)) this.meta[META * b + 2]--;
    this.write(p, r);
    if (r.verified) this.meta[META * b + 2]++;
  }

  /** Removes the entry at `p` (of bucket `b`); the ones after it move up. */
  removeAt(b: number, p: number): void {
    const meta = this.meta;
    const main = p < meta[META * b];
    if (main && this.isVerified(p)) meta[META * b + 2]--;
    const base = this.base;
    this.i32.copyWithin(p, p + 1, this.length);
    this.i32.copyWithin(base + STRIDE * p, base + STRIDE * (p + 1), base + STRIDE * this.length);
    if (this.host6s !== null) {
      this.host6s.copyWithin(p, p + 1, this.length);
      this.host6s[this.length - 1] = null;
    }
    this.length--;
    if (main) meta[META * b]--;
    meta[META * b + 1]--;
    for (let j = b + 1; j < this.nb; j++) {
      meta[META * j]--;
      meta[META * j + 1]--;
    }
  }

  /**
   * Removes the last bucket's entries and returns them (copied into scratch space that the
   * next call reuses: read them before splitting another table), with how many there are
   * and how many were table entries; the bucket stays, empty.
   */
  takeLastBucket(): { entries: Int32Array; count: number; host6: (string | null)[] | null; main: number } {
    const b = this.nb - 1;
    const from = this.start(b);
    const count = this.length - from;
    // A big simulation splits tables millions of times; a new typed array each time cost a
    // V8 marking step apiece once array buffers held gigabytes (docs/dht.md, "Array buffers").
    const entries = splitScratch(ENTRY_WORDS * count);
    const w = this.i32;
    for (let p = from, k = 0; p < this.length; p++, k += ENTRY_WORDS) {
      entries[k] = w[p];
      for (let i = 0, o = this.base + STRIDE * p; i < STRIDE; i++) entries[k + 1 + i] = w[o + i];
    }
    const out = {
      entries,
      count,
      host6: this.host6s === null ? null : this.host6s.slice(from, this.length),
      main: this.mainEnd(b) - from,
    };
    if (this.host6s !== null) this.host6s.fill(null, from, this.length);
    this.length = from;
    this.meta[META * b] = from;
    this.meta[META * b + 1] = from;
    this.meta[META * b + 2] = 0;
    return out;
  }

  /** Appends an empty bucket. */
  addBucket(now: number): void {
    const n = META * this.nb;
    const meta = new Array<number>(n + META);
    for (let i = 0; i < n; i++) meta[i] = this.meta[i];
    meta[META * this.nb] = this.length;
    meta[META * this.nb + 1] = this.length;
    meta[META * this.nb + 2] = 0;
    meta[META * this.nb + 3] = now;
    this.meta = meta;
    this.nb++;
  }

  private write(p: number, r: EntryRecord): void {
    const w = this.i32;
    const o = this.base + STRIDE * p;
    const src = r.i32;
    w[p] = src[0];
    for (let k = 0; k < STRIDE; k++) w[o + k] = src[k + 1];
    if (r.host6 !== null) {
      this.host6s ??= new Array<string | null>(this.capacity).fill(null);
      this.host6s[p] = r.host6;
    } else if (this.host6s !== null) this.host6s[p] = null;
  }

  /** Makes room at `p` (in bucket `b`: a table entry when `main`, else a replacement). */
  private openGap(p: number, b: number, main: boolean): void {
    if (this.length === this.capacity) this.grow();
    const base = this.base;
    this.i32.copyWithin(p + 1, p, this.length);
    this.i32.copyWithin(base + STRIDE * (p + 1), base + STRIDE * p, base + STRIDE * this.length);
    if (this.host6s !== null) this.host6s.copyWithin(p + 1, p, this.length);
    this.length++;
    const meta = this.meta;
    if (main) meta[META * b]++;
    meta[META * b + 1]++;
    for (let j = b + 1; j < this.nb; j++) {
      meta[META * j]++;
      meta[META * j + 1]++;
    }
  }

  private grow(): void {
    // An eighth more. Tables are many and grow slowly, so slack costs memory (a quarter left
    // 11% of a big simulation's table memory unused, an eighth ~6%, a sixteenth ~3%); but each
    // step is a new array buffer, and once a simulation's buffers hold gigabytes each costs a
    // V8 marking step (docs/dht.md, "Array buffers"): an eighth takes a table from 32 to 110
    // entries in 7 steps, a sixteenth in 11.
    const cap = (this.capacity + (this.capacity >> 3) + 4) & ~1;
    const i32 = takeBuffer(cap * (STRIDE + 1));
    i32.set(this.i32.subarray(0, this.length));
    i32.set(this.i32.subarray(this.base, this.base + STRIDE * this.length), cap);
    this.base = cap;
    giveBuffer(this.i32);
    this.i32 = i32;
    if (this.host6s !== null) for (let i = this.capacity; i < cap; i++) this.host6s.push(null);
    this.capacity = cap;
  }
}

/** A 32-bit word, big-endian, into `out` at `o`. */
function writeWord(out: Uint8Array, o: number, x: number): void {
  out[o] = x >>> 24;
  out[o + 1] = (x >>> 16) & 0xff;
  out[o + 2] = (x >>> 8) & 0xff;
  out[o + 3] = x & 0xff;
}
