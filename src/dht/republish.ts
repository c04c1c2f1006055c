/**
 * BEP 44 republishing: storing nodes drop an item two hours after its last put, so the
 * items we put are put again, unchanged (same `seq` and signature: no key is needed), every
 * `intervalMs` while we keep them. A mutable item stops being republished once the network
 * holds a newer `seq` than ours (someone with the key replaced it).
 */
import type { NodeId } from './node-id.js';
import type { PutItem } from './item-lookups.js';

export const REPUBLISH_DEFAULTS = {
  /** An hour: well inside the two-hour lifetime, so one lost round does not lose the item. */
  intervalMs: 60 * 60_000,
  /** Most items kept for republishing. */
  maxItems: 1000,
} as const;

interface Kept {
  readonly item: PutItem;
  /** When we last put it (or started to), clock ms. */
  putAt: number;
}

const NOTHING_KEPT = new Map<NodeId, Kept>();

export class Republisher {
  /** Shared empty map until the first item kept. */
  private kept: Map<NodeId, Kept> = NOTHING_KEPT;
  private readonly intervalMs: number;
  private readonly maxItems: number;

  constructor(intervalMs: number = REPUBLISH_DEFAULTS.intervalMs, maxItems: number = REPUBLISH_DEFAULTS.maxItems) {
    this.intervalMs = intervalMs;
    this.maxItems = maxItems;
  }

  get size(): number {
    return this.kept.size;
  }

  has(target: NodeId): boolean {
    return this.kept.has(target);
  }

  /** Keeps `item` (just put at `now`) for republishing; a newer put of the same target replaces it. Returns false when full. */
  keep(target: NodeId, item: PutItem, now: number): boolean {
    if (!this.kept.has(target) && this.kept.size >= this.maxItems) return false;
    if (this.kept === NOTHING_KEPT) this.kept = new Map();
    this.kept.set(target, { item, putAt: now });
    return true;
  }

  forget(target: NodeId): boolean {
    return this.kept.delete(target);
  }

  /** Items due for another put at `now` (marked as put now, so each is handed out once per interval). */
  due(now: number): { target: NodeId; item: PutItem }[] {
    const out: { target: NodeId; item: PutItem }[] = [];
    for (const [target, k] of this.kept) {
      if (now - k.putAt < this.intervalMs) continue;
      k.putAt = now;
      out.push({ target, item: k.item });
    }
    return out;
  }
}
