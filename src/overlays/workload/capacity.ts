/**
 * Node capacities from a heavy-tailed (Pareto) distribution, as measured for peer
 * bandwidths (Saroiu, Gummadi, Gribble 2002): most nodes are weak, a few are very strong.
 * Capacity 1 is the weakest; P(capacity > c) = c^-alpha.
 */
import type { Random } from '../../runtime/types.js';

export const DEFAULT_CAPACITY_ALPHA = 1.2;

export function paretoCapacity(random: Random, alpha = DEFAULT_CAPACITY_ALPHA): number {
  if (!(alpha > 0)) throw new RangeError(`Pareto alpha must be > 0, got ${alpha}`);
  return (1 - random.next()) ** (-1 / alpha);
}
