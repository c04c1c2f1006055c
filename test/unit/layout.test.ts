import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PieceLayout } from '../../src/metainfo/layout.js';

const entry = (name: string, length: number, pad = false) => ({ path: [name], length, pad, attr: pad ? 'p' : '' });

describe('PieceLayout', () => {
  const layout = PieceLayout.fromEntries([entry('a', 10), entry('empty', 0), entry('b', 25), entry('.pad', 5, true), entry('c', 7)], 16);

  it('assigns offsets end to end and counts pieces', () => {
    assert.deepEqual(layout.files.map((f) => f.offset), [0, 10, 10, 35, 40]);
    assert.equal(layout.totalLength, 47);
    assert.equal(layout.pieceCount, 3);
    assert.equal(layout.pieceSize(2), 15);
    assert.throws(() => layout.pieceSize(3), RangeError);
  });

  it('maps a piece to the file ranges it covers, skipping empty files', () => {
    assert.deepEqual(layout.pieceSlices(0), [
      { fileIndex: 0, offset: 0, length: 10 },
      { fileIndex: 2, offset: 0, length: 6 },
    ]);
    assert.deepEqual(layout.pieceSlices(2), [
      { fileIndex: 2, offset: 22, length: 3 },
      { fileIndex: 3, offset: 0, length: 5 },
      { fileIndex: 4, offset: 0, length: 7 },
    ]);
  });

  it('maps a file to the pieces it touches', () => {
    assert.deepEqual(layout.filePieces(0), { first: 0, last: 0 });
    assert.deepEqual(layout.filePieces(2), { first: 0, last: 2 });
    assert.equal(layout.filePieces(1), null);
  });

  it('every byte of the piece space maps to exactly one file byte', () => {
    let covered = 0;
    for (let p = 0; p < layout.pieceCount; p++) for (const s of layout.pieceSlices(p)) covered += s.length;
    assert.equal(covered, layout.totalLength);
  });
});
