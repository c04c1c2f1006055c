/** How a torrent's pieces look on the wire. */
import type { Torrent } from '../metainfo/torrent.js';
import { BLOCK_LENGTH } from './piece-picker.js';

/**
 * Bytes of each piece worth requesting: up to the end of its last non-pad byte, rounded
 * up to a whole block (capped at the piece size). Blocks that hold nothing but pad bytes
 * (BEP 47; the implicit alignment gaps of v2) are never requested: they are zeros, and
 * storage fills them in. libtorrent does the same with its pad blocks.
 */
export function pieceWireBytes(t: Torrent): Uint32Array {
  const out = new Uint32Array(t.pieceCount);
  const layout = t.layout;
  for (let i = 0; i < t.pieceCount; i++) {
    const size = layout.pieceSize(i);
    let end = 0;
    for (const s of layout.pieceSlices(i)) {
      if (layout.files[s.fileIndex].pad) continue;
      end = layout.files[s.fileIndex].offset + s.offset + s.length - i * t.pieceLength;
    }
    out[i] = Math.min(size, Math.ceil(end / BLOCK_LENGTH) * BLOCK_LENGTH);
  }
  return out;
}

/**
 * Piece priorities from file priorities (real files in order; missing entries mean 1): a
 * piece shared by several files takes the highest priority among them.
 */
export function piecePriorities(t: Torrent, filePriorities: readonly number[]): number[] {
  const best = new Array<number>(t.pieceCount).fill(0);
  let k = 0;
  t.layout.files.forEach((f, layoutIndex) => {
    if (f.pad) return;
    const prio = filePriorities[k++] ?? 1;
    const range = t.layout.filePieces(layoutIndex);
    if (!range) return;
    for (let p = range.first; p <= range.last; p++) best[p] = Math.max(best[p], prio);
  });
  return best;
}
