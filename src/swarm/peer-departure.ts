/**
 * What a closed peer leaves behind in its swarm: its entries in the peer maps and the pool,
 * its queued uploads and requests, its requests and pieces in the picker's counts, its
 * metadata and hole-punch state; its reputation is booked.
 */
import { bookReputation } from './choking.js';
import { peerIdKey } from './discipline.js';
import type { PeerSession } from './peer-session.js';
import type { Swarm } from './swarm.js';

/** Forgets a closed peer; false when it is not the swarm's peer under its key (already forgotten or replaced). */
export function forgetPeer(swarm: Swarm, peer: PeerSession): boolean {
  if (swarm.peers.get(peer.key) !== peer) return false;
  swarm.peers.delete(peer.key);
  swarm.connectedPerIp.releaseKey(peer.ipKey);
  const now = swarm.runtime.clock.now();
  const remoteId = peer.conn.remotePeerId;
  if (remoteId !== undefined && swarm.byPeerId.get(peerIdKey(remoteId)) === peer) swarm.byPeerId.delete(peerIdKey(remoteId));
  swarm.uploadWaiting.delete(peer);
  swarm.requests.forget(peer);
  swarm.unchoked.delete(peer);
  swarm.pool.markFailed(peer.address, now);
  if (peer.listenAddress) swarm.pool.markConnected(peer.listenAddress, false);
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
