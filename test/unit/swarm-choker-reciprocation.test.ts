/**
 * The choker while downloading: a peer that took its grace from us on this connection while
 * it had pieces we want, and gave (almost) nothing back, does not reciprocate. It comes last
 * for the regular slots nobody who uploads to us claims and is drawn a quarter as often for
 * the optimistic unchoke. Before, those spare slots went to the peers we already uploaded to
 * fastest: a free rider that got one kept it (`shoal sim freeriders`: free riders took half
 * their bytes from spare slots and finished before contributors).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { Choker, CHOKER_DEFAULTS, FREE_RIDER_WEIGHT, type ChokerPeer } from '../../src/swarm/choker.js';

const peer = (name: string, over: Partial<ChokerPeer<string>> = {}): ChokerPeer<string> => ({
  peer: name, interested: true, downloadRate: 0, uploadRate: 0, connectedAt: -1e6, expectingData: false, ...over,
});
const GRACE = CHOKER_DEFAULTS.reciprocationGraceBytes;
const regular = (d: { unchoke: Set<string>; optimistic: string | undefined }) => [...d.unchoke].filter((n) => n !== d.optimistic).sort();

describe('Choker: reciprocation on this connection', () => {
  it('gives a spare regular slot to peers that have not had their grace before one that took it and sent nothing', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 3 });
    const peers = [
      peer('uploader', { downloadRate: 100 }),
      // We upload to it fastest (it held a spare slot), it has pieces we want and never sent a byte.
      peer('rider', { uploadRate: 9000, taken: GRACE, given: 0, unchokedSince: -20_000 }),
      peer('new1', { taken: GRACE - 1 }),
      peer('new2'),
    ];
    assert.deepEqual(regular(c.rechoke(peers, 0, false)), ['new1', 'new2', 'uploader']);
  });

  it('still gives it a slot nobody else wants (capacity is not left idle)', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 3 });
    const d = c.rechoke([peer('uploader', { downloadRate: 100 }), peer('rider', { taken: 10 * GRACE, given: 0 })], 0, false);
    assert.deepEqual(regular(d), ['rider', 'uploader']);
  });

  it('among peers past their grace, prefers those that gave back most per byte taken', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 2 });
    const peers = [
      peer('nothing', { taken: 4 * GRACE, given: 0, uploadRate: 5000 }),
      peer('little', { taken: 4 * GRACE, given: 0.02 * 4 * GRACE }),
      peer('some', { taken: 8 * GRACE, given: 0.03 * 8 * GRACE }),
    ];
    assert.deepEqual(regular(c.rechoke(peers, 0, false)), ['little', 'some']);
  });

  it('a peer that gave back at least 5% of what it took reciprocates', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 1 });
    const d = c.rechoke([peer('fair', { taken: 10 * GRACE, given: 0.05 * 10 * GRACE, uploadRate: 50 }), peer('fresh', { uploadRate: 10 })], 0, false);
    assert.deepEqual(regular(d), ['fair']);
  });

  it('draws a peer that does not reciprocate a quarter as often for the optimistic unchoke', () => {
    const c = new Choker<string>(createRandom(7), { regularSlots: 0, optimisticIntervalMs: 0 });
    const peers = [peer('rider', { taken: GRACE, given: 0 }), peer('other')];
    let rider = 0;
    const rounds = 2000;
    for (let i = 0; i < rounds; i++) if (c.rechoke(peers, i, false).optimistic === 'rider') rider++;
    const expected = FREE_RIDER_WEIGHT / (1 + FREE_RIDER_WEIGHT); // 0.2; 0.5 before
    assert.ok(Math.abs(rider / rounds - expected) < 0.05, `drawn ${rider} of ${rounds}`);
  });

  it("the no-incentive policy 'random' ignores it in the optimistic draw too", () => {
    const c = new Choker<string>(createRandom(7), { regularSlots: 0, optimisticIntervalMs: 0, policy: 'random' });
    const peers = [peer('rider', { taken: GRACE, given: 0 }), peer('other')];
    let rider = 0;
    const rounds = 2000;
    for (let i = 0; i < rounds; i++) if (c.rechoke(peers, i, false).optimistic === 'rider') rider++;
    assert.ok(Math.abs(rider / rounds - 0.5) < 0.05, `drawn ${rider} of ${rounds}`);
  });

  it('seeding ignores it: a seed expects nothing back', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 1 });
    const d = c.rechoke([peer('rider', { taken: 10 * GRACE, given: 0, uploadRate: 900 }), peer('other', { uploadRate: 10 })], 0, true);
    assert.deepEqual(regular(d), ['rider']);
  });

  it('refuses a negative grace', () => {
    assert.throws(() => new Choker<string>(createRandom(1), { reciprocationGraceBytes: -1 }), RangeError);
  });
});

describe('Choker: seeding round robin by pieces sent', () => {
  const PIECE = 64 * 1024;
  it('a peer sent its quota of pieces makes way for the one waiting longest, before its time is up', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 2 });
    const peers = [
      // Fast downloader: had its 20 pieces in 15 s.
      peer('fast', { unchokedSince: -15_000, uploadRate: 90_000, uploadedSinceUnchoke: 20 * PIECE, pieceLength: PIECE, lastUnchokedAt: -15_000 }),
      peer('slow', { unchokedSince: -15_000, uploadRate: 5_000, uploadedSinceUnchoke: 2 * PIECE, pieceLength: PIECE, lastUnchokedAt: -15_000 }),
      peer('waited-long', { lastUnchokedAt: -120_000, pieceLength: PIECE }),
      peer('waited-less', { lastUnchokedAt: -30_000, pieceLength: PIECE }),
    ];
    assert.deepEqual(regular(c.rechoke(peers, 0, true)), ['slow', 'waited-long']);
  });

  it('does not rank waiting peers by our upload rate to them (that favoured idle downlinks: free riders)', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 1 });
    const peers = [
      peer('idle-link', { uploadRate: 50_000, lastUnchokedAt: -10_000 }),
      peer('busy-link', { uploadRate: 1_000, lastUnchokedAt: -50_000 }),
    ];
    assert.deepEqual(regular(c.rechoke(peers, 0, true)), ['busy-link']);
  });

  it('a peer that asked for nothing in its first seedIdleMs makes way; one being served keeps its slot', () => {
    const c = new Choker<string>(createRandom(1), { regularSlots: 2 });
    const peers = [
      // Interested, unchoked 12 s ago, sent nothing: it never requests (holds a slot, takes no data).
      peer('idle', { unchokedSince: -12_000, uploadedSinceUnchoke: 0, pieceLength: PIECE, lastUnchokedAt: -12_000 }),
      peer('served', { unchokedSince: -12_000, uploadedSinceUnchoke: PIECE, pieceLength: PIECE, lastUnchokedAt: -12_000 }),
      peer('newcomer', { pieceLength: PIECE }),
    ];
    assert.deepEqual(regular(c.rechoke(peers, 0, true)), ['newcomer', 'served']);
    const patient = new Choker<string>(createRandom(1), { regularSlots: 2, seedIdleMs: 60_000 });
    assert.deepEqual(regular(patient.rechoke(peers, 0, true)), ['idle', 'served'], 'within seedIdleMs it keeps its slot');
  });

  it('refuses a seeding quota under one piece', () => {
    assert.throws(() => new Choker<string>(createRandom(1), { seedPieceQuota: 0 }), RangeError);
  });
});
