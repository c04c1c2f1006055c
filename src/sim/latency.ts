/**
 * Latency models: how long a packet takes from one simulated host to another, before any
 * bandwidth (serialization) delay. A model must be deterministic for a given pair and seed;
 * it is asked on every datagram and stream segment, so it should also be cheap.
 */
import { mix32, splitmix32 } from '../runtime/random.js';

/**
 * Hosts are named by `SimHost.id`: dense integers from 0 in creation order, so a model
 * that needs per-host attributes (a region, coordinates) keeps them in an array by id.
 */
export interface LatencyModel {
  /** One-way delay in ms from host `from` to host `to` (two different host ids). */
  oneWayMs(from: number, to: number): number;
}

/** Every pair of hosts has the same one-way delay. */
export class ConstantLatency implements LatencyModel {
  readonly ms: number;
  constructor(oneWayMs: number) {
    if (!(oneWayMs >= 0)) throw new RangeError(`one-way latency must be >= 0 ms, got ${oneWayMs}`);
    this.ms = oneWayMs;
  }
  oneWayMs(): number {
    return this.ms;
  }
}

export interface LognormalLatencyOptions {
  /** Seed; the simulator passes its own. Default 1. */
  seed?: number;
  /** Median round-trip time over all pairs, ms. Default 60. */
  medianRttMs?: number;
  /** Standard deviation of ln(RTT). Default 0.6 (95th percentile ~2.7x the median). */
  sigma?: number;
  /** No pair is faster than this round trip, ms. Default 2. */
  minRttMs?: number;
}

const TABLE_BITS = 12;
const TABLE_SIZE = 1 << TABLE_BITS;
const FRACTION_BITS = 32 - TABLE_BITS;
const FRACTION_SCALE = 1 / (1 << FRACTION_BITS);

/**
 * Round-trip times drawn from a lognormal distribution, fixed per unordered host pair (so
 * A->B and B->A agree, and a pair keeps its RTT for the whole run). The pair's ids are
 * hashed with the seed to a uniform 32-bit value, which indexes a precomputed table of
 * lognormal quantiles (interpolated), so a lookup is a handful of integer operations and
 * no transcendental functions. One-way latency is half the RTT.
 */
export class LognormalLatency implements LatencyModel {
  readonly medianRttMs: number;
  readonly sigma: number;
  readonly minRttMs: number;
  private readonly salt: number;
  private readonly table: Float64Array;

  constructor(options: LognormalLatencyOptions = {}) {
    this.medianRttMs = options.medianRttMs ?? 60;
    this.sigma = options.sigma ?? 0.6;
    this.minRttMs = options.minRttMs ?? 2;
    if (!(this.medianRttMs > 0)) throw new RangeError(`medianRttMs must be > 0, got ${this.medianRttMs}`);
    if (!(this.sigma >= 0)) throw new RangeError(`sigma must be >= 0, got ${this.sigma}`);
    const seed = options.seed ?? 1;
    this.salt = splitmix32((seed >>> 0) ^ splitmix32(Math.floor(seed / 4294967296) >>> 0));
    // Quantile nodes at p = (i + 0.5) / (TABLE_SIZE + 1); one extra node to interpolate into.
    this.table = new Float64Array(TABLE_SIZE + 1);
    for (let i = 0; i <= TABLE_SIZE; i++) {
      const z = inverseNormalCdf((i + 0.5) / (TABLE_SIZE + 1));
      const rtt = Math.max(this.minRttMs, this.medianRttMs * Math.exp(this.sigma * z));
      this.table[i] = rtt / 2;
    }
  }

  /** The pair's round-trip time in ms (symmetric). */
  rttMs(a: number, b: number): number {
    return 2 * this.oneWayMs(a, b);
  }

  oneWayMs(from: number, to: number): number {
    const x = from;
    const y = to;
    const lo = x < y ? x : y;
    const hi = x < y ? y : x;
    const h = mix32((Math.imul(lo, 0x9e3779b1) ^ this.salt) + mix32(hi ^ 0x85ebca6b));
    const i = h >>> FRACTION_BITS;
    const f = (h & ((1 << FRACTION_BITS) - 1)) * FRACTION_SCALE;
    const t = this.table;
    const v = t[i];
    return v + (t[i + 1] - v) * f;
  }
}

/**
 * The standard normal quantile function (Acklam's rational approximation, relative error
 * below 1.2e-9), for p in (0, 1).
 */
export function inverseNormalCdf(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`inverseNormalCdf needs 0 < p < 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
