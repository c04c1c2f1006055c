/**
 * S/Kademlia's static crypto puzzle for node ids (Baumgart & Mies, "S/Kademlia: a
 * practicable approach towards secure key-based routing", 2007): a node's id is H(pubkey),
 * and the id is only valid if H(H(pubkey)) starts with `bits` zero bits. Making an id then
 * costs about 2^bits key tries (two hashes each), and, above all, an id can no longer be
 * chosen: it falls where the hash puts it, so an attacker who wants ids next to a key must
 * also grind for placement. H is SHA-1 (node:crypto), which gives Mainline's 160-bit ids.
 *
 * Mainline's KRPC carries no public key; a deployment would send it (and sign messages, as
 * S/Kademlia does). The simulator checks ids against a directory of verified keys
 * (`PuzzleDirectory`) instead.
 */
import { createHash } from 'node:crypto';
import { idFromBytes } from './node-id.js';

/** The node id of a public key: SHA-1(pubkey). */
export function puzzleId(publicKey: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha1').update(publicKey).digest());
}

/** Leading zero bits of SHA-1(SHA-1(pubkey)): the work the key's id proves. */
export function puzzleBits(publicKey: Uint8Array): number {
  const h = createHash('sha1').update(createHash('sha1').update(publicKey).digest()).digest();
  let bits = 0;
  for (const b of h) {
    if (b === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(b) - 24;
  }
  return bits;
}

export interface PuzzleSolution {
  readonly publicKey: Uint8Array;
  readonly id: Uint8Array;
  /** Keys tried (each two SHA-1s for the check). */
  readonly tries: number;
}

/** Tries keys from `nextKey` until one solves the puzzle at `bits`; at most `maxTries`. */
export function solvePuzzle(bits: number, nextKey: () => Uint8Array, maxTries = 2 ** 32): PuzzleSolution {
  if (!Number.isInteger(bits) || bits < 0 || bits > 40) throw new RangeError(`puzzle bits must be a whole number in 0..40, got ${bits}`);
  for (let tries = 1; tries <= maxTries; tries++) {
    const publicKey = nextKey();
    if (puzzleBits(publicKey) >= bits) return { publicKey, id: puzzleId(publicKey), tries };
  }
  throw new RangeError(`no key solved the ${bits}-bit puzzle in ${maxTries} tries`);
}

/** Verified (id, key) pairs; `accepts(id)` is the admission check a node applies. */
export class PuzzleDirectory {
  private readonly keys = new Map<string, Uint8Array>();
  constructor(readonly bits: number) {}

  /** Registers a key after checking its puzzle; returns false (and keeps nothing) for a key that does not solve it. */
  register(publicKey: Uint8Array): boolean {
    if (puzzleBits(publicKey) < this.bits) return false;
    this.keys.set(idFromBytes(puzzleId(publicKey)), publicKey);
    return true;
  }

  accepts(id: Uint8Array): boolean {
    return id.length === 20 && this.keys.has(idFromBytes(id));
  }

  get size(): number {
    return this.keys.size;
  }
}
