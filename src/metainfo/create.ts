/**
 * Creating torrents from files on disk: v1, v2 (BEP 52) or hybrid (v1 + v2 with BEP 47
 * pad files so every file starts on a piece boundary). This module lays out and assembles;
 * reading the files and hashing them on worker threads is runtime/node/create/ (`createTorrent`).
 *
 * File order follows libtorrent: path components compared as bytes, depth first (the
 * order of a v2 `file tree`), used for v1 too so the same files give the same torrent.
 */
import { encode } from '../bencode/encode.js';
import type { Encodable } from '../bencode/types.js';
import { ShoalError } from '../errors.js';
import { validatePathComponents } from '../storage/path-safety.js';
import { buildFileTree } from './file-tree.js';
import type { HashPoolOptions, HashUnit, HashUnitResult, ReadRange, UnitPiece } from './hash-unit.js';
import { PieceLayout, type TorrentFile } from './layout.js';
import { BLOCK_SIZE, concatBytes, isPowerOfTwo, rootFromPieceLayer, splitHashes } from './merkle.js';
import { MAX_PIECE_LENGTH, parseTorrent, type Torrent, type TorrentVersion } from './torrent.js';

export class CreateTorrentError extends ShoalError {}

export interface SourceFile {
  /** Components below the torrent root (single file: [name]). */
  readonly path: string[];
  readonly length: number;
  /** Where the bytes are read from. */
  readonly source: string;
  readonly attr: string;
}

export interface CreateTorrentOptions extends HashPoolOptions {
  /** Default 'hybrid'. */
  version?: TorrentVersion;
  /** Bytes per piece; default from the total size (see `defaultPieceLength`). */
  pieceLength?: number;
  /** Announce URLs: a flat list is one URL per tier (BEP 12). */
  trackers?: readonly (string | readonly string[])[];
  webSeeds?: readonly string[];
  private?: boolean;
  comment?: string;
  /** Default 'Shoal/<version>'. */
  createdBy?: string;
  /** Seconds since the epoch; null leaves it out. Default: now. */
  creationDate?: number | null;
  /** Torrent name; default the file or directory's base name. */
  name?: string;
}

export const CREATED_BY = 'Shoal/0.1.0';
/** Units of about this many bytes go to a worker at a time. */
const UNIT_BYTES = 4 * 1024 * 1024;

/** A power of two giving at most ~2000 pieces, between 16 KiB and 16 MiB. */
export function defaultPieceLength(totalBytes: number): number {
  let p = BLOCK_SIZE;
  while (p < 16 * 1024 * 1024 && totalBytes / p > 2000) p *= 2;
  return p;
}

function compareParts(a: readonly string[], b: readonly string[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const c = Buffer.compare(Buffer.from(a[i]), Buffer.from(b[i]));
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** A source's files as `scanSource` (runtime/node/create/create-torrent.ts) lists them. */
export interface ScannedSource {
  /** The file or directory's base name. */
  readonly name: string;
  readonly files: SourceFile[];
  readonly multiFile: boolean;
}

/** Puts a directory's files in torrent order and refuses unsafe names (in place; returns `files`). */
export function sortSourceFiles(files: SourceFile[]): SourceFile[] {
  files.sort((a, b) => compareParts(a.path, b.path));
  for (const f of files) validatePathComponents(f.path);
  return files;
}

interface Plan {
  layout: PieceLayout;
  /** Index in `files` of each layout entry (-1 for pads). */
  sources: (SourceFile | null)[];
  units: HashUnit[];
}

/** Lays out the piece space and cuts it into hashing units. */
export function planHashing(files: readonly SourceFile[], pieceLength: number, version: TorrentVersion): Plan {
  const v1 = version !== 'v2', v2 = version !== 'v1';
  const entries: Omit<TorrentFile, 'offset'>[] = [];
  const sources: (SourceFile | null)[] = [];
  files.forEach((f, i) => {
    entries.push({ path: f.path, length: f.length, pad: false, attr: f.attr });
    sources.push(f);
    const gap = (pieceLength - (f.length % pieceLength)) % pieceLength;
    // v2 needs every file on a piece boundary: hybrid writes the gap as a pad file (BEP 47);
    // v2 alone keeps it implicit, but the piece space is the same. Like libtorrent, a
    // hybrid of two or more files pads its last file too (its last v1 piece is full
    // length), and one of a single file has no pads at all.
    const padLast = version === 'hybrid' && files.length > 1;
    if (v2 && gap > 0 && (i < files.length - 1 || padLast)) {
      entries.push({ path: ['.pad', String(gap)], length: gap, pad: true, attr: 'p' });
      sources.push(null);
    }
  });
  const layout = PieceLayout.fromEntries(entries, pieceLength);
  const piecesPerUnit = Math.max(1, Math.floor(UNIT_BYTES / pieceLength));
  const units: HashUnit[] = [];
  for (let first = 0; first < layout.pieceCount; first += piecesPerUnit) {
    const last = Math.min(layout.pieceCount, first + piecesPerUnit);
    const start = first * pieceLength;
    const length = Math.min(last * pieceLength, layout.totalLength) - start;
    const reads: ReadRange[] = [];
    for (const s of layout.slices(start, length)) {
      const src = sources[s.fileIndex];
      if (src) reads.push({ path: src.source, offset: s.offset, length: s.length, at: layout.files[s.fileIndex].offset + s.offset - start });
    }
    const pieces: UnitPiece[] = [];
    for (let p = first; p < last; p++) {
      const size = layout.pieceSize(p);
      let dataLength = 0, fileLength = 0;
      if (v2) {
        const real = layout.pieceSlices(p).find((s) => !layout.files[s.fileIndex].pad);
        if (real) {
          dataLength = real.length;
          fileLength = layout.files[real.fileIndex].length;
        }
      }
      pieces.push({ size, dataLength, fileLength });
    }
    units.push({ id: units.length, pieceLength, v1, v2, length, reads, pieces });
  }
  return { layout, sources, units };
}

function tiersOf(trackers: CreateTorrentOptions['trackers']): string[][] {
  return (trackers ?? []).map((t) => (typeof t === 'string' ? [t] : [...t])).filter((t) => t.length > 0);
}

/** How a torrent's hashing units get hashed (runtime/node: on worker threads, reading the files). */
export type UnitHasher = (units: readonly HashUnit[], options: HashPoolOptions) => Promise<HashUnitResult[]>;

/**
 * Builds the .torrent of `scanned`: lays out the pieces, has `hash` hash them, and returns the
 * bytes and their parse. `nowS` is the creation date's clock (seconds since the epoch), asked
 * only when `options.creationDate` is undefined.
 */
export async function buildTorrent(scanned: ScannedSource, options: CreateTorrentOptions, hash: UnitHasher, nowS: () => number): Promise<{ bytes: Uint8Array; torrent: Torrent }> {
  const version = options.version ?? 'hybrid';
  const name = options.name ?? scanned.name;
  const total = scanned.files.reduce((n, f) => n + f.length, 0);
  const pieceLength = options.pieceLength ?? defaultPieceLength(total);
  if (!Number.isSafeInteger(pieceLength) || pieceLength < BLOCK_SIZE) throw new CreateTorrentError('piece length must be at least 16384 bytes');
  // Never make what parseTorrent (and libtorrent) would refuse.
  if (pieceLength > MAX_PIECE_LENGTH) throw new CreateTorrentError(`piece length must be at most ${MAX_PIECE_LENGTH} bytes`);
  if (version !== 'v1' && !isPowerOfTwo(pieceLength)) throw new CreateTorrentError('v2 and hybrid torrents need a power-of-two piece length');
  if (version !== 'v1' && total === 0) throw new CreateTorrentError('v2 and hybrid torrents need at least one non-empty file');
  if (version === 'v1' && total === 0) throw new CreateTorrentError('cannot create a torrent of empty files only');
  const files = scanned.multiFile ? scanned.files : [{ ...scanned.files[0], path: [name] }];

  const plan = planHashing(files, pieceLength, version);
  const results = await hash(plan.units, options);
  const info = new Map<string, Encodable>();
  info.set('name', name);
  info.set('piece length', pieceLength);
  if (options.private) info.set('private', 1);

  let pieceLayers: Map<string, Encodable> | undefined;
  if (version !== 'v2') {
    info.set('pieces', concatBytes(results.map((r) => r.sha1)));
    if (scanned.multiFile) {
      info.set('files', plan.layout.files.map((f) => {
        const d = new Map<string, Encodable>([['length', f.length], ['path', f.path]]);
        if (f.attr) d.set('attr', f.attr);
        return d;
      }));
    } else {
      info.set('length', files[0].length);
      if (files[0].attr) info.set('attr', files[0].attr);
    }
  }
  if (version !== 'v1') {
    const pieceHashes = splitHashes(concatBytes(results.map((r) => r.v2)));
    pieceLayers = new Map();
    const treeFiles = [];
    for (const [index, f] of plan.layout.files.entries()) {
      if (f.pad) continue;
      let piecesRoot: Uint8Array | undefined;
      const range = plan.layout.filePieces(index);
      if (range) {
        const layer = pieceHashes.slice(range.first, range.last + 1);
        piecesRoot = rootFromPieceLayer(layer, pieceLength, f.length);
        if (f.length > pieceLength) pieceLayers.set(Buffer.from(piecesRoot).toString('latin1'), concatBytes(layer));
      }
      treeFiles.push({ path: scanned.multiFile ? [...f.path] : [name], length: f.length, attr: f.attr, piecesRoot });
    }
    info.set('file tree', buildFileTree(treeFiles));
    info.set('meta version', 2);
  }

  const outer = new Map<string, Encodable>();
  const tiers = tiersOf(options.trackers);
  if (tiers.length > 0) outer.set('announce', tiers[0][0]);
  if (tiers.length > 1 || (tiers[0]?.length ?? 0) > 1) outer.set('announce-list', tiers);
  if (options.comment) outer.set('comment', options.comment);
  outer.set('created by', options.createdBy ?? CREATED_BY);
  const date = options.creationDate === undefined ? nowS() : options.creationDate;
  if (date !== null) outer.set('creation date', date);
  outer.set('info', info);
  if (pieceLayers && pieceLayers.size > 0) outer.set('piece layers', pieceLayers);
  if (options.webSeeds?.length) outer.set('url-list', [...options.webSeeds]);
  const bytes = encode(outer);
  return { bytes, torrent: parseTorrent(bytes) };
}

