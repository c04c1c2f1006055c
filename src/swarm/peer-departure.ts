/**
 * What a closed peer leaves behind in its swarm: its entries in the peer maps and the pool,
 * its queued uploads and requests, its requests and pieces in the picker's counts, its
 * metadata and hole-punch state; its reputation is booked.
 */
import { bookReputation } from './choking.js';
import { peerIdKey, VIOLATION_CLOSE } from './discipline.js';
import type { Parting } from './peer-pool.js';
import type { PeerSession } from './peer-session.js';
import type { Swarm } from './swarm.js';
import { SILENT_PEER_REASON } from './tick.js';

/**
 * How a connection that reached TCP ended, for the pool (peer-pool.ts `Parting`): before the
 * peer's handshake it refused us; after it, closes of ours for a fault of the peer's are
 * drops: it never delivered what we asked (the silent-peer drop) or it broke the protocol.
 * A turnover is not one (libtorrent's `too_many_connections` counts no failure either): its
 * victim had only `turnoverGraceMs` (10 s) to trade, and honest peers were most of them
 * (2,644 drops of peers asked and silent for 10 s in a 200-peer flash crowd, seed 1; counted
 * as drops, the flash crowd's mean went from 82.5 to 104.8 s, seeds 1-3).
 */
export function partingOf(peer: PeerSession, reason: string): Parting {
  if (peer.conn.remotePeerId === undefined) return 'refused';
  return reason === SILENT_PEER_REASON || reason.startsWith(`${VIOLATION_CLOSE}:`) ? 'dropped' : 'parted';
}

export function forgetPeer(swarm: Swarm, peer: PeerSession, reason: string): boolean {
  if (swarm.peers.get(peer.key) !== peer) return false;
  swarm.peers.delete(peer.key);
  swarm.connectedPerIp.releaseKey(peer.ipKey);
  const now = swarm.runtime.clock.now();
  const remoteId = peer.conn.remotePeerId;
  if (remoteId !== undefined && swarm.byPeerId.get(peerIdKey(remoteId)) === peer) swarm.byPeerId.delete(peerIdKey(remoteId));
  swarm.uploadWaiting.delete(peer);
  swarm.requests.forget(peer);
  swarm.unchoked.delete(peer);
  const how = partingOf(peer, reason);
  const delivered = peer.lastBlockAt !== undefined;
  swarm.pool.markClosed(peer.address, now, how, delivered);
  // An incoming peer: the address it listens on is the one we would dial; a drop holds it off too.
  if (peer.listenAddress) {
    if (how === 'dropped') swarm.pool.markClosed(peer.listenAddress, now, how, delivered);
    else swarm.pool.markConnected(peer.listenAddress, false);
  }
  swarm.metadata.forget(peer);
  swarm.holepunch?.forget(peer);
  bookReputation(swarm.opts.choker?.reputation, peer, now, swarm.picker?.done ?? false);
  // A dial that connected but died before the peer's handshake failed as surely as a refused one.
  if (!peer.incoming && remoteId === undefined) swarm.holepunch?.dialFailed(peer.address);
  const picker = swarm.picker;
  if (picker) {
    for (const r of peer.conn.outstandingRequests.values()) picker.requestDropped(r, peer);
    const bits = peer.conn.peerPieces;
    if (peer.isSeed) picker.removeSeed();
    else if (bits) picker.peerBitfield(bits, -1);
  }
  return true;
}
