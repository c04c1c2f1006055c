/** Small statistics helpers for simulation reports. */

/** The p-quantile (0..1) of `values` by nearest rank; NaN for no values. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1));
  return sorted[rank];
}

/** A Weibull-distributed draw (shape `k`, scale `lambda`) from a uniform `u` in [0, 1). */
export function weibull(u: number, k: number, lambda: number): number {
  return lambda * Math.pow(-Math.log(1 - u), 1 / k);
}

/** The Weibull scale for which P(X < t) = p with shape `k`. */
export function weibullScaleFor(t: number, p: number, k: number): number {
  return t / Math.pow(-Math.log(1 - p), 1 / k);
}
