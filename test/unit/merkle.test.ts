import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  BLOCK_SIZE, blockLeaves, merkleRoot, nextPowerOfTwo, pieceHashFromLeaves, rootFromPieceLayer, zeroSubtreeRoot,
} from '../../src/metainfo/merkle.js';

const h = (...parts: Uint8Array[]) => {
  const x = createHash('sha256');
  for (const p of parts) x.update(p);
  return new Uint8Array(x.digest());
};

/** The textbook definition: pad leaves with zero hashes to a power of two, hash pairs up. */
function naiveRoot(leaves: Uint8Array[], width: number): Uint8Array {
  let level = [...leaves];
  while (level.length < width) level.push(new Uint8Array(32));
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(h(level[i], level[i + 1]));
    level = next;
  }
  return level[0];
}

function data(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('merkle trees (BEP 52)', () => {
  it('agrees with the textbook construction for every width up to 64', () => {
    for (let n = 1; n <= 40; n++) {
      const leaves = Array.from({ length: n }, (_, i) => h(new Uint8Array([i])));
      const width = nextPowerOfTwo(n);
      assert.deepEqual(merkleRoot(leaves, width), naiveRoot(leaves, width), `n=${n}`);
      assert.deepEqual(merkleRoot(leaves, width * 2), naiveRoot(leaves, width * 2), `n=${n} wider`);
    }
  });

  it('zero subtree roots are hashes of zero hashes', () => {
    assert.deepEqual(zeroSubtreeRoot(0), new Uint8Array(32));
    assert.deepEqual(zeroSubtreeRoot(2), naiveRoot([], 4));
  });

  it('a piece layer reproduces the root over all the file leaves', () => {
    for (const [fileLength, pieceLength] of [[5 * BLOCK_SIZE + 17, 2 * BLOCK_SIZE], [9 * 4 * BLOCK_SIZE, 4 * BLOCK_SIZE], [3 * BLOCK_SIZE, BLOCK_SIZE], [BLOCK_SIZE * 4 + 1, 4 * BLOCK_SIZE]]) {
      const d = data(fileLength);
      const leaves = blockLeaves(d);
      const expected = naiveRoot(leaves, nextPowerOfTwo(leaves.length));
      const perPiece = pieceLength / BLOCK_SIZE;
      const layer: Uint8Array[] = [];
      for (let i = 0; i < leaves.length; i += perPiece) layer.push(pieceHashFromLeaves(leaves.slice(i, i + perPiece), pieceLength, fileLength));
      assert.deepEqual(rootFromPieceLayer(layer, pieceLength, fileLength), expected, `file ${fileLength} piece ${pieceLength}`);
    }
  });

  it('a file of at most one piece pads only to its own block count', () => {
    const d = data(3 * BLOCK_SIZE - 5);
    const leaves = blockLeaves(d);
    const root = pieceHashFromLeaves(leaves, 16 * BLOCK_SIZE, d.length);
    assert.deepEqual(root, naiveRoot(leaves, 4));
    assert.deepEqual(rootFromPieceLayer([root], 16 * BLOCK_SIZE, d.length), root);
  });
});
