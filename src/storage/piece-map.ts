/** Piece-space helpers shared by the backends: where a block's bytes live, and whether blocks cover a piece. */
import type { PieceLayout } from '../metainfo/layout.js';
import { BlockRangeError } from './errors.js';

/** Part of a span of the piece space that falls in one file. */
export interface SpanPart {
  /** Offset within the span. */
  readonly at: number;
  readonly length: number;
  /** Index into `layout.files`. */
  readonly fileIndex: number;
  /** Offset within that file. */
  readonly fileOffset: number;
  /** A pad range: zeros that are never stored. */
  readonly pad: boolean;
}

/** The file parts of bytes [offset, offset + length) of piece `piece`, in order. */
export function spanParts(layout: PieceLayout, piece: number, offset: number, length: number): SpanPart[] {
  let at = 0;
  return layout.slices(piece * layout.pieceLength + offset, length).map((s) => {
    const part = { at, length: s.length, fileIndex: s.fileIndex, fileOffset: s.offset, pad: layout.files[s.fileIndex].pad };
    at += s.length;
    return part;
  });
}

/** Throws `BlockRangeError` unless [offset, offset + length) is a non-empty range inside piece `piece`. */
export function validateBlock(layout: PieceLayout, piece: number, offset: number, length: number): void {
  const bad = (why: string) => new BlockRangeError(piece, offset, length, why);
  if (!Number.isInteger(piece) || piece < 0 || piece >= layout.pieceCount) throw bad(`the torrent has ${layout.pieceCount} pieces`);
  if (!Number.isInteger(offset) || offset < 0) throw bad('bad offset');
  if (!Number.isInteger(length) || length <= 0) throw bad('empty block');
  const size = layout.pieceSize(piece);
  if (offset + length > size) throw bad(`the piece has ${size} bytes`);
}

type Blocks = ReadonlyMap<number, Uint8Array> | readonly (readonly [number, Uint8Array])[];

/**
 * The non-pad byte ranges [start, end) of piece `piece` that no block (offset -> bytes) covers.
 * Runs once per verified piece: plain loops over numbers (blocks usually arrive in order, so
 * the sort is skipped), since the spread/map/sort form cost more to optimise than to run.
 */
export function uncovered(layout: PieceLayout, piece: number, blocks: Blocks): [number, number][] {
  const count = blocks instanceof Map ? blocks.size : (blocks as readonly unknown[]).length;
  const starts = new Float64Array(count), ends = new Float64Array(count);
  let n = 0, sorted = true;
  for (const [o, b] of blocks) {
    if (n > 0 && o < starts[n - 1]) sorted = false;
    starts[n] = o;
    ends[n++] = o + b.length;
  }
  if (!sorted) sortSpans(starts, ends);
  const gaps: [number, number][] = [];
  for (const p of spanParts(layout, piece, 0, layout.pieceSize(piece))) {
    if (p.pad) continue;
    let pos = p.at;
    const end = p.at + p.length;
    for (let k = 0; k < n && pos < end; k++) {
      const s = starts[k], e = ends[k];
      if (e <= pos) continue;
      if (s >= end) break;
      if (s > pos) gaps.push([pos, s]);
      pos = e;
    }
    if (pos < end) gaps.push([pos, end]);
  }
  return gaps;
}

/** Orders spans by start (ends follow their starts). */
function sortSpans(starts: Float64Array, ends: Float64Array): void {
  const order = Array.from(starts.keys()).sort((a, b) => starts[a] - starts[b]);
  const s = starts.slice(), e = ends.slice();
  order.forEach((from, to) => {
    starts[to] = s[from];
    ends[to] = e[from];
  });
}

/** True when the blocks cover every non-pad byte of piece `piece`. */
export function coversPiece(layout: PieceLayout, piece: number, blocks: Blocks): boolean {
  return uncovered(layout, piece, blocks).length === 0;
}

/** Copies blocks (offset -> bytes) into a piece buffer. */
export function overlay(buf: Uint8Array, blocks: Iterable<readonly [number, Uint8Array]>): void {
  for (const [o, b] of blocks) buf.set(b, o);
}

/** Zeroes the pad ranges of a piece buffer (pad bytes are zeros whatever a peer sent). */
export function zeroPads(layout: PieceLayout, piece: number, buf: Uint8Array): void {
  for (const p of spanParts(layout, piece, 0, buf.length)) if (p.pad) buf.fill(0, p.at, p.at + p.length);
}
