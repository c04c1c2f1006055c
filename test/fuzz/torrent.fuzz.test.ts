/**
 * Fuzzing the .torrent parser. Seeds are real torrents made with `createTorrent` (v1, v2 and
 * hybrid; single and multi-file with nested directories and an empty file); they are mutated
 * byte by byte and structurally (decoded, the value tree changed, re-encoded). For every input
 * `parseTorrent` must either throw `TorrentParseError` or return a Torrent that keeps its own
 * invariants, and it must never hang. Everything runs with a fixed seed, so a failure replays.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import fc from 'fast-check';
import { decode } from '../../src/bencode/decode.js';
import { encode } from '../../src/bencode/encode.js';
import { keyText, textKey, type BDict, type BList, type BValue } from '../../src/bencode/types.js';
import { type CreateTorrentOptions } from '../../src/metainfo/create.js';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import { TorrentParseError } from '../../src/metainfo/errors.js';
import { PARSE_TORRENT_DEFAULTS, parseTorrent, type ParseTorrentOptions, type Torrent } from '../../src/metainfo/torrent.js';
import { validatePathComponents } from '../../src/storage/path-safety.js';

const SEED = 20240715;
const CORPUS = resolve(import.meta.dirname, '..', '..', '..', 'test', 'fuzz', 'corpus', 'torrent');
/**
 * A single parse slower than this counts as a hang. Not a speed assertion (machines are
 * noisy and shared): it only catches runaway work such as quadratic blow-ups.
 */
const SLOW_MS = 60_000;

// ---------------------------------------------------------------------------------------------
// Checking one input

/** Limits some cases run under, so that the limits themselves get fuzzed. */
const OPTION_SETS: readonly (ParseTorrentOptions | undefined)[] = [
  undefined,
  undefined,
  { maxFiles: 4, maxPathDepth: 2, maxPieces: 6 },
  { maxSize: 700, maxPathDepth: 31 },
  { maxTokens: 120 },
  { maxDuplicateFilenames: 1, maxPieceLength: 32768 },
];

const stats = { parsed: 0, accepted: 0, slowestMs: 0, largeInputsMs: 0 };

function describeInput(input: Uint8Array): string {
  const head = Buffer.from(input.subarray(0, 300)).toString('latin1');
  return `${input.length} bytes: ${JSON.stringify(head)}${input.length > 300 ? '…' : ''}`;
}

/** Parses; a TorrentParseError is fine, anything else fails; a Torrent must keep its invariants. */
function check(input: Uint8Array, options?: ParseTorrentOptions): Torrent | undefined {
  const started = performance.now();
  let t: Torrent;
  try {
    t = parseTorrent(input, options);
  } catch (e) {
    if (e instanceof TorrentParseError) return undefined;
    throw new Error(`parseTorrent threw a non-TorrentParseError (${String(e)}) for ${describeInput(input)}`, { cause: e });
  } finally {
    const ms = performance.now() - started;
    stats.parsed++;
    stats.slowestMs = Math.max(stats.slowestMs, ms);
    assert.ok(ms < SLOW_MS, `parseTorrent took ${ms.toFixed(0)} ms on ${describeInput(input)}`);
  }
  stats.accepted++;
  try {
    assertInvariants(t, input, { ...PARSE_TORRENT_DEFAULTS, ...options });
  } catch (e) {
    throw new Error(`Torrent breaks an invariant (${(e as Error).message}) for ${describeInput(input)}`, { cause: e });
  }
  return t;
}

const isPow2 = (n: number): boolean => Number.isSafeInteger(n) && n > 0 && (BigInt(n) & (BigInt(n) - 1n)) === 0n;
const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(a, b) === 0;

function assertInvariants(t: Torrent, input: Uint8Array, o: Required<ParseTorrentOptions>): void {
  const { layout } = t;
  const hasV1 = t.version !== 'v2', hasV2 = t.version !== 'v1';
  assert.ok(['v1', 'v2', 'hybrid'].includes(t.version), 'version');
  assert.ok(input.length <= o.maxSize, 'maxSize');

  // Info hashes: present exactly for the versions they belong to, over the original info bytes.
  assert.equal(t.infoBytes.buffer, input.buffer, 'infoBytes is a view into the input');
  const infoDict = decode(t.infoBytes, { strict: false, maxDepth: o.maxPathDepth + 8 });
  assert.ok(infoDict instanceof Map, 'infoBytes is a bencoded dict');
  const rawName = infoDict.get('name.utf-8') ?? infoDict.get('name');
  assert.ok(rawName instanceof Uint8Array && new TextDecoder().decode(rawName) === t.name, 'infoBytes is the info dict that was parsed');
  assert.equal(t.infoHashV1 !== undefined, hasV1, 'infoHashV1 present iff v1');
  assert.equal(t.infoHashV2 !== undefined, hasV2, 'infoHashV2 present iff v2');
  if (t.infoHashV1) {
    assert.equal(t.infoHashV1.length, 20, 'infoHashV1 is 20 bytes');
    assert.ok(sameBytes(t.infoHashV1, createHash('sha1').update(t.infoBytes).digest()), 'infoHashV1 is the SHA-1 of infoBytes');
  }
  if (t.infoHashV2) {
    assert.equal(t.infoHashV2.length, 32, 'infoHashV2 is 32 bytes');
    assert.ok(sameBytes(t.infoHashV2, createHash('sha256').update(t.infoBytes).digest()), 'infoHashV2 is the SHA-256 of infoBytes');
  }

  // Pieces.
  assert.ok(Number.isSafeInteger(t.pieceLength) && t.pieceLength > 0, 'pieceLength is a positive safe integer');
  assert.ok(t.pieceLength <= o.maxPieceLength, 'maxPieceLength');
  if (hasV2) assert.ok(isPow2(t.pieceLength) && t.pieceLength >= 16384, `v2 pieceLength ${t.pieceLength} is a power of two >= 16 KiB`);
  assert.equal(layout.pieceLength, t.pieceLength, 'layout.pieceLength');
  assert.equal(t.pieceCount, layout.pieceCount, 'pieceCount === layout.pieceCount');
  assert.ok(Number.isSafeInteger(layout.totalLength), `totalLength ${layout.totalLength} is a safe integer`);
  assert.equal(t.pieceCount, Math.ceil(layout.totalLength / t.pieceLength), 'pieceCount covers the piece space');
  assert.ok(t.pieceCount <= o.maxPieces, 'maxPieces');
  if (hasV1) {
    assert.ok(t.pieces instanceof Uint8Array, 'v1 has pieces');
    assert.equal(t.pieces.length, 20 * t.pieceCount, 'pieces is 20 * pieceCount bytes');
  } else {
    assert.equal(t.pieces, undefined, 'v2 has no pieces');
  }

  // The piece space: contiguous, exact, every real file's path safe.
  assert.ok(layout.files.length > 0, 'at least one file');
  let offset = 0, real = 0, sum = 0;
  for (const [i, f] of layout.files.entries()) {
    const where = `file ${i} ${JSON.stringify(f.path)}`;
    assert.ok(Number.isSafeInteger(f.length) && f.length >= 0, `${where}: length is a safe non-negative integer`);
    assert.equal(f.offset, offset, `${where}: offsets are increasing and contiguous`);
    offset += f.length;
    if (f.pad) {
      assert.equal(f.piecesRoot, undefined, `${where}: a pad has no pieces root`);
      continue;
    }
    real++;
    sum += f.length;
    assert.ok(f.path.length >= 1 && f.path.length <= o.maxPathDepth, `${where}: path depth within 1..maxPathDepth`);
    for (const c of f.path) {
      assert.equal(typeof c, 'string');
      assert.ok(c !== '' && c !== '.' && c !== '..', `${where}: component ${JSON.stringify(c)}`);
      assert.ok(!c.includes('/') && !c.includes('\\') && !c.includes('\u0000'), `${where}: component ${JSON.stringify(c)} has a separator or NUL`);
      // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
      assert.ok(!/[\u0000-\u001f]/.test(c) && !/^[A-Za-z]:/.test(c), `${where}: component ${JSON.stringify(c)}`);
    }
    // Already sanitised: validating again changes nothing.
    assert.deepEqual(validatePathComponents(f.path), [...f.path], `${where}: path is sanitised`);
    if (hasV2) {
      if (f.length > 0) {
        assert.ok(f.piecesRoot instanceof Uint8Array && f.piecesRoot.length === 32, `${where}: a 32-byte pieces root`);
        assert.equal(f.offset % t.pieceLength, 0, `${where}: a v2 file starts on a piece boundary`);
        if (f.length > t.pieceLength) {
          const layer = t.pieceLayers.get(Buffer.from(f.piecesRoot).toString('latin1'));
          assert.ok(layer instanceof Uint8Array, `${where}: has its piece layer`);
          assert.equal(layer.length, 32 * Math.ceil(f.length / t.pieceLength), `${where}: piece layer length`);
        }
      } else {
        assert.equal(f.piecesRoot, undefined, `${where}: an empty file has no pieces root`);
      }
    } else {
      assert.equal(f.piecesRoot, undefined, `${where}: a v1 file has no pieces root`);
    }
  }
  assert.equal(layout.totalLength, offset, 'totalLength is the end of the last file');
  assert.ok(real >= 1 && real <= o.maxFiles, `${real} real files, within 1..maxFiles`);
  assert.equal(t.length, sum, 'length is the sum of the real files');
  if (!hasV2) assert.equal(t.pieceLayers.size, 0, 'v1 has no piece layers');
  for (const [key, layer] of t.pieceLayers) {
    assert.equal(key.length, 32, 'piece layers are keyed by 32-byte roots');
    assert.ok(layer.length > 0 && layer.length % 32 === 0, 'a piece layer is whole hashes');
  }

  // No two real files share a path on disk, even case-folded, and no file sits where a directory goes.
  const fold = (c: string): string => c.normalize('NFC').toLowerCase();
  const onDisk = new Set<string>(), dirs = new Set<string>();
  for (const f of layout.files) {
    if (f.pad) continue;
    const parts = f.path.map(fold);
    const key = parts.join('/');
    assert.ok(!onDisk.has(key), `two files on ${JSON.stringify(key)}`);
    onDisk.add(key);
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  for (const key of onDisk) assert.ok(!dirs.has(key), `a file where a directory goes: ${JSON.stringify(key)}`);

  // Name and shape.
  assert.equal(typeof t.name, 'string');
  assert.doesNotThrow(() => validatePathComponents([t.name]), `name ${JSON.stringify(t.name)} is a safe path component`);
  if (!t.multiFile) {
    assert.equal(real, 1, 'a single-file torrent has one file');
    assert.equal(layout.files.find((f) => !f.pad)?.path.length, 1, 'a single-file torrent has a one-component path');
  }
  if (t.version === 'v1' && !t.multiFile) assert.deepEqual(layout.files[0].path, validatePathComponents([t.name]), 'v1 single-file path is the name');

  // The rest.
  assert.equal(typeof t.private, 'boolean');
  for (const tier of t.trackers) {
    assert.ok(tier.length > 0, 'no empty tracker tier');
    for (const u of tier) assert.ok(typeof u === 'string' && u.length > 0, 'tracker URLs are non-empty strings');
  }
  for (const u of t.webSeeds) assert.equal(typeof u, 'string');
  for (const s of [t.comment, t.createdBy]) assert.ok(s === undefined || typeof s === 'string');
  assert.ok(t.creationDate === undefined || Number.isSafeInteger(t.creationDate));
}

// ---------------------------------------------------------------------------------------------
// Seeds

interface Seed {
  readonly label: string;
  readonly bytes: Uint8Array;
  readonly value: BDict;
}
const seeds: Seed[] = [];

function data(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'shoal-torrent-fuzz-'));
  try {
    mkdirSync(join(dir, 'multi', 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(dir, 'multi', 'a.bin'), data(40_000, 1));
    writeFileSync(join(dir, 'multi', 'empty.txt'), '');
    writeFileSync(join(dir, 'multi', 'sub', 'b.bin'), data(16_384, 2));
    writeFileSync(join(dir, 'multi', 'sub', 'deeper', 'c.bin'), data(50_001, 3));
    writeFileSync(join(dir, 'multi', 'sub', 'deeper', 'd'), data(3, 4));
    writeFileSync(join(dir, 'multi', 'z.txt'), data(100, 5));
    writeFileSync(join(dir, 'single.bin'), data(70_000, 6));
    const base: CreateTorrentOptions = { creationDate: null, threads: 0, pieceLength: 16384 };
    const extras: CreateTorrentOptions = {
      trackers: [['http://a.example/announce', 'http://b.example/announce'], 'udp://c.example:80'],
      webSeeds: ['http://seed.example/'],
      comment: 'fuzz seed',
      private: true,
    };
    const specs: [string, string, CreateTorrentOptions][] = [
      ['v1 multi', 'multi', { version: 'v1', ...extras }],
      ['v2 multi', 'multi', { version: 'v2' }],
      ['hybrid multi', 'multi', { version: 'hybrid', ...extras }],
      ['hybrid multi 32k', 'multi', { version: 'hybrid', pieceLength: 32768 }],
      ['v1 single 20000', 'single.bin', { version: 'v1', pieceLength: 20000 }],
      ['v2 single', 'single.bin', { version: 'v2' }],
      ['hybrid single 32k', 'single.bin', { version: 'hybrid', pieceLength: 32768, ...extras }],
    ];
    for (const [label, src, opts] of specs) {
      const { bytes } = await createTorrent(join(dir, src), { ...base, ...opts });
      seeds.push({ label, bytes, value: decode(bytes) as BDict });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Byte-level mutations

type ByteOp =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'cut'; at: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'splice'; at: number; from: number; start: number; length: number; replace: boolean }
  | { kind: 'duplicate'; at: number; length: number; to: number }
  | { kind: 'digits'; which: number; how: number; pick: number };

const byteOp: fc.Arbitrary<ByteOp> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0, 0x2d, 0x30, 0x31, 0x39, 0x3a, 0x64, 0x65, 0x69, 0x6c, 0x7f, 0xff) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 40 }) }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), from: fc.nat(), start: fc.nat(), length: fc.integer({ min: 1, max: 120 }), replace: fc.boolean() }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 120 }), to: fc.nat() }),
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('digits' as const), which: fc.nat(), how: fc.nat(), pick: fc.nat() }) },
);

const NUMBER_TEXTS = ['0', '1', '2', '19', '20', '21', '31', '32', '33', '16383', '16384', '16385', '32768', '65536', '1099511627776', '1125899906842625', '4503599627370496', '9007199254740991', '9007199254740992', '18446744073709551616', '1' + '0'.repeat(40)];

const cat = (...parts: Uint8Array[]): Uint8Array => Uint8Array.from(Buffer.concat(parts));
const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));

/** Runs of ASCII digits; `integer` ones sit inside `i…e` (the rest are mostly string lengths). */
function digitRuns(input: Uint8Array): { start: number; end: number; integer: boolean }[] {
  const runs: { start: number; end: number; integer: boolean }[] = [];
  for (let i = 0; i < input.length; i++) {
    if (input[i] < 0x30 || input[i] > 0x39) continue;
    const start = i;
    while (i < input.length && input[i] >= 0x30 && input[i] <= 0x39) i++;
    const before = input[start - 1], before2 = input[start - 2];
    runs.push({ start, end: i, integer: before === 0x69 || (before === 0x2d && before2 === 0x69) });
  }
  return runs;
}

function mutateBytes(input: Uint8Array, op: ByteOp): Uint8Array {
  const n = input.length;
  const at = 'at' in op ? op.at % (n + 1) : 0;
  switch (op.kind) {
    case 'flip': {
      if (n === 0) return input;
      const out = input.slice();
      out[op.at % n] ^= 1 << op.bit;
      return out;
    }
    case 'set': {
      if (n === 0) return input;
      const out = input.slice();
      out[op.at % n] = op.byte;
      return out;
    }
    case 'cut':
      return input.slice(0, at);
    case 'delete':
      return cat(input.subarray(0, at), input.subarray(at + op.length));
    case 'splice': {
      const other = seeds[op.from % seeds.length].bytes;
      const start = op.start % other.length;
      const chunk = other.subarray(start, start + op.length);
      return cat(input.subarray(0, at), chunk, input.subarray(op.replace ? at + chunk.length : at));
    }
    case 'duplicate': {
      const chunk = input.subarray(at, at + op.length);
      const to = op.to % (n + 1);
      return cat(input.subarray(0, to), chunk, input.subarray(to));
    }
    case 'digits': {
      const all = digitRuns(input);
      const ints = all.filter((r) => r.integer);
      const runs = op.which % 3 !== 0 && ints.length > 0 ? ints : all;
      if (runs.length === 0) return input;
      const r = runs[Math.floor(op.which / 3) % runs.length];
      const text = Buffer.from(input.subarray(r.start, r.end)).toString('latin1');
      const value = BigInt(text);
      let replacement: string;
      switch (op.how % 8) {
        case 0: replacement = NUMBER_TEXTS[op.pick % NUMBER_TEXTS.length]; break;
        case 1: replacement = String(value + BigInt((op.pick % 41) - 20)); break;
        case 2: replacement = String(value * 2n); break;
        case 3: replacement = String(value / 2n); break;
        case 4: replacement = `-${text}`; break;
        case 5: { // change one digit
          const i = op.pick % text.length;
          replacement = text.slice(0, i) + String((op.pick >> 4) % 10) + text.slice(i + 1);
          break;
        }
        case 6: replacement = text + String(op.pick % 10); break;
        default: replacement = text.length > 1 ? text.slice(1) : '';
      }
      if (replacement.startsWith('--')) replacement = replacement.slice(1);
      return cat(input.subarray(0, r.start), ascii(replacement), input.subarray(r.end));
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Structure-aware mutations

/** A small deterministic PRNG (mulberry32), so each structural op is a replayable seed. */
class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

const text = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'utf8'));
const isDictV = (v: BValue | undefined): v is BDict => v instanceof Map;
const isListV = (v: BValue | undefined): v is BList => Array.isArray(v);

function clone(v: BValue): BValue {
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, clone(x)]));
  if (Array.isArray(v)) return v.map(clone);
  return v;
}

/** Encodes dict keys in insertion order (so unsorted and oddly ordered dicts reach the parser). */
function encodeAsIs(v: BValue): Uint8Array {
  const parts: Uint8Array[] = [];
  const w = (x: BValue): void => {
    if (x instanceof Uint8Array) {
      parts.push(ascii(`${x.length}:`), x);
    } else if (typeof x === 'number' || typeof x === 'bigint') {
      parts.push(ascii(`i${x}e`));
    } else if (isListV(x)) {
      parts.push(ascii('l'));
      x.forEach(w);
      parts.push(ascii('e'));
    } else {
      parts.push(ascii('d'));
      for (const [k, val] of x) {
        parts.push(ascii(`${k.length}:${k}`));
        w(val);
      }
      parts.push(ascii('e'));
    }
  };
  w(v);
  return cat(...parts);
}

interface Slot {
  readonly parent: BDict | BList;
  readonly key: string | number;
}
function setSlot(s: Slot, v: BValue): void {
  if (s.parent instanceof Map) s.parent.set(s.key as string, v);
  else s.parent[s.key as number] = v;
}
function slots(root: BValue): Slot[] {
  const out: Slot[] = [];
  const walk = (v: BValue): void => {
    if (isDictV(v)) {
      for (const [k, x] of v) {
        out.push({ parent: v, key: k });
        walk(x);
      }
    } else if (isListV(v)) {
      v.forEach((x, i) => {
        out.push({ parent: v, key: i });
        walk(x);
      });
    }
  };
  walk(root);
  return out;
}
function dicts(root: BValue): BDict[] {
  const out: BDict[] = [];
  const walk = (v: BValue): void => {
    if (isDictV(v)) {
      out.push(v);
      for (const x of v.values()) walk(x);
    } else if (isListV(v)) v.forEach(walk);
  };
  walk(root);
  return out;
}

const infoOf = (root: BDict): BDict | undefined => {
  const i = root.get('info');
  return isDictV(i) ? i : undefined;
};
const v1Files = (root: BDict): BDict[] => {
  const l = infoOf(root)?.get('files');
  return isListV(l) ? l.filter(isDictV) : [];
};
const fileTree = (root: BDict): BDict | undefined => {
  const t = infoOf(root)?.get('file tree');
  return isDictV(t) ? t : undefined;
};
/** Directory dicts of the file tree (root included) and the leaf dicts under their '' keys. */
function treeNodes(root: BDict): { dirs: BDict[]; leaves: BDict[] } {
  const dirs: BDict[] = [], leaves: BDict[] = [];
  const walk = (node: BDict, depth: number): void => {
    if (depth > 64) return;
    dirs.push(node);
    for (const [k, child] of node) {
      if (!isDictV(child)) continue;
      if (k === '') leaves.push(child);
      else walk(child, depth + 1);
    }
  };
  const tree = fileTree(root);
  if (tree) walk(tree, 0);
  return { dirs, leaves };
}
const pieceLengthOf = (root: BDict): number => {
  const p = infoOf(root)?.get('piece length');
  return typeof p === 'number' && p > 0 ? p : 16384;
};
/** Renames a dict key in place, keeping its position. */
function renameKey(d: BDict, from: string, to: string): void {
  const entries = [...d].map(([k, v]): [string, BValue] => [k === from ? to : k, v]);
  d.clear();
  for (const [k, v] of entries) if (!d.has(k)) d.set(k, v);
}

const INTERESTING_INTS: readonly (number | bigint)[] = [
  0, 1, -1, 2, 3, 19, 20, 21, 32, 16383, 16384, 16385, 20000, 32768, 65536, 2 ** 31, 2 ** 32, 2 ** 40, 2 ** 50 + 1, 2 ** 52,
  2 ** 53 - 1, -(2 ** 53 - 1), 2n ** 53n, 2n ** 64n, -(2n ** 64n),
];
const PIECE_LENGTHS: readonly (number | bigint)[] = [
  0, 1, 3, 1000, 16383, 16384, 16385, 20000, 24576, 32768, 65536, 2 ** 22, 2 ** 40, 2 ** 50 + 1, 2 ** 50 - 1, 2 ** 52, 2 ** 53 - 1, -16384, 2n ** 64n,
  // Around maxPieceLength (libtorrent's 536,854,528) and the 2 GiB piece that once aborted Node.
  536_854_528, 536_854_529, 2 ** 29, 2 ** 30, 2 ** 31,
];
const BAD_COMPONENT_TEXTS = [
  '..', '.', '', '/x', 'x/', 'a/b', '/', '\\x', 'a\\b', 'C:', 'c:evil', 'Z:\\', 'a\u0000b', '\u0000', 'a\u001fb', '\n', 'CON', 'nul.txt', 'com1',
  'a.', 'a ', ' ', 'x'.repeat(300), `${'é'.repeat(200)}.mkv`, '..\\..', '\ud800', 'ü-名前', '.pad', '..a', '...',
];
const BAD_COMPONENTS: readonly Uint8Array[] = [
  ...BAD_COMPONENT_TEXTS.map(text),
  Uint8Array.of(0xff, 0xfe), Uint8Array.of(0xc0, 0xaf), Uint8Array.of(0x2e, 0xc0, 0xae), Uint8Array.of(0xe0, 0x80, 0xae),
];
const KEYS = [
  '', 'length', 'path', 'path.utf-8', 'name', 'name.utf-8', 'files', 'file tree', 'pieces', 'pieces root', 'piece length', 'meta version',
  'attr', 'piece layers', 'info', 'private', 'announce', 'announce-list', 'url-list', 'comment', 'created by', 'creation date', 'x',
];

function interesting(r: Rng, depth = 0): BValue {
  switch (r.int(depth > 2 ? 3 : 8)) {
    case 0: return r.pick(INTERESTING_INTS);
    case 1: return r.pick(BAD_COMPONENTS);
    case 2: return r.chance(0.5) ? new Uint8Array(r.pick([0, 1, 19, 20, 21, 31, 32, 33, 40, 64])) : Uint8Array.from({ length: r.int(70) }, () => r.int(256));
    case 3: return [];
    case 4: return new Map();
    case 5: return Array.from({ length: 1 + r.int(3) }, () => interesting(r, depth + 1));
    case 6: return new Map([[r.pick(KEYS), interesting(r, depth + 1)]]);
    default: return new Map([['', new Map<string, BValue>([['length', r.pick(INTERESTING_INTS)], ['pieces root', new Uint8Array(r.pick([0, 31, 32]))]])]]);
  }
}

type Mutator = (root: BDict, r: Rng) => void;

const MUTATORS: Record<string, Mutator> = {
  replaceAnything(root, r) {
    const s = slots(root);
    if (s.length > 0) setSlot(r.pick(s), interesting(r));
  },
  deleteAnyKey(root, r) {
    const ds = dicts(root).filter((d) => d.size > 0);
    if (ds.length === 0) return;
    const d = r.pick(ds);
    d.delete(r.pick([...d.keys()]));
  },
  addAnyKey(root, r) {
    r.pick(dicts(root)).set(r.pick(KEYS), interesting(r));
  },
  changeType(root, r) {
    // Keep the key, change the value's type (int <-> bytes <-> list <-> dict).
    const s = slots(root);
    if (s.length === 0) return;
    const slot = r.pick(s);
    const cur = slot.parent instanceof Map ? slot.parent.get(slot.key as string) : slot.parent[slot.key as number];
    const options: BValue[] = [1, text('1'), [cur ?? 1], new Map([['x', cur ?? 1]])];
    if (isListV(cur) && cur.length > 0) options.push(cur[0]);
    if (isDictV(cur)) options.push([...cur.values()]);
    setSlot(slot, r.pick(options));
  },
  pieceLength(root, r) {
    infoOf(root)?.set('piece length', r.pick(PIECE_LENGTHS));
  },
  metaVersion(root, r) {
    const i = infoOf(root);
    if (!i) return;
    if (r.chance(0.2)) i.delete('meta version');
    else i.set('meta version', r.pick<BValue>([1, 3, 0, -2, 2, text('2'), 2n ** 70n, [2], new Map()]));
  },
  pieces(root, r) {
    const i = infoOf(root);
    if (!i) return;
    const p = i.get('pieces');
    const cur = p instanceof Uint8Array ? p : new Uint8Array(0);
    switch (r.int(7)) {
      case 0: i.set('pieces', cur.subarray(0, Math.max(0, cur.length - r.pick([1, 19, 20, 21, 40])))); break;
      case 1: i.set('pieces', cat(cur, new Uint8Array(r.pick([1, 19, 20, 40])))); break;
      case 2: i.set('pieces', new Uint8Array(0)); break;
      case 3: i.delete('pieces'); break;
      case 4: i.set('pieces', r.pick<BValue>([20, [], new Map(), [cur]])); break;
      case 5: i.set('pieces', cur.subarray(0, 20 * r.int(Math.floor(cur.length / 20) + 1))); break;
      default: {
        if (cur.length === 0) return;
        const out = cur.slice();
        out[r.int(out.length)] ^= 0xff;
        i.set('pieces', out);
      }
    }
  },
  fileLength(root, r) {
    const targets: BDict[] = [...v1Files(root), ...treeNodes(root).leaves];
    const i = infoOf(root);
    if (i?.has('length')) targets.push(i);
    if (targets.length === 0) return;
    const t = r.pick(targets);
    const cur = t.get('length');
    const n = typeof cur === 'number' ? cur : 0;
    const pl = pieceLengthOf(root);
    t.set('length', r.pick<BValue>([0, 1, n + 1, n - 1, n + pl, n - pl, n * 2, Math.floor(n / 2), pl, pl + 1, ...INTERESTING_INTS]));
  },
  swapLengths(root, r) {
    const sides = [v1Files(root), treeNodes(root).leaves];
    const swap = (g: BDict[]): void => {
      if (g.length < 2) return;
      const a = r.pick(g), b = r.pick(g);
      const la = a.get('length'), lb = b.get('length');
      if (la === undefined || lb === undefined) return;
      a.set('length', lb);
      b.set('length', la);
    };
    const first = r.int(2);
    swap(sides[first]);
    // Sometimes swap on the other side of a hybrid too.
    if (r.chance(0.3)) swap(sides[1 - first]);
  },
  pathComponent(root, r) {
    const bad = r.pick(BAD_COMPONENTS);
    const files = v1Files(root).filter((f) => isListV(f.get('path')) && (f.get('path') as BList).length > 0);
    const { dirs } = treeNodes(root);
    const named = dirs.filter((d) => [...d.keys()].some((k) => k !== ''));
    const badKey = Buffer.from(bad).toString('latin1');
    const doV1 = files.length > 0 && (named.length === 0 || r.chance(0.5));
    if (doV1) {
      const f = r.pick(files);
      const key = r.chance(0.2) ? 'path.utf-8' : 'path';
      const path = [...(f.get('path') as BList)];
      path[r.int(path.length)] = bad;
      f.set(key, path);
    } else if (named.length > 0) {
      const d = r.pick(named);
      renameKey(d, r.pick([...d.keys()].filter((k) => k !== '')), badKey);
    }
    // Sometimes make the other side of a hybrid agree, so the bad name is the only problem.
    if (r.chance(0.5)) {
      const info = infoOf(root);
      if (info && !info.has('files') && info.has('length')) info.set('name', bad);
    }
  },
  pathShape(root, r) {
    const files = v1Files(root);
    if (files.length === 0) return;
    const f = r.pick(files);
    const depth = r.pick([0, 1, 2, 31, 32, 33, 40, 100]);
    const options: BValue[] = [[], 5, [1], text('a/b'), new Map(), Array.from({ length: depth }, (_, i) => text(`p${i}`)), [[text('a')]]];
    f.set(r.chance(0.2) ? 'path.utf-8' : 'path', r.pick(options));
  },
  pad(root, r) {
    const info = infoOf(root);
    const l = info?.get('files');
    if (!info || !isListV(l)) return;
    const files = l.filter(isDictV);
    const f = files.length > 0 ? r.pick(files) : undefined;
    switch (r.int(7)) {
      case 0: f?.set('attr', text(r.pick(['p', 'px', 'xp', 'x', '', 'h']))); break;
      case 1: f?.delete('attr'); break;
      case 2: {
        if (f?.get('attr') === undefined) return;
        const len = f.get('length');
        if (typeof len === 'number') f.set('length', len + r.pick([-1, 1, 16384, -16384]));
        break;
      }
      case 3: info.set('files', l.filter((x) => !(isDictV(x) && x.get('attr') !== undefined))); break;
      default: {
        const path: BValue = r.pick<BValue>([[text('..')], [], [text('.pad'), text('x')], [text('/etc'), text('passwd')], text('..'), [text('')]]);
        const pad = new Map<string, BValue>([['attr', text('p')], ['length', r.pick([0, 1, 10, 16384, 16374, 2 ** 40])], ['path', path]]);
        l.splice(r.int(l.length + 1), 0, pad);
      }
    }
  },
  reorderFiles(root, r) {
    const l = infoOf(root)?.get('files');
    if (!isListV(l) || l.length < 2) return;
    switch (r.int(3)) {
      case 0: l.reverse(); break;
      case 1: l.push(l.shift() as BValue); break;
      default: {
        const a = r.int(l.length), b = r.int(l.length);
        [l[a], l[b]] = [l[b], l[a]];
      }
    }
  },
  deepTree(root, r) {
    const info = infoOf(root);
    const n = r.pick([1, 2, 26, 28, 29, 30, 31, 32, 33, 36, 40]);
    const tree = fileTree(root);
    if (info && tree) {
      let node: BDict = new Map(tree);
      for (let j = n - 1; j >= 0; j--) node = new Map([[textKey(`d${j}`), node]]);
      info.set('file tree', node);
    }
    // Keep the v1 side in step (so a hybrid still agrees), or deepen it alone.
    if (r.chance(0.7)) {
      const prefix = Array.from({ length: n }, (_, j) => text(`d${j}`));
      for (const f of v1Files(root)) {
        const p = f.get('path');
        if (isListV(p) && f.get('attr') === undefined) f.set('path', [...prefix, ...p]);
      }
    }
  },
  treeShape(root, r) {
    const info = infoOf(root);
    const tree = fileTree(root);
    if (!info || !tree) return;
    const { dirs, leaves } = treeNodes(root);
    const leaf = leaves.length > 0 ? r.pick(leaves) : new Map<string, BValue>();
    const dir = r.pick(dirs);
    switch (r.int(12)) {
      case 0: info.set('file tree', new Map([['', leaf]])); break; // the root is a file
      case 1: info.set('file tree', new Map()); break;
      case 2: dir.set(r.pick(['', 'x', 'zz']), r.pick<BValue>([leaf, new Map(), 1, text('x'), []])); break;
      case 3: leaf.delete('length'); break;
      case 4: leaf.delete('pieces root'); break;
      case 5: leaf.set('pieces root', new Uint8Array(r.pick([0, 1, 20, 31, 33, 64]))); break;
      case 6: {
        const pr = leaf.get('pieces root');
        if (pr instanceof Uint8Array && pr.length > 0) {
          const out = pr.slice();
          out[r.int(out.length)] ^= 1;
          leaf.set('pieces root', out);
        }
        break;
      }
      case 7: leaf.set('length', 0); break; // an empty file that keeps its pieces root
      case 8: { // a directory holding a file and a sibling
        const holder = dirs.find((d) => d.get('') === leaf);
        holder?.set(textKey('sibling'), new Map([['', new Map<string, BValue>([['length', 0]])]]));
        break;
      }
      case 9: tree.set(textKey('zz-copy'), new Map([['', clone(leaf)]])); break; // a duplicate file
      case 10: leaf.set('attr', text(r.pick(['p', 'x', 'l']))); break;
      default: dir.set(textKey('empty-dir'), new Map()); break;
    }
  },
  pieceLayers(root, r) {
    const pl = root.get('piece layers');
    if (r.chance(0.1)) {
      root.set('piece layers', r.pick<BValue>([[], 1, text('x'), new Map()]));
      return;
    }
    if (!isDictV(pl)) return;
    const keys = [...pl.keys()];
    const key = keys.length > 0 ? r.pick(keys) : '';
    const layer = pl.get(key);
    const cur = layer instanceof Uint8Array ? layer : new Uint8Array(0);
    switch (r.int(9)) {
      case 0: pl.delete(key); break;
      case 1: pl.set(key, cur.subarray(0, Math.max(0, cur.length - r.pick([1, 32, 64])))); break;
      case 2: pl.set(key, cat(cur, new Uint8Array(r.pick([1, 31, 32, 64])))); break;
      case 3: {
        if (cur.length === 0) return;
        const out = cur.slice();
        out[r.int(out.length)] ^= 1;
        pl.set(key, out);
        break;
      }
      case 4: { // re-keyed oddly: one byte off, too short, too long, empty
        pl.delete(key);
        const odd = r.pick([key.slice(0, -1) + String.fromCharCode((key.charCodeAt(key.length - 1) + 1) & 0xff), key.slice(0, 31), `${key}x`, '']);
        pl.set(odd, cur);
        break;
      }
      case 5: { // two layers swapped
        if (keys.length < 2) return;
        const [a, b] = [keys[0], keys[1]];
        const la = pl.get(a) as BValue, lb = pl.get(b) as BValue;
        pl.set(a, lb);
        pl.set(b, la);
        break;
      }
      case 6: pl.set(key, r.pick<BValue>([1, [], new Map(), [cur]])); break;
      case 7: pl.set(Buffer.from(Uint8Array.from({ length: 32 }, () => r.int(256))).toString('latin1'), new Uint8Array(32 * r.int(4))); break;
      default: pl.set(key, new Uint8Array(0)); break;
    }
  },
  name(root, r) {
    const info = infoOf(root);
    if (!info) return;
    switch (r.int(4)) {
      case 0: info.delete('name'); break;
      case 1: info.set('name', r.pick<BValue>([1, [], new Map()])); break;
      case 2: info.set('name.utf-8', r.chance(0.5) ? r.pick(BAD_COMPONENTS) : 7); break;
      default: info.set('name', r.pick(BAD_COMPONENTS)); break;
    }
  },
  manyFiles(root, r) {
    // Many empty files in a new directory, on both sides of a hybrid, in tree (sorted key) order.
    const n = r.pick([10, 100, 1000]);
    const names = Array.from({ length: n }, (_, i) => `f${String(i).padStart(5, '0')}`);
    const info = infoOf(root);
    const l = info?.get('files');
    if (isListV(l)) for (const nm of names) l.push(new Map<string, BValue>([['length', 0], ['path', [text('zz'), text(nm)]]]));
    const tree = fileTree(root);
    if (tree) tree.set(textKey('zz'), new Map(names.map((nm) => [textKey(nm), new Map([['', new Map<string, BValue>([['length', 0]])]])])));
  },
  collide(root, r) {
    // Files that would share a path on disk (renamed on disk, never refused for it).
    const info = infoOf(root);
    const l = info?.get('files');
    const files = v1Files(root).filter((f) => f.get('attr') === undefined && isListV(f.get('path')) && (f.get('path') as BList).length > 0);
    const pathOf = (f: BDict): BList => f.get('path') as BList;
    const upper = (b: BValue): BValue => (b instanceof Uint8Array ? text(Buffer.from(b).toString('utf8').toUpperCase()) : b);
    const a = files.length > 0 ? r.pick(files) : undefined, b = files.length > 0 ? r.pick(files) : undefined;
    switch (r.int(7)) {
      case 0: if (a && b) b.set('path', clone(pathOf(a))); break; // the same path twice
      case 1: // a file where another file's directory goes
        if (a && isListV(l)) l.splice(r.int(l.length + 1), 0, new Map<string, BValue>([['length', r.pick([0, 1, 100])], ['path', [...pathOf(a), text('child')]]]));
        break;
      case 2: if (a && b) b.set('path', [...pathOf(a).slice(0, -1), upper(pathOf(a).at(-1) as BValue)]); break; // case only
      case 3: { // equal once sanitised
        const [x, y] = r.pick([['CON', 'CON_'], ['x.', 'x._'], ['nul.txt', 'NUL_.txt'], ['a'.repeat(300) + '1', 'a'.repeat(300) + '2']]);
        if (a && b) {
          a.set('path', [text(x)]);
          b.set('path', [text(y)]);
        }
        break;
      }
      case 4: { // many copies of one name, and the names their renames would take
        if (!a || !isListV(l)) return;
        const name = Buffer.from(pathOf(a).at(-1) as Uint8Array).toString('utf8');
        for (let i = 0; i < r.pick([3, 40, 600]); i++) {
          const n = r.chance(0.5) ? name : `${name}.${r.int(50)}`;
          l.push(new Map<string, BValue>([['length', 0], ['path', [...pathOf(a).slice(0, -1), text(n)]]]));
        }
        break;
      }
      default: { // v2: a tree key renamed to a sibling's upper-case (on both sides of a hybrid when it can)
        const named = treeNodes(root).dirs.filter((d) => [...d.keys()].filter((k) => k !== '').length >= 2);
        if (named.length === 0) return;
        const d = r.pick(named);
        const keys = [...d.keys()].filter((k) => k !== '');
        const from = r.pick(keys), to = textKey(keyText(r.pick(keys.filter((k) => k !== from))).toUpperCase());
        renameKey(d, from, to);
        if (d === fileTree(root)) for (const f of files) if (keyText(Buffer.from(pathOf(f)[0] as Uint8Array).toString('latin1')) === keyText(from)) f.set('path', [text(keyText(to)), ...pathOf(f).slice(1)]);
      }
    }
  },
  outerNoise(root, r) {
    switch (r.int(8)) {
      case 0: root.set('announce-list', r.pick<BValue>([[], [[]], [[text('')]], [text('x')], [[1, text('udp://x')]], 1, [[[text('deep')]]]])); break;
      case 1: root.set('url-list', r.pick<BValue>([text(''), [1, text('http://x')], 1, new Map()])); break;
      case 2: root.set(r.pick(['comment', 'created by', 'announce', 'creation date']), interesting(r)); break;
      case 3: root.set('info', r.pick<BValue>([[], 1, text('info'), new Map()])); break;
      case 4: root.delete('info'); break;
      case 5: infoOf(root)?.set('private', r.pick<BValue>([1, 0, 2, text('1'), 2n ** 64n])); break;
      case 6: root.set('comment.utf-8', r.pick(BAD_COMPONENTS)); break;
      default: root.set(textKey('zzz'), interesting(r)); break;
    }
  },
  hybridParts(root, r) {
    const info = infoOf(root);
    if (!info) return;
    const key = r.pick(['file tree', 'pieces', 'files', 'length', 'meta version']);
    if (r.chance(0.7)) info.delete(key);
    else info.set(key, clone(r.pick(seeds.map((s) => infoOf(s.value)?.get(key)).filter((v): v is BValue => v !== undefined))));
  },
  graftFromOtherSeed(root, r) {
    // Mix the info keys of two seeds: e.g. a v2 file tree onto a v1 info, or another seed's pieces.
    const info = infoOf(root);
    const other = infoOf(clone(r.pick(seeds).value) as BDict);
    if (!info || !other) return;
    const key = r.pick([...other.keys()]);
    info.set(key, other.get(key) as BValue);
  },
};
const MUTATOR_NAMES = Object.keys(MUTATORS);

interface StructuralCase {
  seed: number;
  ops: { mutator: number; rnd: number }[];
  asIs: boolean;
}
const structuralCase: fc.Arbitrary<StructuralCase> = fc.record({
  seed: fc.nat(),
  ops: fc.array(fc.record({ mutator: fc.nat({ max: MUTATOR_NAMES.length - 1 }), rnd: fc.integer({ min: 0, max: 0xffffffff }) }), { minLength: 1, maxLength: 4 }),
  asIs: fc.boolean(),
});

function buildStructural(c: StructuralCase): Uint8Array {
  const root = clone(seeds[c.seed % seeds.length].value) as BDict;
  for (const op of c.ops) MUTATORS[MUTATOR_NAMES[op.mutator]](root, new Rng(op.rnd));
  return c.asIs ? encodeAsIs(root) : encode(root);
}

// ---------------------------------------------------------------------------------------------
// The tests

/** `fc.assert`, but the failure message carries the property's own error (node:test hides causes). */
function assertProperty<Ts>(property: fc.IProperty<Ts>, numRuns: number): void {
  const out = fc.check(property, { seed: SEED, numRuns });
  if (out.failed) {
    const e = out.errorInstance;
    throw new Error(`${fc.defaultReportMessage(out) ?? 'property failed'}\n${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}

describe('parseTorrent fuzzing: only TorrentParseError, never a hang, invariants hold', () => {
  after(() => {
    // Shown with the test output (node:test prints diagnostics of the suite's last test run).
    console.log(`torrent fuzz: ${stats.parsed} parses, ${stats.accepted} accepted, slowest ${stats.slowestMs.toFixed(1)} ms`);
  });

  it('parses every seed, and its invariants hold', () => {
    assert.equal(seeds.length, 7);
    for (const s of seeds) {
      const t = check(s.bytes);
      assert.ok(t, `seed ${s.label} parses`);
      assert.equal(t.version, s.label.split(' ')[0]);
    }
  });

  it('byte-level mutations (bit flips, byte sets, cuts, splices across seeds, duplicated chunks, digit tweaks)', () => {
    let accepted = 0;
    assertProperty(fc.property(fc.nat(), fc.array(byteOp, { minLength: 1, maxLength: 3 }), fc.nat(), (seed, ops, opt) => {
        const input = ops.reduce(mutateBytes, seeds[seed % seeds.length].bytes);
        if (check(input, OPTION_SETS[opt % OPTION_SETS.length])) accepted++;
      }), 3000);
    // Digit tweaks of integers that keep a torrent valid (e.g. a private flag) must be exercised too.
    assert.ok(accepted > 30, `only ${accepted} mutated inputs were accepted`);
  });

  it('structure-aware mutations (types, lengths, piece length, paths, pads, trees, piece layers, meta version)', () => {
    let accepted = 0;
    assertProperty(fc.property(structuralCase, fc.nat(), (c, opt) => {
        if (check(buildStructural(c), OPTION_SETS[opt % OPTION_SETS.length])) accepted++;
      }), 4000);
    assert.ok(accepted > 200, `only ${accepted} structurally mutated inputs were accepted`);
  });

  it('structural then byte-level mutations', () => {
    assertProperty(fc.property(structuralCase, fc.array(byteOp, { minLength: 1, maxLength: 2 }), (c, ops) => {
        check(ops.reduce(mutateBytes, buildStructural(c)));
      }), 1000);
  });

  it('large and deep inputs fail fast or parse fast', () => {
    const started = performance.now();
    const v1 = clone(seeds[0].value) as BDict;
    const hybrid = clone(seeds[2].value) as BDict;
    const v2single = clone(seeds[5].value) as BDict;

    // An enormous 'files' list (empty files, so 'pieces' still matches): parses, and maxFiles refuses it.
    const many = clone(v1) as BDict;
    const files = infoOf(many)?.get('files') as BList;
    for (let i = 0; i < 100_000; i++) files.push(new Map<string, BValue>([['length', 0], ['path', [text('zz'), text(`f${i}`)]]]));
    const manyBytes = encode(many);
    assert.equal(check(manyBytes)?.layout.files.length, 100_006);
    assert.throws(() => parseTorrent(manyBytes, { maxFiles: 1000 }), TorrentParseError);

    // A file tree with 50,000 files.
    const bigTree = clone(hybrid) as BDict;
    infoOf(bigTree)?.delete('files');
    infoOf(bigTree)?.delete('pieces');
    const tree = fileTree(bigTree) as BDict;
    const zz = new Map<string, BValue>();
    for (let i = 0; i < 50_000; i++) zz.set(textKey(`f${String(i).padStart(6, '0')}`), new Map([['', new Map<string, BValue>([['length', 0]])]]));
    tree.set(textKey('zz'), zz);
    assert.equal(check(encode(bigTree))?.layout.files.length, 50_000 + 10); // 6 files, 4 implicit pads

    // Paths exactly at the depth limit parse; one deeper fails, in v1 and in the file tree.
    for (const depth of [32, 33]) {
      const deepV1 = clone(v1) as BDict;
      for (const f of v1Files(deepV1)) f.set('path', [...Array.from({ length: depth - (f.get('path') as BList).length }, (_, j) => text(`d${j}`)), ...(f.get('path') as BList)]);
      const t1 = check(encode(deepV1));
      assert.equal(t1 !== undefined, depth === 32, `v1 depth ${depth}`);
      const deepV2 = clone(v2single) as BDict;
      let node = fileTree(deepV2) as BDict;
      for (let j = 0; j < depth - 1; j++) node = new Map([[textKey(`d${j}`), node]]);
      (infoOf(deepV2) as BDict).set('file tree', node);
      assert.equal(check(encode(deepV2)) !== undefined, depth === 32, `v2 depth ${depth}`);
    }
    // Deep nesting far beyond the limits, anywhere in the document (written by hand: too deep for an encoder).
    const v1Info = Buffer.from(encode(infoOf(v1) as BDict)).toString('latin1');
    for (const n of [40, 1000, 100_000]) check(ascii(`d13:announce-list${'l'.repeat(n)}1:x${'e'.repeat(n)}4:info${v1Info}e`));
    // Tiny containers cost far more decoded than their bytes: refused by count before decoding.
    for (const tok of ['de', 'le', '0:', 'i0e']) check(ascii(`d4:info${v1Info}1:zl${tok.repeat(10_000_001)}ee`));
    const nested = ascii(`d4:info${'d1:a'.repeat(50_000)}`);
    check(nested);
    // A caller may raise maxPathDepth; a very deep tree must still fail cleanly.
    // (Written as text: too deep for a recursive encoder.)
    const veryDeepTree = `d${'1:dd'.repeat(5000)}1:ad0:d6:lengthi10e11:pieces root32:${'r'.repeat(32)}ee${'e'.repeat(5000)}e`;
    const veryDeepBytes = ascii(`d4:infod9:file tree${veryDeepTree}12:meta versioni2e4:name1:x12:piece lengthi16384eee`);
    for (const maxPathDepth of [32, 4000, 6000, 100_000]) check(veryDeepBytes, { maxPathDepth });

    // A long piece layer whose hashes are all wrong: linear work, then a clean refusal.
    const longLayer = clone(v2single) as BDict;
    const leaf = treeNodes(longLayer).leaves[0];
    const layerCount = 1 << 17;
    leaf.set('length', 16384 * layerCount);
    const layers = longLayer.get('piece layers') as BDict;
    layers.set([...layers.keys()][0], new Uint8Array(32 * layerCount));
    assert.equal(check(encode(longLayer)), undefined);
    // A long path component and a huge number of tiny tracker tiers.
    const longName = clone(v1) as BDict;
    v1Files(longName)[0].set('path', [new Uint8Array(1_000_000).fill(0x61)]);
    longName.set('announce-list', Array.from({ length: 100_000 }, () => [text('udp://x')]));
    check(encode(longName));
    stats.largeInputsMs = performance.now() - started;
  });
});

describe('torrent fuzz corpus', () => {
  it('takes the info hash over the first of duplicate info dicts, the one it parses', () => {
    const input = Uint8Array.from(readFileSync(join(CORPUS, 'valid-duplicate-info-first-wins.torrent')));
    const t = check(input);
    assert.equal(t?.name, 'x');
    // d 4:info <first> 4:info <second> …
    const text = Buffer.from(input).toString('latin1');
    assert.equal(Buffer.from(t.infoBytes).toString('latin1'), text.slice('d4:info'.length, text.indexOf('4:infod4:name1:ye')));
  });
  const names = readdirSync(CORPUS).filter((f) => f.endsWith('.torrent')).sort();
  it('has a corpus to replay', () => assert.ok(names.length >= 10, `corpus at ${CORPUS}`));
  for (const name of names) {
    it(`replays ${name}`, () => {
      const input = Uint8Array.from(readFileSync(join(CORPUS, name)));
      assert.ok(name.startsWith('valid-') || name.startsWith('invalid-'), `corpus file name must start with valid- or invalid-: ${name}`);
      const t = check(input);
      assert.equal(t !== undefined, name.startsWith('valid-'), name.startsWith('valid-') ? 'must parse' : 'must be refused');
      assertProperty(fc.property(fc.array(byteOp, { minLength: 1, maxLength: 3 }), (ops) => void check(ops.reduce(mutateBytes, input))), 100);
      let value: BValue;
      try {
        value = decode(input, { strict: false });
      } catch {
        return;
      }
      if (!isDictV(value)) return;
      const tree = value;
      assertProperty(fc.property(fc.array(fc.record({ mutator: fc.nat({ max: MUTATOR_NAMES.length - 1 }), rnd: fc.nat() }), { minLength: 1, maxLength: 2 }), (ops) => {
          const root = clone(tree) as BDict;
          for (const op of ops) MUTATORS[MUTATOR_NAMES[op.mutator]](root, new Rng(op.rnd));
          check(encodeAsIs(root));
        }), 100);
    });
  }
});
