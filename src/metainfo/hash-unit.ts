/**
 * One unit of torrent-creation hashing: a run of consecutive pieces, read from the files
 * (pad ranges stay zero), hashed with SHA-1 (v1) and as BEP 52 piece hashes (v2).
 * Runs both on worker threads and, for small inputs, on the calling thread.
 */
import { createHash } from 'node:crypto';
import { BLOCK_SIZE, HASH_SIZE, nextPowerOfTwo, merkleRoot, sha256 } from './merkle.js';

export interface ReadRange {
  readonly path: string;
  /** Offset within the file. */
  readonly offset: number;
  readonly length: number;
  /** Where the bytes go in the unit's buffer. */
  readonly at: number;
}

export interface UnitPiece {
  /** Bytes of this piece in the piece space (v1 hash input). */
  readonly size: number;
  /** Real file bytes at the start of the piece (v2 leaves cover only these). */
  readonly dataLength: number;
  /** Length of the file this piece belongs to (v2 padding rule). */
  readonly fileLength: number;
}

export interface HashUnit {
  readonly id: number;
  readonly pieceLength: number;
  readonly v1: boolean;
  readonly v2: boolean;
  readonly length: number;
  readonly reads: readonly ReadRange[];
  readonly pieces: readonly UnitPiece[];
}

export interface HashUnitResult {
  readonly id: number;
  /** 20 bytes per piece, when v1. */
  readonly sha1: Uint8Array;
  /** 32 bytes per piece, when v2. */
  readonly v2: Uint8Array;
}

/** Reads a unit's byte ranges (the Node backend: runtime/node/create/file-reader.ts). */
export interface UnitReader {
  read(r: ReadRange, into: Uint8Array): void;
}

export interface HashPoolOptions {
  /** Worker threads (default: available cores, at most 4). 0 hashes on the calling thread. */
  threads?: number;
  /** Called after each finished unit with the bytes of piece space done so far. */
  onProgress?: (doneBytes: number) => void;
}

export function hashUnit(unit: HashUnit, buffer: Uint8Array, reader: UnitReader): HashUnitResult {
  const buf = buffer.subarray(0, unit.length);
  let covered = 0;
  for (const r of unit.reads) covered += r.length;
  // Pad ranges must read as zeros; skip the fill when the files cover the whole unit.
  if (covered < unit.length) buf.fill(0);
  for (const r of unit.reads) reader.read(r, buf);
  const sha1 = new Uint8Array(unit.v1 ? unit.pieces.length * 20 : 0);
  const v2 = new Uint8Array(unit.v2 ? unit.pieces.length * HASH_SIZE : 0);
  const blocksPerPiece = unit.pieceLength / BLOCK_SIZE;
  let at = 0;
  unit.pieces.forEach((p, i) => {
    if (unit.v1) sha1.set(createHash('sha1').update(buf.subarray(at, at + p.size)).digest(), i * 20);
    if (unit.v2) {
      const leaves: Uint8Array[] = [];
      for (let o = 0; o < p.dataLength; o += BLOCK_SIZE) leaves.push(sha256(buf.subarray(at + o, at + Math.min(o + BLOCK_SIZE, p.dataLength))));
      const fileBlocks = Math.ceil(p.fileLength / BLOCK_SIZE);
      const width = fileBlocks > blocksPerPiece ? blocksPerPiece : nextPowerOfTwo(fileBlocks);
      v2.set(merkleRoot(leaves, width), i * HASH_SIZE);
    }
    at += p.size;
  });
  return { id: unit.id, sha1, v2 };
}
