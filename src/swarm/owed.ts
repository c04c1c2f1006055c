/**
 * What a peer owes us, for the choker's free-rider rule (`ChokerPeer.taken`): the bytes we
 * sent it while we downloaded and wanted its pieces. The rule is sampled: at each look (a
 * rechoke round, a slot fill: every `interested` and `not_interested` anywhere in the
 * swarm), what was sent to each peer since the last look counts when, at that look, we
 * are leeching and interested in it.
 *
 * Sampling every peer at every look was a scan of the whole swarm per interest message.
 * Here a look only bumps a counter, and a peer catches up (`syncOwed`) just before what the
 * sample reads can change (our interest in it, our upload total to it) and when it is read:
 * between two catch-ups nothing it depends on changed, so only the first look since the
 * last catch-up can add, and the result is the same as sampling every peer at every look.
 * A look that finds us seeding (or leeching) where the one before did not first catches up
 * every peer, so the looks since any peer's catch-up all share one state.
 */
import type { PeerSession } from './peer-session.js';

/** A swarm's looks: how many so far, and whether we were seeding at the last one. */
export interface OwedLooks {
  looks: number;
  seeding: boolean;
}

export function newOwedLooks(): OwedLooks {
  return { looks: 0, seeding: false };
}

/** A look at every peer (`seeding`: nothing we send counts as owed then). */
export function look(l: OwedLooks, seeding: boolean, peers: Iterable<PeerSession>): void {
  if (seeding !== l.seeding) {
    for (const p of peers) syncOwed(l, p);
    l.seeding = seeding;
  }
  l.looks++;
}

/** Brings the peer's owed bytes up to the last look; call before its interest or upload total changes. */
export function syncOwed(l: OwedLooks, p: PeerSession): void {
  if (p.owedLook === l.looks) return;
  const total = p.upload.total;
  if (!l.seeding && p.conn.amInterested) p.owedTaken += total - p.owedSeen;
  p.owedSeen = total;
  p.owedLook = l.looks;
}

/** The peer's owed bytes as of the last look. */
export function owedNow(l: OwedLooks, p: PeerSession): number {
  syncOwed(l, p);
  return p.owedTaken;
}
