/** Applies the choker's decision to live peers (the choker itself is a pure function of rates). */
import type { Choker } from './choker.js';
import type { PeerSession } from './peer-session.js';

export function applyChoke(choker: Choker<PeerSession>, peers: readonly PeerSession[], now: number, seeding: boolean): void {
  const open = peers.filter((p) => p.conn.state === 'open');
  const decision = choker.rechoke(
    open.map((p) => ({
      peer: p,
      interested: p.conn.peerInterested,
      downloadRate: p.download.rate(now),
      uploadRate: p.upload.rate(now),
      connectedAt: p.connectedAt,
      lastBlockAt: p.lastBlockAt,
      expectingData: p.conn.amInterested && !p.conn.peerChoking,
      unchokedSince: p.unchokedSince,
    })),
    now,
    seeding,
  );
  for (const p of open) {
    const unchoke = decision.unchoke.has(p);
    if (unchoke && p.conn.amChoking) {
      p.conn.unchoke();
      p.unchokedSince = now;
    } else if (!unchoke && !p.conn.amChoking) {
      p.conn.choke();
      p.unchokedSince = undefined;
    }
    p.flush();
  }
}
