/**
 * When to ask a peer source (a tracker, the DHT) again. An answer with peers waits the normal
 * interval; a run of answers with nobody in them re-asks soon, as a user with a new magnet
 * expects (the seeder may announce seconds later): `firstMs`, then doubling up to `normalMs`.
 */

/** The first re-ask after an answer with no peers (15 s). */
export const EMPTY_REASK_FIRST_MS = 15_000;

/** Delay before the next ask, after `emptyRuns` answers in a row that found nobody (0: the last one found peers). */
export function reaskDelay(emptyRuns: number, normalMs: number, firstMs = EMPTY_REASK_FIRST_MS): number {
  if (emptyRuns <= 0) return normalMs;
  return Math.min(firstMs * 2 ** Math.min(emptyRuns - 1, 30), normalMs);
}
