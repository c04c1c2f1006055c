/**
 * The swarm-wide request budget: the bytes of blocks we keep requested from all peers together
 * (`SwarmOptions.maxRequestedBytes`), shared equally among the peers we can request from now
 * (open, interested in them, unchoked by them), and the peers waiting for room under it.
 *
 * Those peers are counted one at a time, as each one's state changes (an unchoke or a choke
 * received, our interest sent, a departure): a recount over every peer at each of those was
 * 1.3% of a 1,000-peer swarm's CPU. The swarm's tick recounts each peer as it visits it
 * every second, so a change no event reported is caught up.
 */
import type { PeerSession } from './peer-session.js';

export class RequestBudget {
  private counted = 0;
  /** Peers under their share that found no room under the cap: they get the next freed blocks, in order. */
  readonly waiting = new Set<PeerSession>();

  constructor(readonly maxRequestedBytes: number) {}

  /** Peers we can request from now: they share `maxRequestedBytes` when it binds. */
  get requestingPeers(): number {
    return this.counted;
  }

  /** Counts `peer` in or out as it is now. */
  recount(peer: PeerSession): void {
    const c = peer.conn;
    const requesting = c.state === 'open' && c.amInterested && !c.peerChoking;
    if (requesting === peer.requesting) return;
    peer.requesting = requesting;
    this.counted += requesting ? 1 : -1;
  }

  /** A peer left: out of the count and the queue. */
  forget(peer: PeerSession): void {
    this.waiting.delete(peer);
    if (!peer.requesting) return;
    peer.requesting = false;
    this.counted--;
  }
}
