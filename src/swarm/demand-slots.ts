/**
 * Demand slots (choker.ts): regular unchoke slots opened beyond `regularSlots` while our
 * upload runs out of requests and interested peers wait choked, closed again one a round once
 * the upload no longer runs dry. libtorrent's rate-based choker and uTorrent's automatic
 * slots open slots while the upload is below capacity, judged by rates; this judges by the
 * requests themselves, which need no capacity figure.
 *
 * Two signals open a slot:
 * - the swarm's tick, once a second (`noteTick`): two starved ticks in a row;
 * - the upload itself (`noteIdle`, uploads.ts): the moment the last waiting request of the
 *   peers we unchoke is read, with interested peers choked: at once, at most one slot per
 *   `DEMAND_OPEN_MS`. The tick alone samples one instant a second, and the 5 Mbit/s class
 *   of `shoal sim swarm` idled with interested peers choked in 13% of its samples.
 */

/** Consecutive starved ticks (one a second) that open one more slot. */
export const DEMAND_OPEN_TICKS = 2;
/** An upload that runs out of requests opens at most one slot per this many ms (the tick's rate: 2 ticks). */
export const DEMAND_OPEN_MS = 2_000;

export class DemandSlots {
  /** Slots open now. */
  open = 0;
  private starvedTicks = 0;
  /** Whether the upload ran dry (a tick or `noteIdle`) since the last round. */
  private starvedThisRound = false;
  private openedAt = -Infinity;

  constructor(private readonly max: number) {}

  /**
   * The tick: `starved` when peers we unchoke are interested and none has a request waiting
   * for us, `waiting` when interested peers are choked. True when a slot opened.
   */
  noteTick(starved: boolean, waiting: boolean): boolean {
    if (starved) this.starvedThisRound = true;
    if (!starved || !waiting) {
      this.starvedTicks = 0;
      return false;
    }
    if (++this.starvedTicks < DEMAND_OPEN_TICKS || this.open >= this.max) return false;
    this.starvedTicks = 0;
    return this.openOne(-Infinity);
  }

  /** Whether `noteIdle` may open a slot now (the caller skips its look at the peers otherwise). */
  due(now: number): boolean {
    return this.open < this.max && now - this.openedAt >= DEMAND_OPEN_MS;
  }

  /** The upload ran out of requests with interested peers choked. True when a slot opened. */
  noteIdle(now: number): boolean {
    this.starvedThisRound = true;
    return this.due(now) && this.openOne(now);
  }

  /** A rechoke round: one whose upload never ran dry gives one slot back. */
  round(): void {
    if (!this.starvedThisRound && this.open > 0) this.open--;
    this.starvedThisRound = false;
  }

  private openOne(now: number): boolean {
    this.open++;
    if (now > this.openedAt) this.openedAt = now;
    return true;
  }
}
