/**
 * `uncovered`: the non-pad byte ranges of a piece that no block in memory covers (what a
 * verification must read from disk), for blocks in any order, overlapping or duplicated,
 * against a byte-by-byte model.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PieceLayout } from '../../src/metainfo/layout.js';
import { uncovered } from '../../src/storage/piece-map.js';

function file(path: string, length: number, pad = false) {
  return { path: [path], length, pad, attr: pad ? 'p' : '' };
}

/** Byte-by-byte: which bytes are real (not pad) and not under any block, as [start, end) runs. */
function model(layout: PieceLayout, piece: number, blocks: [number, Uint8Array][]): [number, number][] {
  const size = layout.pieceSize(piece);
  const covered = new Uint8Array(size);
  for (const [o, b] of blocks) covered.fill(1, o, o + b.length);
  const base = piece * layout.pieceLength;
  const gaps: [number, number][] = [];
  for (let i = 0; i < size; i++) {
    const f = layout.files[layout.fileAt(base + i)];
    const open = !covered[i] && !f.pad;
    const last = gaps[gaps.length - 1];
    if (open && last && last[1] === i) last[1] = i + 1;
    else if (open) gaps.push([i, i + 1]);
  }
  return gaps;
}

describe('uncovered', () => {
  const layout = PieceLayout.fromEntries([file('a', 700), file('pad', 324, true), file('b', 1500)], 1024);

  it('no blocks: every real byte; all blocks in order: nothing', () => {
    assert.deepEqual(uncovered(layout, 0, []), [[0, 700]]);
    assert.deepEqual(uncovered(layout, 1, new Map([[0, new Uint8Array(512)], [512, new Uint8Array(512)]])), []);
  });

  it('matches the byte model for blocks out of order, overlapping and repeated (seeded)', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let round = 0; round < 300; round++) {
      const piece = rand(layout.pieceCount);
      const size = layout.pieceSize(piece);
      const blocks: [number, Uint8Array][] = [];
      for (let k = rand(8); k > 0; k--) {
        const o = rand(size);
        blocks.push([o, new Uint8Array(1 + rand(size - o))]);
      }
      assert.deepEqual(uncovered(layout, piece, blocks), model(layout, piece, blocks), `round ${round}`);
    }
  });
});
