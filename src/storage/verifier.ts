/**
 * Piece verification against a torrent's expected hashes: SHA-1 over the whole piece for v1
 * (BEP 3, pad bytes as zeros), the BEP 52 SHA-256 piece hash for v2, both for hybrids.
 * A v2 piece's hash is its file's piece-layer entry, or the file's `pieces root` when the
 * file is at most one piece long. Usable on its own (e.g. by a checker on another thread).
 */
import { createHash, type Hash } from 'node:crypto';
import type { Torrent } from '../metainfo/torrent.js';
import { BLOCK_SIZE, HASH_SIZE, pieceHashFromLeaves } from '../metainfo/merkle.js';
import { spanParts } from './piece-map.js';

/** What a v2 piece is checked against. */
interface V2Piece {
  readonly expected: Uint8Array;
  /** Real file bytes at the start of the piece (the leaves cover only these). */
  readonly dataLength: number;
  readonly fileLength: number;
}

/** Pad bytes are hashed from this, a slice at a time (a pad can be almost a whole piece). */
const ZEROS = new Uint8Array(64 * 1024);

function updateZeros(h: Hash, n: number): void {
  for (let left = n; left > 0; left -= ZEROS.length) h.update(ZEROS.subarray(0, Math.min(left, ZEROS.length)));
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
    if (data.length !== this.torrent.layout.pieceSize(piece)) return false;
    const h = this.hasher(piece);
    h.update(data);
    return h.matches();
  }

  /**
   * An incremental check of piece `piece`: feed its bytes in order, in chunks of any size, then
   * ask `matches()`. Memory stays at one chunk plus a leaf hash per 16 KiB (v2), whatever the
   * piece size. Counts as one hashed piece.
   */
  hasher(piece: number): PieceHasher {
    this.hashed++;
    return new PieceHasher(this.torrent, piece, this.v1 ? this.expectedSha1(piece) : undefined, this.v2 ? (this.v2Piece(piece) ?? null) : undefined);
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

/** One piece being hashed chunk by chunk (see `PieceVerifier.hasher`). */
export class PieceHasher {
  private readonly size: number;
  private pos = 0;
  private readonly sha1?: Hash;
  private readonly leaves: Uint8Array[] = [];
  private leaf?: Hash;
  private leafBytes = 0;

  /** `v2`: undefined when the torrent has no v2 hashes; null when it has but none for this piece (it cannot match). */
  constructor(
    private readonly torrent: Torrent,
    private readonly piece: number,
    private readonly sha1Expected: Uint8Array | undefined,
    private readonly v2: V2Piece | null | undefined,
  ) {
    this.size = torrent.layout.pieceSize(piece);
    if (sha1Expected) this.sha1 = createHash('sha1');
  }

  /** The next bytes of the piece. Bytes past the piece's end make it fail. */
  update(chunk: Uint8Array): void {
    const start = this.pos;
    this.pos += chunk.length;
    if (this.pos > this.size) return;
    if (this.sha1) {
      for (const p of spanParts(this.torrent.layout, this.piece, start, chunk.length)) {
        if (p.pad) updateZeros(this.sha1, p.length);
        else this.sha1.update(chunk.subarray(p.at, p.at + p.length));
      }
    }
    // BEP 52: a v2 piece hash covers only its file's bytes, as 16 KiB leaves.
    if (this.v2) this.addLeafBytes(chunk.subarray(0, Math.max(0, Math.min(chunk.length, this.v2.dataLength - start))));
  }

  /** True when every byte arrived and each hash the torrent has for the piece matches. */
  matches(): boolean {
    if (this.pos !== this.size) return false;
    if (this.sha1 && !equal(this.sha1.digest(), this.sha1Expected)) return false;
    if (this.v2 === null) return false;
    if (this.v2) {
      if (this.leaf) this.leaves.push(this.leaf.digest());
      this.leaf = undefined;
      const root = pieceHashFromLeaves(this.leaves, this.torrent.layout.pieceLength, this.v2.fileLength);
      if (!equal(root, this.v2.expected)) return false;
    }
    return true;
  }

  private addLeafBytes(data: Uint8Array): void {
    for (let o = 0; o < data.length;) {
      this.leaf ??= createHash('sha256');
      const n = Math.min(BLOCK_SIZE - this.leafBytes, data.length - o);
      this.leaf.update(data.subarray(o, o + n));
      o += n;
      this.leafBytes += n;
      if (this.leafBytes === BLOCK_SIZE) {
        this.leaves.push(this.leaf.digest());
        this.leaf = undefined;
        this.leafBytes = 0;
      }
    }
  }
}

function equal(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return b !== undefined && Buffer.compare(a, b) === 0;
}
