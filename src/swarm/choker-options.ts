/** The choker's options checked once, at construction: a clear error for a bad setting (choker.ts). */
import type { CHOKER_DEFAULTS } from './choker.js';

export function checkChokerOptions(o: typeof CHOKER_DEFAULTS, uploadCapacity: number | undefined): void {
  if (uploadCapacity !== undefined && !(uploadCapacity > 0)) throw new RangeError(`uploadCapacity must be > 0 bytes/s, got ${uploadCapacity}`);
  if (!(Number.isSafeInteger(o.maxCapacitySlots) && o.maxCapacitySlots >= 1)) throw new RangeError(`maxCapacitySlots must be a whole number >= 1, got ${o.maxCapacitySlots}`);
  if (o.regularSlots !== 'auto' && !(Number.isSafeInteger(o.regularSlots) && o.regularSlots >= 0)) throw new RangeError(`unchoke slots must be a whole number >= 0 or 'auto', got ${o.regularSlots}`);
  if (!(Number.isSafeInteger(o.minAutoSlots) && o.minAutoSlots >= 1)) throw new RangeError(`minAutoSlots must be a whole number >= 1, got ${o.minAutoSlots}`);
  if (!(Number.isSafeInteger(o.seedPieceQuota) && o.seedPieceQuota >= 1)) throw new RangeError(`seedPieceQuota must be a whole number >= 1, got ${o.seedPieceQuota}`);
  if (!(o.reciprocationGraceBytes >= 0)) throw new RangeError(`reciprocationGraceBytes must be >= 0, got ${o.reciprocationGraceBytes}`);
  if (!(Number.isSafeInteger(o.maxDemandSlots) && o.maxDemandSlots >= 0)) throw new RangeError(`maxDemandSlots must be a whole number >= 0, got ${o.maxDemandSlots}`);
}
