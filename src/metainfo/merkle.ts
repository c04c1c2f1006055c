/**
 * BEP 52 SHA-256 merkle trees: 16 KiB leaf blocks, branching factor 2, leaves beyond the
 * end of a file are 32 zero bytes. A piece layer holds one hash per `piece length` bytes.
 */
import { createHash } from 'node:crypto';

export const BLOCK_SIZE = 16 * 1024;
export const HASH_SIZE = 32;

const ZERO_LEAF = new Uint8Array(HASH_SIZE);

/** A plain Uint8Array view of a digest (Buffers compare unequal to Uint8Arrays in strict asserts). */
function plain(b: Buffer): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

export function sha256(data: Uint8Array): Uint8Array {
  return plain(createHash('sha256').update(data).digest());
}

function hashPair(a: Uint8Array, b: Uint8Array): Uint8Array {
  return plain(createHash('sha256').update(a).update(b).digest());
}

export function isPowerOfTwo(n: number): boolean {
  // Not `Number.isInteger(Math.log2(n))`: log2 rounds, so it called 2^50 + 1 a power of two.
  return Number.isSafeInteger(n) && n >= 1 && 2 ** Math.round(Math.log2(n)) === n;
}

export function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

const zeroRoots: Uint8Array[] = [ZERO_LEAF];
/** Root of a subtree of `2^height` zero leaves. */
export function zeroSubtreeRoot(height: number): Uint8Array {
  while (zeroRoots.length <= height) {
    const below = zeroRoots[zeroRoots.length - 1];
    zeroRoots.push(hashPair(below, below));
  }
  return zeroRoots[height];
}

/**
 * Merkle root over `hashes`, padded to `width` entries (a power of two) with `pad`
 * (the root of a zero subtree of the level the hashes sit at).
 */
export function merkleRoot(hashes: readonly Uint8Array[], width: number, pad: Uint8Array = ZERO_LEAF): Uint8Array {
  if (hashes.length > width) throw new RangeError('more hashes than the tree width');
  if (width === 1) return hashes[0] ?? pad;
  let level: Uint8Array[] = hashes.slice();
  let padding = pad;
  for (let w = width; w > 1; w /= 2) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < w / 2; i++) {
      const a = level[2 * i], b = level[2 * i + 1];
      if (a === undefined) break; // the rest of this level is padding
      next.push(hashPair(a, b ?? padding));
    }
    padding = hashPair(padding, padding);
    level = next;
  }
  return level[0] ?? padding;
}

/** Leaf hashes of the 16 KiB blocks of `data` (the last block may be short). */
export function blockLeaves(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < data.length; o += BLOCK_SIZE) out.push(sha256(data.subarray(o, Math.min(o + BLOCK_SIZE, data.length))));
  return out;
}

/**
 * The hash of one piece of a file, as the piece layer holds it: the subtree root over the
 * piece's leaves. A file of at most one piece pads its leaves only to the next power of
 * two of its own block count; a longer file's pieces each cover a full piece of leaves.
 */
export function pieceHashFromLeaves(leaves: readonly Uint8Array[], pieceLength: number, fileLength: number): Uint8Array {
  const blocksPerPiece = pieceLength / BLOCK_SIZE;
  const fileBlocks = Math.ceil(fileLength / BLOCK_SIZE);
  const width = fileBlocks > blocksPerPiece ? blocksPerPiece : nextPowerOfTwo(fileBlocks);
  return merkleRoot(leaves, width);
}

/** The file's `pieces root` from its piece layer (for files longer than one piece) or its only piece hash. */
export function rootFromPieceLayer(pieceHashes: readonly Uint8Array[], pieceLength: number, fileLength: number): Uint8Array {
  if (fileLength <= pieceLength) return pieceHashes[0];
  const height = Math.log2(pieceLength / BLOCK_SIZE);
  return merkleRoot(pieceHashes, nextPowerOfTwo(pieceHashes.length), zeroSubtreeRoot(height));
}

/** Splits a concatenated layer into 32-byte hashes. */
export function splitHashes(layer: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let o = 0; o < layer.length; o += HASH_SIZE) out.push(layer.subarray(o, o + HASH_SIZE));
  return out;
}

export { concatBytes } from '../util/bytes.js';
