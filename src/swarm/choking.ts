/** Applies the choker's decisions to live peers (the choker itself is a pure function of rates). */
import type { Choker, ChokerPeer } from './choker.js';
import type { PeerSession } from './peer-session.js';

function view(peers: readonly PeerSession[], now: number): { open: PeerSession[]; input: ChokerPeer<PeerSession>[] } {
  const open = peers.filter((p) => p.conn.state === 'open');
  const input = open.map((p) => ({
    peer: p,
    interested: p.conn.peerInterested,
    downloadRate: p.download.rate(now),
    uploadRate: p.upload.rate(now),
    connectedAt: p.connectedAt,
    lastBlockAt: p.lastBlockAt,
    expectingData: p.conn.amInterested && !p.conn.peerChoking,
    unchokedSince: p.conn.amChoking ? undefined : (p.unchokedSince ?? now),
  }));
  return { open, input };
}

function unchoke(p: PeerSession, now: number): void {
  p.conn.unchoke();
  p.unchokedSince = now;
}

/** A full rechoke round. */
export function applyChoke(choker: Choker<PeerSession>, peers: readonly PeerSession[], now: number, seeding: boolean): void {
  const { open, input } = view(peers, now);
  const decision = choker.rechoke(input, now, seeding);
  for (const p of open) {
    const want = decision.unchoke.has(p);
    if (want && p.conn.amChoking) unchoke(p, now);
    else if (!want && !p.conn.amChoking) {
      p.conn.choke();
      p.unchokedSince = undefined;
    }
    p.flush();
  }
}

/** Unchokes waiting interested peers into free slots at once, choking nobody. */
export function fillSlots(choker: Choker<PeerSession>, peers: readonly PeerSession[], now: number, seeding: boolean): void {
  const { input } = view(peers, now);
  for (const p of choker.fill(input, now, seeding)) {
    unchoke(p, now);
    p.flush();
  }
}
