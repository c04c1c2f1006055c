/**
 * A swarm's once-a-second housekeeping: dialling, metadata requests, the rechoke round,
 * requests a silent peer owes, peers that never deliver, seeds meeting seeds, PEX rounds.
 */
import { fillRequests, waitingSince } from './transfer.js';
import { pumpUploads } from './uploads.js';
import { DEFAULT_SILENT_PEER_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from './defaults.js';
import type { Swarm } from './swarm.js';

/** The close reason of a peer that never delivered a block it was asked for (reports count it). */
export const SILENT_PEER_REASON = 'never delivered a block it was asked for';

export function tick(swarm: Swarm): void {
  const now = swarm.runtime.clock.now();
  swarm.dial();
  swarm.metadata.request();
  if (now - swarm.lastRechoke >= (swarm.opts.rechokeIntervalMs ?? 10_000)) swarm.rechoke();
  const picker = swarm.picker;
  // Demand slots (choker.ts): peers we unchoke are interested, yet none has a request waiting
  // for us: our upload has room they do not fill. With interested peers choked, the choker
  // may open one more slot.
  let unchoked = false, requestWaiting = false, chokedInterested = false;
  for (const p of swarm.peers.values()) {
    // The request budget's count, caught up with any change no event reported (request-budget.ts).
    swarm.requests.recount(p);
    if (p.conn.state === 'open' && p.conn.peerInterested) {
      if (p.conn.amChoking) chokedInterested = true;
      else {
        unchoked = true;
        if (p.requestWaiting) requestWaiting = true;
      }
    }
    // Requests a silent peer owes us go back to the pool for other peers (a late answer is
    // still taken). They stay owed on the connection: the peer may have them on the wire
    // already, and asking it again would bring a second copy (libtorrent too lets others
    // take a snubbed peer's blocks without re-asking it). Snubbed, it gets no new requests
    // until it has answered them.
    if (picker && p.conn.outstandingRequests.size > 0 && now - waitingSince(p) > REQUEST_TIMEOUT_MS) {
      for (const r of p.conn.outstandingRequests.values()) picker.requestDropped(r, p);
      p.snubbed = true;
      p.requestsTimedOutAt = now;
    }
    // A peer that let us ask (unchoked, pieces we want) and never sent a single block in
    // all this time holds a connection slot for nothing: a Sybil that announces pieces and
    // never delivers, or a broken client. Dropped; the pool backs off before redialling.
    if (picker && p.lastBlockAt === undefined && p.requestsTimedOutAt !== undefined && now - p.connectedAt > (swarm.opts.silentPeerTimeoutMs ?? DEFAULT_SILENT_PEER_TIMEOUT_MS)) {
      p.close(SILENT_PEER_REASON);
      continue;
    }
    if (picker?.done && p.isSeed) {
      // Two seeds have nothing to trade: part, and do not dial it again while we are a seed (libtorrent does the same).
      swarm.pool.markSeed(p.address);
      if (p.listenAddress) swarm.pool.markSeed(p.listenAddress);
      p.close('both sides are seeds');
    }
    // A safety net for uploads: a budget under the stream's high-water mark gets no drain.
    else pumpUploads(swarm, p);
  }
  if (unchoked && swarm.choker.noteUploadDemand(!requestWaiting, chokedInterested)) swarm.fillSlots();
  // Only open connections may send (one still in its handshake would throw); none for private torrents (BEP 27).
  if (swarm.pexOn()) for (const [p, m] of swarm.pex.poll(swarm.peers.values(), now)) if (p.conn.state === 'open' && p.conn.sendPex(m)) p.flush();
  for (const p of swarm.peers.values()) fillRequests(swarm, p);
  swarm.webSeeds?.refill(); // one back from a back-off
}
