/**
 * Churn with Weibull session lengths, the shape measured in deployed peer-to-peer systems
 * (Stutzbach & Rejaie 2006: shape 0.34-0.59, many short sessions and a long tail). When a
 * session ends the node crashes (or, with `gracefulFraction`, leaves gracefully) and a new
 * node takes its place after `replaceAfterMs`, sharing the same items, so the network size
 * and the catalogue's replication stay level.
 */
import type { Random } from '../../runtime/types.js';

export interface ChurnOptions {
  /** Weibull shape k. Default 0.5. */
  shape: number;
  /** Weibull scale, ms. Default 30 minutes (median session about 14 minutes at k = 0.5). */
  scaleMs: number;
  /** Share of departures that are graceful leaves rather than crashes. Default 0. */
  gracefulFraction: number;
  /** Delay before a departed node's replacement joins, ms. Default 0. */
  replaceAfterMs: number;
}

export const CHURN_DEFAULTS: ChurnOptions = { shape: 0.5, scaleMs: 30 * 60_000, gracefulFraction: 0, replaceAfterMs: 0 };

/** One Weibull(k, lambda) draw by inversion. */
export function weibull(random: Random, shape: number, scale: number): number {
  if (!(shape > 0 && scale > 0)) throw new RangeError('Weibull shape and scale must be > 0');
  return scale * (-Math.log(1 - random.next())) ** (1 / shape);
}

/** The median of Weibull(k, lambda): lambda (ln 2)^(1/k). */
export function weibullMedian(shape: number, scale: number): number {
  return scale * Math.LN2 ** (1 / shape);
}
