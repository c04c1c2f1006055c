/**
 * Our interest in each peer (BEP 3), kept in step with what it can still give us, and the
 * availability its bitfield adds to the picker.
 */
import type { PeerSession } from './peer-session.js';
import type { Swarm } from './swarm.js';
import { fillRequests } from './transfer.js';

/** Interested while the peer has a piece we want; a change is sent, and requests follow. */
export function updateInterest(swarm: Swarm, peer: PeerSession): void {
  const picker = swarm.picker;
  const bits = peer.conn.peerPieces;
  if (!picker) return;
  const want = peer.isSeed ? !picker.done : bits ? picker.interestedIn(bits) : false;
  if (want !== peer.conn.amInterested) {
    if (want) peer.conn.interested();
    else peer.conn.notInterested();
    swarm.countRequesting();
  }
  if (want) fillRequests(swarm, peer);
  peer.flush();
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
 */
export function announcePiece(swarm: Swarm, piece: number): void {
  const picker = swarm.picker;
  let interestDropped = false;
  for (const p of swarm.peers.values()) {
    // A peer still handshaking learns of the piece from our bitfield when it completes.
    if (p.conn.state !== 'open') continue;
    p.conn.sendHave(piece);
    if (!p.isSeed && p.conn.amInterested && p.conn.peerPieces?.has(piece) && !picker?.interestedIn(p.conn.peerPieces)) {
      p.conn.notInterested();
      interestDropped = true;
    }
    // The have goes out with the refill's requests, or on its own once this run ends. A seed
    // has no use for it: it rides with our next requests instead of costing a write of its
    // own per piece (8 seeders: 8 writes per piece).
    if (!p.isSeed) p.flushSoon();
  }
  if (interestDropped) swarm.countRequesting();
}
