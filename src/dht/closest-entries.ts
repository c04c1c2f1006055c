/**
 * The closest entries of a packed routing table (./packed-entries.ts) to a target. Only the
 * buckets that can hold them are looked at: the target's bucket, then those nearer our id,
 * then farther ones in order (every node of each group is closer than any of the next, so
 * the first group that fills the count ends the search). Each is a bounded insertion over
 * the packed entries (most cost one comparison on the column of first id words), not a sort.
 */
import { COMPACT_NODE_V4, COMPACT_NODE_V6, ipBytes, type Family, type PackedContact } from './compact.js';
import type { NodeId } from './node-id.js';
import { STRIDE, writeIdWords } from './entry-record.js';
import type { PackedEntries } from './packed-entries.js';

// Scratch space (synchronous, never re-entered): the target's words, the positions kept so
// far and their first distance word.
const TARGET = new Int32Array(5);
let keptPos = new Int32Array(64);
let keptD0 = new Float64Array(64);
// `closestCompact`'s output, per family (a reply may carry both `nodes` and `nodes6`).
let compact4 = new Uint8Array(16 * 26);
let compact6 = new Uint8Array(16 * 38);

/**
 * Up to `count` entries closest to `target` (whose bucket is `start`), closest first, as new
 * contacts; `live` keeps only entries that answered us and have not failed since.
 */
export function closestEntries(e: PackedEntries, start: number, target: NodeId, count: number, live: boolean): PackedContact[] {
  const n = select(e, start, target, count, live);
  const out: PackedContact[] = new Array<PackedContact>(n);
  for (let j = 0; j < n; j++) out[j] = e.contact(keptPos[j]);
  return out;
}

/**
 * The same entries as compact node info (BEP 5 `nodes` / BEP 32 `nodes6`, closest first),
 * written straight from the table: a reply's 8-16 contacts and id strings were a third of
 * the garbage a big simulation made. Entries of the other family and port 0 are skipped.
 * The bytes are a view of scratch space, one per family, valid until the next call for that
 * family: a reply encodes them at once. (A `Buffer` from Node's pool cost a new 8 KB array
 * buffer every ~40 replies, and at a million simulated nodes each new array buffer cost a V8
 * marking step: docs/dht.md, "Array buffers".)
 */
export function closestCompact(e: PackedEntries, start: number, target: NodeId, count: number, live: boolean, family: Family): Uint8Array {
  const n = select(e, start, target, count, live);
  const size = family === 4 ? COMPACT_NODE_V4 : COMPACT_NODE_V6;
  const out = compactScratch(family, n * size);
  let o = 0;
  for (let j = 0; j < n; j++) {
    const p = keptPos[j];
    const port = e.port(p);
    const host6 = e.host6(p);
    if (port === 0 || (host6 === null) !== (family === 4)) continue;
    e.writeId(p, out, o);
    if (host6 === null) {
      const ip = e.ip(p);
      out[o + 20] = ip >>> 24;
      out[o + 21] = (ip >>> 16) & 0xff;
      out[o + 22] = (ip >>> 8) & 0xff;
      out[o + 23] = ip & 0xff;
    } else {
      const ip = ipBytes(host6);
      if (ip === undefined || ip.length !== 16) continue;
      out.set(ip, o + 20);
    }
    out[o + size - 2] = port >>> 8;
    out[o + size - 1] = port & 0xff;
    o += size;
  }
  return out.subarray(0, o);
}

/** `closestCompact`'s scratch space for `family`, at least `bytes` long. */
function compactScratch(family: Family, bytes: number): Uint8Array {
  if (family === 4) return compact4.length >= bytes ? compact4 : (compact4 = new Uint8Array(2 * bytes));
  return compact6.length >= bytes ? compact6 : (compact6 = new Uint8Array(2 * bytes));
}

/** Fills `keptPos` with the closest entries; returns how many. */
function select(e: PackedEntries, start: number, target: NodeId, count: number, live: boolean): number {
  if (keptPos.length < count) {
    keptPos = new Int32Array(count);
    keptD0 = new Float64Array(count);
  }
  writeIdWords(target, TARGET, 0);
  let n = mergeRange(e, e.start(start), e.mainEnd(start), count, 0, live);
  if (n < count) {
    for (let i = start + 1; i < e.bucketCount; i++) n = mergeRange(e, e.start(i), e.mainEnd(i), count, n, live);
    for (let i = start - 1; i >= 0 && n < count; i--) n = mergeRange(e, e.start(i), e.mainEnd(i), count, n, live);
  }
  return n;
}

/** Merges entries `[from, to)` into the `n` kept (at most `count`); returns the new `n`. */
function mergeRange(e: PackedEntries, from: number, to: number, count: number, n: number, live: boolean): number {
  const w = e.i32;
  const t0 = TARGET[0];
  for (let p = from; p < to; p++) {
    const d0 = (w[p] ^ t0) >>> 0; // the column of first words
    // Farther by the first word than the last kept entry: out without a full compare.
    if (n === count && d0 > keptD0[count - 1]) continue;
    if (live && (e.failures(p) !== 0 || !e.isVerified(p))) continue;
    if (n === count && farther(e, p, d0, count - 1) >= 0) continue;
    let j = n < count ? n++ : count - 1;
    while (j > 0 && farther(e, p, d0, j - 1) < 0) {
      keptPos[j] = keptPos[j - 1];
      keptD0[j] = keptD0[j - 1];
      j--;
    }
    keptPos[j] = p;
    keptD0[j] = d0;
  }
  return n;
}

/** Entry `p` (first distance word `d0`) against the kept entry `j`: < 0 when `p` is closer to the target. */
function farther(e: PackedEntries, p: number, d0: number, j: number): number {
  const dj = keptD0[j];
  if (d0 !== dj) return d0 - dj;
  const w = e.i32;
  // Id words 1-4 lead each entry's words after the column.
  const a = e.base + STRIDE * p - 1;
  const b = e.base + STRIDE * keptPos[j] - 1;
  for (let i = 1; i < 5; i++) {
    const t = TARGET[i];
    const da = (w[a + i] ^ t) >>> 0;
    const db = (w[b + i] ^ t) >>> 0;
    if (da !== db) return da - db;
  }
  return 0;
}
