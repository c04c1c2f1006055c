/**
 * Hashing a piece too large to hold in memory (issue 12): `chunkBytes` at a time, each chunk
 * read from disk where no block in memory covers it, overlaid with those blocks, its pad
 * ranges zeroed (BEP 47), then fed to the piece's incremental hasher (BEP 3 / BEP 52).
 */
import type { PieceLayout } from '../metainfo/layout.js';
import { spanParts, uncovered } from './piece-map.js';
import type { PieceHasher } from './verifier.js';

export interface ChunkedHashInput {
  readonly layout: PieceLayout;
  readonly piece: number;
  /** Blocks held in memory (piece offset -> bytes); they win over what the disk holds. */
  readonly blocks: readonly (readonly [number, Uint8Array])[];
  readonly chunkBytes: number;
  readonly hasher: PieceHasher;
  /** Reads bytes [offset, offset + out.length) of the piece from disk (throws when missing). */
  readSpan(offset: number, out: Uint8Array): Promise<void>;
}

/** True when the piece matches; a failed read (e.g. a short file) propagates. Holds one chunk. */
export async function hashInChunks(i: ChunkedHashInput): Promise<boolean> {
  const size = i.layout.pieceSize(i.piece);
  const gaps = uncovered(i.layout, i.piece, i.blocks);
  const chunk = new Uint8Array(Math.min(size, i.chunkBytes));
  for (let start = 0; start < size; start += chunk.length) {
    const end = Math.min(size, start + chunk.length);
    const buf = chunk.subarray(0, end - start);
    for (const [gs, ge] of gaps) {
      const s = Math.max(gs, start), e = Math.min(ge, end);
      if (s < e) await i.readSpan(s, buf.subarray(s - start, e - start));
    }
    for (const [o, b] of i.blocks) {
      const s = Math.max(o, start), e = Math.min(o + b.length, end);
      if (s < e) buf.set(b.subarray(s - o, e - o), s - start);
    }
    for (const p of spanParts(i.layout, i.piece, start, buf.length)) if (p.pad) buf.fill(0, p.at, p.at + p.length);
    i.hasher.update(buf);
  }
  return i.hasher.matches();
}
