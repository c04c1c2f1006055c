/**
 * A seedable pseudo-random source shared by both runtimes: xoshiro128** (Blackman & Vigna),
 * seeded through splitmix32. Fast, 128 bits of state, passes BigCrush for our purposes, and
 * a run with the same seed replays exactly. Not cryptographic: never use it for keys or
 * tokens (use `node:crypto` at the edges for those).
 */
import type { Random } from './types.js';

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

/** One splitmix32 step: a good 32-bit mixer used to expand seeds. */
export function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return (z ^ (z >>> 15)) >>> 0;
}

/** Mixes a 32-bit integer into a well-distributed 32-bit hash (lowbias32). */
export function mix32(x: number): number {
  let z = x | 0;
  z ^= z >>> 16;
  z = Math.imul(z, 0x7feb352d);
  z ^= z >>> 15;
  z = Math.imul(z, 0x846ca68b);
  z ^= z >>> 16;
  return z >>> 0;
}

export class SeededRandom implements Random {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /**
   * `seed` is any finite number (integers up to 2^53 keep all their bits); the same seed
   * always yields the same sequence.
   */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new RangeError(`random seed must be a finite number, got ${seed}`);
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    this.setState(splitmix32(lo), splitmix32(hi ^ 0x5bd1e995), splitmix32(lo ^ 0x1b873593), splitmix32(hi + 0x68e31da4));
  }

  private setState(a: number, b: number, c: number, d: number): void {
    this.s0 = a | 0;
    this.s1 = b | 0;
    this.s2 = c | 0;
    this.s3 = d | 0;
    // xoshiro's only bad state is all zeros.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 0x9e3779b9 | 0;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** A float in [0, 1) with the full 53 bits of resolution (two draws). */
  next53(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / TWO_POW_53;
  }

  /**
   * An integer in [0, n). For n <= 2^32 this is one draw scaled by multiplication (bias
   * below n / 2^32, far under anything a simulation can observe); larger n use 53 bits.
   */
  int(n: number): number {
    if (!(n >= 1) || !Number.isFinite(n)) throw new RangeError(`random.int needs a finite n >= 1, got ${n}`);
    if (n <= TWO_POW_32) return Math.floor((this.nextUint32() / TWO_POW_32) * Math.floor(n));
    return Math.floor(this.next53() * Math.floor(n));
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let i = 0;
    for (; i + 4 <= n; i += 4) {
      const v = this.nextUint32();
      out[i] = v & 0xff;
      out[i + 1] = (v >>> 8) & 0xff;
      out[i + 2] = (v >>> 16) & 0xff;
      out[i + 3] = v >>> 24;
    }
    if (i < n) {
      let v = this.nextUint32();
      for (; i < n; i++, v >>>= 8) out[i] = v & 0xff;
    }
    return out;
  }

  /**
   * A new, independent generator derived from this one's next outputs (advancing this
   * one). Forking in a fixed order (e.g. one per simulated host, in creation order) keeps
   * every stream deterministic for a given root seed.
   */
  fork(): SeededRandom {
    const child = new SeededRandom(0);
    child.setState(
      splitmix32(this.nextUint32()),
      splitmix32(this.nextUint32() ^ 0x85ebca6b),
      splitmix32(this.nextUint32() ^ 0xc2b2ae35),
      splitmix32(this.nextUint32() ^ 0x27d4eb2f),
    );
    return child;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Shorthand for `new SeededRandom(seed)`. */
export function createRandom(seed: number): SeededRandom {
  return new SeededRandom(seed);
}
