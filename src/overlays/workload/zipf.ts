/** Zipf popularity: item i (0-based) is drawn with probability proportional to 1 / (i + 1)^s. */
import type { Random } from '../../runtime/types.js';

export class ZipfDistribution {
  readonly n: number;
  readonly exponent: number;
  /** Cumulative probabilities, cdf[n - 1] === 1. */
  private readonly cdf: Float64Array;
  private readonly p: Float64Array;

  constructor(n: number, exponent: number) {
    if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`Zipf needs n >= 1 items, got ${n}`);
    if (!(exponent >= 0)) throw new RangeError(`Zipf exponent must be >= 0, got ${exponent}`);
    this.n = n;
    this.exponent = exponent;
    this.p = new Float64Array(n);
    let sum = 0;
    for (let i = 0; i < n; i++) sum += this.p[i] = 1 / (i + 1) ** exponent;
    this.cdf = new Float64Array(n);
    let acc = 0;
    for (let i = 0; i < n; i++) {
      this.p[i] /= sum;
      acc += this.p[i];
      this.cdf[i] = acc;
    }
    this.cdf[n - 1] = 1;
  }

  probability(i: number): number {
    return this.p[i];
  }

  /** Draws an item index. */
  sample(random: Random): number {
    const u = random.next();
    let lo = 0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cdf[mid] <= u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
