/**
 * How often a peer's ut_pex messages are taken. BEP 11: a peer sends one at most once a
 * minute (libtorrent, Transmission and Shoal send every 60 s or slower). Nothing stopped a
 * peer from sending 200 new addresses every millisecond: the pool (2,000 addresses) filled
 * with its picks and our dials went where it chose, past the honest addresses from trackers
 * and the DHT. A message sooner than `minPexIntervalMs` after the last one taken from the
 * same connection is ignored (libtorrent disconnects such a peer: `too_frequent_pex`).
 * Sans I/O: the caller passes `now`.
 */

/** Default of `SwarmOptions.minPexIntervalMs`: under the 60 s senders keep, with room for late timers. */
export const DEFAULT_MIN_PEX_INTERVAL_MS = 45_000;

/** What the rule keeps per connection: when its last ut_pex message was taken (a field, not a WeakMap: one lookup per message, no ephemeron for the collector). */
export interface PexRateTarget {
  pexTakenAt: number | undefined;
}

/** Whether to ignore a ut_pex message from `peer` at `now`; a message taken is remembered. */
export function pexTooSoon(peer: PexRateTarget, now: number, minIntervalMs = DEFAULT_MIN_PEX_INTERVAL_MS): boolean {
  const last = peer.pexTakenAt;
  if (last !== undefined && now - last < minIntervalMs) return true;
  peer.pexTakenAt = now;
  return false;
}
