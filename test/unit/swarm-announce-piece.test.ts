/**
 * `announcePiece` (interest.ts): every open peer is sent the have; which of them get it flushed
 * at once (those without the piece, the piece's senders, those we just lost interest in) and
 * which get it with our next write (seeds, peers that have the piece). Stand-in peers record
 * what the function does to them; the timing on a simulated network is in
 * test/sim/swarm-have-timing.test.ts.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { announcePiece } from '../../src/swarm/interest.js';
import { newOwedLooks } from '../../src/swarm/owed.js';
import type { PeerSession } from '../../src/swarm/peer-session.js';
import type { Swarm } from '../../src/swarm/swarm.js';
import { Bitfield } from '../../src/util/bitfield.js';

const PIECES = 8;

interface StandIn {
  readonly name: string;
  readonly haves: number[];
  flushed: number;
  notInterestedSent: boolean;
}

function peer(name: string, pieces: number[], o: { seed?: boolean; interested?: boolean; state?: string } = {}): StandIn & { session: PeerSession } {
  const bits = new Bitfield(PIECES);
  for (const p of pieces) bits.set(p);
  const rec: StandIn = { name, haves: [], flushed: 0, notInterestedSent: false };
  const conn = {
    state: o.state ?? 'open',
    peerPieces: bits,
    amInterested: o.interested ?? true,
    sendHave: (i: number) => rec.haves.push(i),
    notInterested: () => {
      rec.notInterestedSent = true;
      conn.amInterested = false;
    },
  };
  // A stand-in with only the fields announcePiece reads.
  const session = { conn, isSeed: o.seed ?? false, flushSoon: () => rec.flushed++, upload: { total: 0 }, owedTaken: 0, owedSeen: 0, owedLook: 0 } as unknown as PeerSession;
  return Object.assign(rec, { session });
}

function swarmOf(peers: { session: PeerSession }[], ourPieces: number[]): Swarm & { recounts: number } {
  const ours = new Set(ourPieces);
  const s = {
    peers: new Map(peers.map((p, i) => [String(i), p.session])),
    // Interested while the peer has a piece we lack.
    picker: { interestedIn: (b: Bitfield) => Array.from({ length: PIECES }, (_, i) => i).some((i) => b.has(i) && !ours.has(i)) },
    recounts: 0,
    owedLooks: newOwedLooks(),
    requests: { recount: () => s.recounts++ },
  };
  return s as unknown as Swarm & { recounts: number };
}

describe('announcePiece', () => {
  it('flushes the have to peers without the piece and to its senders; others get it with the next write', () => {
    const lacker = peer('lacker', [5]);
    const holder = peer('holder', [3, 5]);
    const sender = peer('sender', [3, 5]);
    const seed = peer('seed', [0, 1, 2, 3, 4, 5, 6, 7], { seed: true });
    const handshaking = peer('handshaking', [], { state: 'handshake' });
    const swarm = swarmOf([lacker, holder, sender, seed, handshaking], [3]);
    announcePiece(swarm, 3, [sender.session]);
    assert.deepEqual([lacker, holder, sender, seed, handshaking].map((p) => [p.name, p.haves, p.flushed]), [
      ['lacker', [3], 1],
      ['holder', [3], 0],
      ['sender', [3], 1],
      ['seed', [3], 0],
      ['handshaking', [], 0],
    ]);
    assert.equal(swarm.recounts, 0, 'no interest changed');
  });

  it('sends not interested, flushed at once, to a peer that has nothing more we want', () => {
    const done = peer('done', [3]);
    const more = peer('more', [3, 6]);
    const swarm = swarmOf([done, more], [3]);
    announcePiece(swarm, 3);
    assert.deepEqual([done.notInterestedSent, done.flushed], [true, 1]);
    assert.deepEqual([more.notInterestedSent, more.flushed], [false, 0]);
    assert.equal(swarm.recounts, 1);
  });
});
