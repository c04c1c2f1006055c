/**
 * Piece verification against a torrent's expected hashes: SHA-1 over the whole piece for v1
 * (BEP 3, pad bytes as zeros), the BEP 52 SHA-256 piece hash for v2, both for hybrids.
 * A v2 piece's hash is its file's piece-layer entry, or the file's `pieces root` when the
 * file is at most one piece long. Usable on its own (e.g. by a checker on another thread).
 */
import { createHash } from 'node:crypto';
import type { Torrent } from '../metainfo/torrent.js';
import { HASH_SIZE, blockLeaves, pieceHashFromLeaves } from '../metainfo/merkle.js';
import { spanParts } from './piece-map.js';

/** What a v2 piece is checked against. */
interface V2Piece {
  readonly expected: Uint8Array;
  /** Real file bytes at the start of the piece (the leaves cover only these). */
  readonly dataLength: number;
  readonly fileLength: number;
}

let zeros = new Uint8Array(0);
function zeroBytes(n: number): Uint8Array {
  if (zeros.length < n) zeros = new Uint8Array(n);
  return zeros.subarray(0, n);
}

export class PieceVerifier {
  /** Pieces hashed so far (tests count these to prove a restart hashed nothing). */
  hashed = 0;
  private readonly v1: boolean;
  private readonly v2: boolean;

  constructor(readonly torrent: Torrent) {
    this.v1 = torrent.pieces !== undefined;
    // A hybrid from a magnet link may lack its piece layers: then its v1 hashes decide.
    this.v2 = torrent.version !== 'v1' && !(torrent.missingPieceLayers && this.v1);
  }

  /** The SHA-1 the piece must have (v1 and hybrid), else undefined. */
  expectedSha1(piece: number): Uint8Array | undefined {
    return this.torrent.pieces?.subarray(piece * 20, piece * 20 + 20);
  }

  /** The v2 piece hash the piece must have (v2 and hybrid), else undefined. */
  expectedV2(piece: number): Uint8Array | undefined {
    return this.v2Piece(piece)?.expected;
  }

  /**
   * True when `data` (the whole piece) matches every hash the torrent has for it.
   * Pad ranges are hashed as zeros whatever `data` holds there; `data` is not modified.
   */
  verify(piece: number, data: Uint8Array): boolean {
    const { layout } = this.torrent;
    if (data.length !== layout.pieceSize(piece)) return false;
    this.hashed++;
    if (this.v1) {
      const h = createHash('sha1');
      for (const p of spanParts(layout, piece, 0, data.length)) h.update(p.pad ? zeroBytes(p.length) : data.subarray(p.at, p.at + p.length));
      if (!equal(h.digest(), this.expectedSha1(piece))) return false;
    }
    if (this.v2) {
      const v = this.v2Piece(piece);
      if (!v) return false;
      const leaves = blockLeaves(data.subarray(0, v.dataLength));
      if (!equal(pieceHashFromLeaves(leaves, layout.pieceLength, v.fileLength), v.expected)) return false;
    }
    return true;
  }

  private v2Piece(piece: number): V2Piece | undefined {
    const { layout, pieceLayers } = this.torrent;
    // In v2 every file starts on a piece boundary, so a piece holds one file's bytes, then padding.
    const part = spanParts(layout, piece, 0, layout.pieceSize(piece)).find((p) => !p.pad);
    if (!part || part.at !== 0) return undefined;
    const file = layout.files[part.fileIndex];
    if (!file.piecesRoot) return undefined;
    if (file.length <= layout.pieceLength) return { expected: file.piecesRoot, dataLength: part.length, fileLength: file.length };
    const layer = pieceLayers.get(Buffer.from(file.piecesRoot).toString('latin1'));
    const k = Math.floor(part.fileOffset / layout.pieceLength);
    if (!layer || layer.length < (k + 1) * HASH_SIZE) return undefined;
    return { expected: layer.subarray(k * HASH_SIZE, (k + 1) * HASH_SIZE), dataLength: part.length, fileLength: file.length };
  }
}

function equal(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && Buffer.compare(a, b) === 0;
}
