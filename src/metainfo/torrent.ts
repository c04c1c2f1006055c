/** Parsing .torrent files: v1 (BEP 3), v2 (BEP 52) and hybrid, with BEP 47 pad files. */
import { createHash } from 'node:crypto';
import {
  bytesField, dictField, isBytes, isDict, isList, optDictField, optUintField, uintField,
} from '../bencode/access.js';
import { BencodeError, decode } from '../bencode/decode.js';
import type { BDict, BValue } from '../bencode/types.js';
import { PathCollisionError, resolveCollisions } from '../storage/path-collisions.js';
import { TorrentParseError } from './errors.js';
import { parseFileTree, type TreeFile } from './file-tree.js';
import { prescan } from './prescan.js';
import { parseV1Files, safeEntry, safePath, type V1Files } from './v1-files.js';
import { PieceLayout, type TorrentFile } from './layout.js';
import { BLOCK_SIZE, HASH_SIZE, isPowerOfTwo, rootFromPieceLayer, splitHashes } from './merkle.js';

export type TorrentVersion = 'v1' | 'v2' | 'hybrid';

export interface Torrent {
  readonly version: TorrentVersion;
  /** SHA-1 of the info dict (v1 and hybrid). */
  readonly infoHashV1?: Uint8Array;
  /** SHA-256 of the info dict (v2 and hybrid). */
  readonly infoHashV2?: Uint8Array;
  readonly name: string;
  readonly pieceLength: number;
  readonly pieceCount: number;
  /** Sum of the real (non-pad) files. */
  readonly length: number;
  /** True when the files live in a directory named `name`. */
  readonly multiFile: boolean;
  /** Every entry of the piece space in order, pad files included. */
  readonly layout: PieceLayout;
  /** v1 piece hashes (20 bytes each), concatenated. */
  readonly pieces?: Uint8Array;
  /** v2 piece layers keyed by `pieces root` as a binary string. */
  readonly pieceLayers: ReadonlyMap<string, Uint8Array>;
  /** True when a v2 file longer than one piece has no piece layer (metadata from a magnet link: the layers come from peers, BEP 52). */
  readonly missingPieceLayers: boolean;
  /** Announce URLs in BEP 12 tiers. */
  readonly trackers: string[][];
  readonly webSeeds: string[];
  readonly private: boolean;
  readonly comment?: string;
  readonly createdBy?: string;
  readonly creationDate?: number;
  /** The info dict's original bytes. */
  readonly infoBytes: Uint8Array;
}

export interface ParseTorrentOptions {
  /** Largest .torrent accepted, in bytes (default 64 MiB). */
  maxSize?: number;
  /** Most files accepted (default 1,000,000). */
  maxFiles?: number;
  /** Most pieces accepted (default 16,000,000). */
  maxPieces?: number;
  /** Deepest file path accepted (default 32). */
  maxPathDepth?: number;
  /**
   * Largest `piece length` accepted, in bytes (default `MAX_PIECE_LENGTH`, 536,854,528: what
   * libtorrent accepts). Storage hashes and reads in bounded chunks whatever the piece size, but
   * the swarm and the BEP 3 wire count blocks per piece, and no real client makes larger pieces.
   */
  maxPieceLength?: number;
  /**
   * Most candidate names tried, over the whole torrent, when files that would share a path on
   * disk are renamed (default 500, as libtorrent's `max_duplicate_filenames`); past it the
   * torrent is refused. See `resolveCollisions` in path-collisions.ts.
   */
  maxDuplicateFilenames?: number;
  /**
   * Most bencode values accepted, a dictionary counting as two (default 10,000,000: enough for
   * 1,000,000 v1 files with paths of up to 3 components). Bounds the memory and time of decoding,
   * which the size alone does not: `de` is 2 bytes of input but a whole Map once decoded.
   */
  maxTokens?: number;
  /**
   * Require v2 `piece layers` for every file longer than a piece (default true). An info dict
   * fetched for a magnet link has none; without them a hybrid is verified by its v1 hashes.
   */
  requirePieceLayers?: boolean;
}

/**
 * libtorrent's `file_storage::max_piece_size`: 32,767 blocks of 16 KiB (its piece picker counts
 * blocks in 15 bits). Common creators stop at 16-64 MiB; qBittorrent offers up to 256 MiB.
 */
export const MAX_PIECE_LENGTH = ((1 << 15) - 1) * BLOCK_SIZE;

export const PARSE_TORRENT_DEFAULTS: Required<ParseTorrentOptions> = {
  maxSize: 64 * 1024 * 1024,
  maxFiles: 1_000_000,
  maxPieces: 2_097_152, // libtorrent's load_torrent_limits max_pieces (0x200000); the picker is built per piece
  maxPathDepth: 32,
  maxPieceLength: MAX_PIECE_LENGTH,
  maxDuplicateFilenames: 500,
  maxTokens: 10_000_000,
  requirePieceLayers: true,
};

const err = (m: string): Error => new TorrentParseError(m);
const lenientUtf8 = new TextDecoder('utf-8');

/** The real files of a torrent (pads left out), with their piece-space offsets. */
export function realFiles(t: Torrent): TorrentFile[] {
  return t.layout.files.filter((f) => !f.pad);
}

/** Text from a byte string, preferring the BEP 3 `.utf-8` variant some creators add. */
function textOf(d: BDict, key: string): string | undefined {
  const v = d.get(`${key}.utf-8`) ?? d.get(key);
  return isBytes(v) ? lenientUtf8.decode(v) : undefined;
}

/** A `file tree` file with its disk path sanitised (`rawPath`: the tree's own, when that changed it). */
type SafeTreeFile = TreeFile & { readonly rawPath?: string[] };

/** v2 piece space: every non-empty file starts on a piece boundary (implicit alignment gaps). */
function v2Entries(tree: SafeTreeFile[], pieceLength: number): { entries: Omit<TorrentFile, 'offset'>[]; pieceCount: number } {
  const entries: Omit<TorrentFile, 'offset'>[] = [];
  let pieceCount = 0;
  tree.forEach((f, i) => {
    entries.push({ path: f.path, ...(f.rawPath ? { rawPath: f.rawPath } : {}), length: f.length, pad: false, attr: f.attr, piecesRoot: f.piecesRoot });
    const pieces = Math.ceil(f.length / pieceLength);
    pieceCount += pieces;
    const gap = pieces * pieceLength - f.length;
    if (gap > 0 && i < tree.length - 1) entries.push({ path: ['.pad', String(gap)], length: gap, pad: true, attr: 'p' });
  });
  return { entries, pieceCount };
}

function checkPieceLayers(outer: BDict, tree: TreeFile[], pieceLength: number, required: boolean): Map<string, Uint8Array> {
  const layersDict = optDictField(outer, 'piece layers', 'torrent', err) ?? new Map<string, BValue>();
  const layers = new Map<string, Uint8Array>();
  for (const f of tree) {
    if (!f.piecesRoot || f.length <= pieceLength) continue;
    const key = Buffer.from(f.piecesRoot).toString('latin1');
    const layer = layersDict.get(key);
    const where = `file '${f.path.join('/')}'`;
    if (layer === undefined && !required) continue;
    if (!isBytes(layer)) throw err(`${where}: missing its 'piece layers' entry`);
    const expected = Math.ceil(f.length / pieceLength);
    if (layer.length !== expected * HASH_SIZE) throw err(`${where}: piece layer has ${layer.length / HASH_SIZE} hashes, expected ${expected}`);
    const root = rootFromPieceLayer(splitHashes(layer), pieceLength, f.length);
    if (Buffer.compare(root, f.piecesRoot) !== 0) throw err(`${where}: piece layer does not match 'pieces root'`);
    layers.set(key, layer);
  }
  return layers;
}

/** Files that would share a path on disk get distinct names there (path-collisions.ts); the info hash is unchanged. */
function renameCollisions(entries: Omit<TorrentFile, 'offset'>[], maxDuplicateFilenames: number): Omit<TorrentFile, 'offset'>[] {
  const real = entries.filter((e) => !e.pad);
  let paths;
  try {
    paths = resolveCollisions(real.map((e) => e.path), { maxDuplicateFilenames });
  } catch (e) {
    if (e instanceof PathCollisionError) throw new TorrentParseError(e.message, { cause: e });
    throw e;
  }
  // `paths[k]` is the k-th real entry's; the same path array back means not renamed.
  let k = 0;
  return entries.map((e) => {
    if (e.pad) return e;
    const path = paths[k++];
    return path === e.path ? e : { ...e, path, rawPath: e.rawPath ?? e.path };
  });
}

function checkHybridAgrees(v1: Omit<TorrentFile, 'offset'>[], v2: Omit<TorrentFile, 'offset'>[]): void {
  const a = v1.filter((f) => !f.pad), b = v2.filter((f) => !f.pad);
  const same = a.length === b.length && a.every((f, i) => f.length === b[i].length && f.path.join('/') === b[i].path.join('/'));
  if (!same) throw err("hybrid torrent: the v1 'files' and the v2 'file tree' describe different files");
}

/** A hybrid's v1 pad files must put every file where v2 puts it (on a piece boundary), or the two disagree on pieces. */
function checkHybridAligned(layout: PieceLayout, v2: { entries: Omit<TorrentFile, 'offset'>[]; pieceCount: number }, pieceLength: number): void {
  const v2Layout = PieceLayout.fromEntries(v2.entries, pieceLength);
  const a = layout.files.filter((f) => !f.pad && f.length > 0), b = v2Layout.files.filter((f) => !f.pad && f.length > 0);
  if (layout.pieceCount !== v2.pieceCount || a.some((f, i) => f.offset !== b[i].offset)) {
    throw err("hybrid torrent: the v1 'files' do not start every file on the piece boundary v2 puts it at (missing or wrong pad files)");
  }
}

function trackersOf(outer: BDict): string[][] {
  const list = outer.get('announce-list');
  const tiers: string[][] = [];
  if (isList(list)) {
    for (const tier of list) {
      if (!isList(tier)) continue;
      const urls = tier.filter(isBytes).map((u) => lenientUtf8.decode(u)).filter((u) => u.length > 0);
      if (urls.length > 0) tiers.push(urls);
    }
  }
  const announce = textOf(outer, 'announce');
  if (tiers.length === 0 && announce) tiers.push([announce]);
  return tiers;
}

function webSeedsOf(outer: BDict): string[] {
  const u = outer.get('url-list');
  if (isBytes(u)) return u.length ? [lenientUtf8.decode(u)] : [];
  return isList(u) ? u.filter(isBytes).map((x) => lenientUtf8.decode(x)) : [];
}

/** Parses a .torrent file's bytes. Throws `TorrentParseError` naming the problem. */
export function parseTorrent(bytes: Uint8Array, options?: ParseTorrentOptions): Torrent {
  const o = { ...PARSE_TORRENT_DEFAULTS, ...options };
  if (bytes.length > o.maxSize) throw err(`file larger than maxSize (${o.maxSize} bytes)`);
  // Not `decodeWithSpans`: its span per value made large torrents super-linearly slow.
  const infoSpan = prescan(bytes, o.maxTokens);
  let outer;
  try {
    // Lenient on key order as libtorrent is; the info hash is taken over the original bytes anyway.
    outer = decode(bytes, { strict: false, maxSize: o.maxSize, maxDepth: o.maxPathDepth + 8, maxStringLength: o.maxSize });
  } catch (e) {
    if (e instanceof BencodeError) throw new TorrentParseError(e.message, { cause: e });
    throw e;
  }
  if (!isDict(outer)) throw err('not a bencoded dictionary');
  const info = dictField(outer, 'info', 'torrent', err);
  if (!infoSpan) throw err("could not locate the 'info' dictionary's bytes");
  return parseInfo(info, bytes.subarray(infoSpan.start, infoSpan.end), outer, o);
}

/** Parses an info dict (e.g. fetched with ut_metadata) given its raw bytes and the outer dict, if any. */
export function parseInfo(info: BDict, infoBytes: Uint8Array, outer: BDict, o: Required<ParseTorrentOptions> = PARSE_TORRENT_DEFAULTS): Torrent {
  const metaVersion = optUintField(info, 'meta version', 'info', err);
  if (metaVersion !== undefined && metaVersion !== 2) throw err(`meta version ${metaVersion} is newer than this client understands`);
  const name = textOf(info, 'name');
  if (name === undefined) throw err("info: missing 'name'");
  const pieceLength = uintField(info, 'piece length', 'info', err);
  if (pieceLength === 0) throw err("'piece length' must be positive");
  // A 2 GiB piece once crashed Node itself (one read call of the whole piece).
  if (pieceLength > o.maxPieceLength) throw err(`'piece length' ${pieceLength} is more than maxPieceLength (${o.maxPieceLength} bytes)`);
  const hasV1 = info.has('pieces');
  const hasV2 = metaVersion === 2;
  if (!hasV1 && !hasV2) throw err("info has neither 'pieces' (v1) nor 'meta version' 2 (v2)");
  const version: TorrentVersion = hasV1 && hasV2 ? 'hybrid' : hasV2 ? 'v2' : 'v1';
  if (hasV2 && (!isPowerOfTwo(pieceLength) || pieceLength < BLOCK_SIZE)) throw err("v2 'piece length' must be a power of two of at least 16 KiB");

  // A single-file torrent's name is its file name; a multi-file one's is its directory (v2 too).
  safePath([name], "info 'name'"); // refused here whatever the layout (a v2 torrent's directory)
  let v1: V1Files | undefined;
  let pieces: Uint8Array | undefined;
  if (hasV1) {
    v1 = parseV1Files(info, name, o);
    pieces = bytesField(info, 'pieces', 'info', err);
    if (pieces.length % 20 !== 0) throw err("'pieces' length is not a multiple of 20");
  }

  let tree: SafeTreeFile[] | undefined;
  let v2: ReturnType<typeof v2Entries> | undefined;
  let pieceLayers = new Map<string, Uint8Array>();
  if (hasV2) {
    tree = parseFileTree(dictField(info, 'file tree', 'info', err), o).map((f) => ({ ...f, ...safeEntry(f.path, `file '${f.path.join('/')}'`) }));
    v2 = v2Entries(tree, pieceLength);
    pieceLayers = checkPieceLayers(outer, tree, pieceLength, o.requirePieceLayers);
  }
  if (v1 && v2) checkHybridAgrees(v1.entries, v2.entries);

  let entries: Omit<TorrentFile, 'offset'>[];
  let multiFile: boolean;
  if (v1) {
    entries = v1.entries;
    multiFile = v1.multiFile;
    if (tree) {
      // Carry the v2 roots onto the v1 entries (same files, same order).
      const roots = tree.map((f) => f.piecesRoot);
      let k = 0;
      entries = entries.map((e) => (e.pad ? e : { ...e, piecesRoot: roots[k++] }));
    }
  } else {
    entries = (v2 as ReturnType<typeof v2Entries>).entries;
    const t = tree as TreeFile[];
    multiFile = !(t.length === 1 && t[0].path.length === 1);
  }
  if (multiFile) entries = renameCollisions(entries, o.maxDuplicateFilenames);
  const layout = PieceLayout.fromEntries(entries, pieceLength);
  // Beyond 2^53 offsets and lengths are no longer exact.
  if (!Number.isSafeInteger(layout.totalLength)) throw err('total length is more than 2^53 - 1 bytes');
  if (layout.pieceCount > o.maxPieces) throw err(`more than maxPieces (${o.maxPieces}) pieces`);
  if (v1 && v2) checkHybridAligned(layout, v2, pieceLength);
  if (pieces && pieces.length / 20 !== layout.pieceCount) {
    throw err(`'pieces' holds ${pieces.length / 20} hashes but the files need ${layout.pieceCount}`);
  }
  if (v2 && !v1 && v2.pieceCount !== layout.pieceCount) throw err('v2 piece count does not match the file tree');

  const priv = info.get('private');
  const comment = textOf(outer, 'comment');
  const createdBy = textOf(outer, 'created by');
  const creationDate = outer.get('creation date');
  return {
    version,
    infoHashV1: hasV1 ? createHash('sha1').update(infoBytes).digest() : undefined,
    infoHashV2: hasV2 ? createHash('sha256').update(infoBytes).digest() : undefined,
    name,
    pieceLength,
    pieceCount: layout.pieceCount,
    length: entries.reduce((n, e) => n + (e.pad ? 0 : e.length), 0),
    multiFile,
    layout,
    pieces,
    pieceLayers,
    missingPieceLayers: (tree ?? []).some((f) => f.piecesRoot !== undefined && f.length > pieceLength && !pieceLayers.has(Buffer.from(f.piecesRoot).toString('latin1'))),
    trackers: trackersOf(outer),
    webSeeds: webSeedsOf(outer),
    private: priv === 1,
    comment,
    createdBy,
    creationDate: typeof creationDate === 'number' ? creationDate : undefined,
    infoBytes,
  };
}

