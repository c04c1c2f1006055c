/**
 * Applies the choker's decisions to live peers (the choker itself is a pure function of
 * rates), and books the bytes exchanged with each peer into the session's reputation
 * store: at every rechoke round and when the peer leaves.
 */
import type { Choker, ChokerPeer } from './choker.js';
import type { PeerSession } from './peer-session.js';
import type { ReputationView } from './reputation.js';

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
    host: p.address.host,
    unchokingUs: !p.conn.peerChoking,
    amInterested: p.conn.amInterested,
    haveBytes: haveBytes(p),
  }));
  return { open, input };
}

/** Bytes of the torrent the peer has (its piece count at the regular piece length). */
function haveBytes(p: PeerSession): number {
  const g = p.conn.geometry;
  const have = p.conn.peerPieces?.count ?? 0;
  return g ? have * g.pieceLength : 0;
}

function unchoke(p: PeerSession, now: number): void {
  p.conn.unchoke();
  p.unchokedSince = now;
}

/** Payload totals already booked into the reputation store, per peer. */
const booked = new WeakMap<PeerSession, { given: number; taken: number }>();

/**
 * Books what the peer sent us (`given`) and what we sent it (`taken`) since the last
 * booking; `taken` only while it could have paid us back: we download and want its pieces
 * (what a seed gives is a gift; a peer with nothing we want cannot reciprocate).
 */
export function bookReputation(reputation: ReputationView | undefined, p: PeerSession, now: number, seeding: boolean): void {
  if (!reputation) return;
  const last = booked.get(p) ?? { given: 0, taken: 0 };
  const given = p.download.total - last.given;
  const taken = seeding || !p.conn.amInterested ? 0 : p.upload.total - last.taken;
  booked.set(p, { given: p.download.total, taken: p.upload.total });
  reputation.record(p.address.host, given, taken, now);
}

/** A full rechoke round. */
export function applyChoke(choker: Choker<PeerSession>, peers: readonly PeerSession[], now: number, seeding: boolean, reputation?: ReputationView): void {
  const { open, input } = view(peers, now);
  for (const p of open) bookReputation(reputation, p, now, seeding);
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
