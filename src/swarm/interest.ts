/**
 * Our interest in each peer (BEP 3), kept in step with what it can still give us, and the
 * availability its bitfield adds to the picker.
 */
import type { PeerSession } from './peer-session.js';
import type { Swarm } from './swarm.js';
import { fillRequests } from './transfer.js';
import { syncOwed } from './owed.js';
import type { Fetcher } from './webseed-session.js';

/** Interested while the peer has a piece we want; a change is sent, and requests follow. */
export function updateInterest(swarm: Swarm, peer: PeerSession): void {
  const picker = swarm.picker;
  const bits = peer.conn.peerPieces;
  if (!picker) return;
  const want = peer.isSeed ? !picker.done : bits ? picker.interestedIn(bits) : false;
  if (want !== peer.conn.amInterested) {
    setInterest(swarm, peer, want);
  }
  if (want) fillRequests(swarm, peer);
  peer.flush();
}

/** Sends `interested` or `not interested` (what the peer owes us is brought up to date first, owed.ts), and counts it in or out of the request budget. */
export function setInterest(swarm: Swarm, peer: PeerSession, want: boolean): void {
  syncOwed(swarm.owedLooks, peer);
  if (want) peer.conn.interested();
  else peer.conn.notInterested();
  swarm.requests.recount(peer);
}

/** Counts a peer's bitfield (or have_all) in the picker once: a seed as one seed, others per piece. */
export function countAvailability(swarm: Swarm, peer: PeerSession): void {
  const picker = swarm.picker, bits = peer.conn.peerPieces;
  if (!picker || !bits) return;
  peer.isSeed = bits.complete;
  if (peer.isSeed) picker.addSeed();
  else picker.peerBitfield(bits);
}

/**
 * A piece verified: `have` to every open peer, and `not interested` to those that had it and
 * now have nothing else we want (as libtorrent does after each piece; otherwise such a peer
 * keeps an unchoke slot for us that we never use).
 *
 * The have goes out at once only where it can change what the peer does: to a peer that lacks
 * the piece (it may want it of us), and to the peers that sent us its blocks (a BEP 16
 * super-seeder, libtorrent's default non-strict mode, hands a peer its next piece when that
 * peer reports the one it was given, and it hides the rest of its pieces, so it looks like a
 * peer that has this one). Everyone else, seeds and peers that have the piece, gets it with
 * our next write to them: the have still arrives, so their view of our progress stays right,
 * but costs no packet of its own. In a swarm about half of the peers have each piece we
 * verify, and each have on its own is a packet (~70 bytes on the wire for 9 of payload):
 * for a 128 kbit/s uplink and 64 KiB pieces, ~70 peers' haves took a quarter of its upload.
 * (libtorrent's `send_redundant_have = false` drops such haves altogether; we only delay them.)
 */
export function announcePiece(swarm: Swarm, piece: number, from: readonly Fetcher[] = []): void {
  const picker = swarm.picker;
  for (const p of swarm.peers.values()) {
    // A peer still handshaking learns of the piece from our bitfield when it completes.
    if (p.conn.state !== 'open') continue;
    p.conn.sendHave(piece);
    const has = p.isSeed || p.conn.peerPieces?.has(piece) === true;
    if (has && !p.isSeed && p.conn.amInterested && !picker?.interestedIn(p.conn.peerPieces!)) {
      setInterest(swarm, p, false);
      p.flushSoon();
    } else if (!has || from.includes(p)) p.flushSoon();
  }
}
