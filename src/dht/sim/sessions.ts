/**
 * Heavy-tailed session lengths for churn, in the two shapes measurement studies fit:
 * - Weibull, shape k < 1 (Stutzbach & Rejaie, "Understanding churn in peer-to-peer
 *   networks", IMC 2006: shapes 0.34-0.59 for BitTorrent, Gnutella and Kad sessions);
 * - shifted Pareto (Lomax), alpha = 3 (Leonard, Rai & Loguinov, "On lifetime-based node
 *   failure and stochastic resilience of decentralized peer-to-peer networks", SIGMETRICS
 *   2005, and Yao et al., ICNP 2006, model lifetimes so).
 * Both are parameterised by their mean, so the two models churn the same number of nodes
 * per hour and differ only in shape.
 */
import { gammaFn } from './gamma.js';

export type SessionModel = 'weibull' | 'pareto';
export const SESSION_MODELS: readonly SessionModel[] = ['weibull', 'pareto'];

export interface SessionShape {
  readonly model: SessionModel;
  /** Mean session (and offline spell) length, ms. */
  readonly meanMs: number;
  /** Weibull k. Default 0.5. */
  readonly weibullShape?: number;
  /** Pareto alpha (> 1). Default 3. */
  readonly paretoAlpha?: number;
}

/** One draw by inversion from a uniform `u` in [0, 1). */
export function drawSession(s: SessionShape, u: number): number {
  if (s.model === 'weibull') {
    const k = s.weibullShape ?? 0.5;
    const scale = s.meanMs / gammaFn(1 + 1 / k);
    return scale * Math.pow(-Math.log(1 - u), 1 / k);
  }
  const a = s.paretoAlpha ?? 3;
  if (!(a > 1)) throw new RangeError(`Pareto alpha must be > 1 for a finite mean, got ${a}`);
  // Lomax: P(X > x) = (1 + x/b)^-a, mean b / (a - 1).
  const b = s.meanMs * (a - 1);
  return b * (Math.pow(1 - u, -1 / a) - 1);
}

/** The median of the model (for reports). */
export function sessionMedian(s: SessionShape): number {
  return drawSession(s, 0.5);
}
