/**
 * Applies the choker's decisions to live peers (the choker itself is a pure function of
 * rates), and books the bytes exchanged with each peer into the session's reputation
 * store: at every rechoke round and when the peer leaves.
 */
import type { Choker, ChokerPeer } from './choker.js';
import type { PeerSession } from './peer-session.js';
import type { ReputationView } from './reputation.js';
import { setUploadCap } from './uploads.js';
import { look, owedNow, type OwedLooks } from './owed.js';

function view(looks: OwedLooks, peers: readonly PeerSession[], now: number, seeding: boolean): { open: PeerSession[]; input: ChokerPeer<PeerSession>[] } {
  look(looks, seeding, peers);
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
    given: p.download.total,
    taken: owedNow(looks, p),
    uploadedSinceUnchoke: p.conn.amChoking ? 0 : p.upload.total - (turns.get(p)?.uploadedAtUnchoke ?? 0),
    lastUnchokedAt: turns.get(p)?.at,
    pieceLength: p.conn.geometry?.pieceLength,
  }));
  return { open, input };
}

/** Bytes of the torrent the peer has (its piece count at the regular piece length). */
function haveBytes(p: PeerSession): number {
  const g = p.conn.geometry;
  const have = p.conn.peerPieces?.count ?? 0;
  return g ? have * g.pieceLength : 0;
}

/** Per peer: when it was last unchoked and our upload total then (the seeding round robin's turns). */
const turns = new WeakMap<PeerSession, { at: number; uploadedAtUnchoke: number }>();

function unchoke(choker: Choker<PeerSession>, unchoked: Set<PeerSession>, p: PeerSession, now: number, seeding: boolean): void {
  p.conn.unchoke();
  unchoked.add(p);
  p.unchokedSince = now;
  turns.set(p, { at: now, uploadedAtUnchoke: p.upload.total });
  setUploadCap(p, choker.uploadCap(p, seeding));
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

/**
 * A full rechoke round. `unchoked` is the swarm's set of peers we unchoke: every choke and
 * unchoke goes through this module, which keeps it (the departure drops a closed peer).
 */
export function applyChoke(choker: Choker<PeerSession>, unchoked: Set<PeerSession>, looks: OwedLooks, peers: readonly PeerSession[], now: number, seeding: boolean, reputation?: ReputationView): void {
  const { open, input } = view(looks, peers, now, seeding);
  for (const p of open) bookReputation(reputation, p, now, seeding);
  const decision = choker.rechoke(input, now, seeding);
  for (const p of open) {
    const want = decision.unchoke.has(p);
    if (want && p.conn.amChoking) unchoke(choker, unchoked, p, now, seeding);
    else if (!want && !p.conn.amChoking) {
      p.conn.choke();
      unchoked.delete(p);
      p.unchokedSince = undefined;
    }
    // The tyrant's u_p of this round (a peer kept unchoked too); none once choked.
    setUploadCap(p, want ? choker.uploadCap(p, seeding) : undefined);
    p.flush();
  }
}

/**
 * A peer that said `not interested` gives its slot back at once (libtorrent chokes it too):
 * an unchoked peer that wants nothing would otherwise hold the slot until the next round, and
 * be counted over the slots should it want something again before then.
 */
export function chokeUninterested(unchoked: Set<PeerSession>, p: PeerSession): void {
  if (p.conn.amChoking || p.conn.peerInterested) return;
  p.conn.choke();
  unchoked.delete(p);
  p.unchokedSince = undefined;
  setUploadCap(p, undefined);
  p.flushSoon();
}

/** Whether an interested peer waits choked (an open connection). */
export function hasChokedInterested(peers: ReadonlyMap<string, PeerSession>): boolean {
  for (const p of peers.values()) if (p.conn.amChoking && p.conn.peerInterested && p.conn.state === 'open') return true;
  return false;
}

/** Unchokes waiting interested peers into free slots at once, choking nobody. */
export function fillSlots(choker: Choker<PeerSession>, unchoked: Set<PeerSession>, looks: OwedLooks, peers: ReadonlyMap<string, PeerSession>, now: number, seeding: boolean): void {
  // Called on every interested/not interested; the slots are nearly always full. Count them
  // first (what Choker.fill counts: only the unchoked set, a handful of peers) and skip
  // building the view of every peer when none is free.
  const known = choker.knownSlots(seeding);
  if (known !== undefined) {
    look(looks, seeding, peers.values()); // what each peer owes is sampled at every fill (owed.ts)
    let taken = 0;
    for (const p of unchoked) if (p.conn.state === 'open' && p.conn.peerInterested && p !== choker.optimisticPeer) taken++;
    if (taken >= known) return;
    // A free slot and nobody choked who wants one (often: a peer with few interested peers
    // hears every interest change): nothing to fill. Not under the random policy, whose
    // fill shuffles (draws) whatever it finds.
    if (!choker.drawsInFill && !hasChokedInterested(peers)) return;
  }
  // With a known slot count the choker's fill reads only interested peers (the slots taken,
  // the ranking), so only they are put in its view; 'auto' slots are sized from everyone's rates.
  const all = [...peers.values()];
  const { input } = view(looks, known === undefined ? all : all.filter((p) => p.conn.peerInterested), now, seeding);
  for (const p of choker.fill(input, now, seeding)) {
    unchoke(choker, unchoked, p, now, seeding);
    p.flush();
  }
}
