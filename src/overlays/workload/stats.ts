/** Small summaries for the metrics. */

export function mean(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += values[i];
  return s / n;
}

/** The p-th percentile (0-100), nearest rank. */
export function percentile(values: ArrayLike<number>, p: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1];
}

/** The share of the total carried by the `count` largest values. */
export function topShare(values: ArrayLike<number>, count: number): number {
  const sorted = Float64Array.from(values).sort().reverse();
  let total = 0;
  for (let i = 0; i < sorted.length; i++) total += sorted[i];
  if (total === 0) return 0;
  let top = 0;
  for (let i = 0; i < Math.min(count, sorted.length); i++) top += sorted[i];
  return top / total;
}
