/**
 * BitTyrant's estimates and unchoke rule (Piatek et al., NSDI 2007), driven round by round
 * in virtual time (a round is a rechoke, 10 s apart).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { Choker, type ChokerPeer } from '../../src/swarm/choker.js';
import { TyrantEstimator, type TyrantPeer } from '../../src/swarm/tyrant.js';

const KiB = 1024;
const ROUND = 10_000;

const tp = (name: string, over: Partial<TyrantPeer<string>> = {}): TyrantPeer<string> => ({
  peer: name, downloadRate: 0, uploadRate: 0, unchokingUs: false, amInterested: true, haveBytes: 0, ...over,
});

describe('TyrantEstimator', () => {
  it('estimates d_p of a peer that chokes us from the pieces it announces, over its assumed active set', () => {
    const t = new TyrantEstimator<string>({ uploadCapacity: 100 * KiB, assumedActiveSet: 4 });
    t.endRound([tp('a', { haveBytes: 0 })], new Set(), 0);
    t.endRound([tp('a', { haveBytes: 400 * KiB })], new Set(), ROUND); // 40 KiB/s of haves
    assert.equal(t.estimate('a')!.d, 10 * KiB);
    // Never unchoked yet: u_p is the swarm's step (the median announced download over 4), at most capacity / 4.
    assert.equal(t.estimate('a')!.u, 10 * KiB);
    // Once it unchokes us, d_p is what it sends.
    t.endRound([tp('a', { haveBytes: 800 * KiB, unchokingUs: true, downloadRate: 30 * KiB })], new Set(), 2 * ROUND);
    assert.equal(t.estimate('a')!.d, 30 * KiB);
    // A peer with nothing we want gives us nothing.
    t.endRound([tp('a', { haveBytes: 800 * KiB, unchokingUs: true, downloadRate: 30 * KiB, amInterested: false })], new Set(), 3 * ROUND);
    assert.equal(t.estimate('a')!.d, 0);
  });

  it('raises u_p by δ = 0.2 after each round a peer we unchoked did not unchoke us', () => {
    const t = new TyrantEstimator<string>({ uploadCapacity: 1000 * KiB });
    t.endRound([tp('a')], new Set(), 0);
    const u0 = t.estimate('a')!.u;
    assert.equal(u0, 125 * KiB, 'nothing announced yet: an equal share of eight');
    t.endRound([tp('a')], new Set(['a']), ROUND);
    assert.equal(t.estimate('a')!.u, u0 * 1.2);
    t.endRound([tp('a')], new Set(['a']), 2 * ROUND);
    assert.equal(t.estimate('a')!.u, u0 * 1.2 * 1.2);
    // Not unchoked by us: no evidence, no change.
    t.endRound([tp('a')], new Set(), 3 * ROUND);
    assert.equal(t.estimate('a')!.u, u0 * 1.2 * 1.2);
    // Never past the whole budget.
    for (let i = 4; i < 20; i++) t.endRound([tp('a')], new Set(['a']), i * ROUND);
    assert.equal(t.estimate('a')!.u, 1000 * KiB);
  });

  it('lowers u_p by γ = 0.1 only once a peer has reciprocated r = 3 rounds running, and every round after', () => {
    const t = new TyrantEstimator<string>({ uploadCapacity: 400 * KiB });
    const a = (now: number, unchokingUs: boolean) => t.endRound([tp('a', { unchokingUs, downloadRate: unchokingUs ? 50 * KiB : 0 })], new Set(['a']), now);
    t.endRound([tp('a')], new Set(), 0);
    const u0 = t.estimate('a')!.u;
    a(ROUND, true);
    a(2 * ROUND, true);
    assert.equal(t.estimate('a')!.u, u0, 'two rounds are not enough');
    a(3 * ROUND, true);
    assert.ok(Math.abs(t.estimate('a')!.u - u0 * 0.9) < 1e-9);
    a(4 * ROUND, true);
    assert.ok(Math.abs(t.estimate('a')!.u - u0 * 0.81) < 1e-9);
    // It stops reciprocating: back up by δ, and the count starts over.
    a(5 * ROUND, false);
    assert.ok(Math.abs(t.estimate('a')!.u - u0 * 0.81 * 1.2) < 1e-9);
    a(6 * ROUND, true);
    a(7 * ROUND, true);
    assert.ok(Math.abs(t.estimate('a')!.u - u0 * 0.81 * 1.2) < 1e-9);
  });

  it('forgets a peer that left', () => {
    const t = new TyrantEstimator<string>({ uploadCapacity: 100 * KiB });
    t.endRound([tp('a'), tp('b')], new Set(), 0);
    t.endRound([tp('b')], new Set(), ROUND);
    assert.equal(t.estimate('a'), undefined);
    assert.ok(t.estimate('b'));
  });

  it('learns its capacity when not told: raised by δ whenever the total upload comes near it', () => {
    const t = new TyrantEstimator<string>();
    assert.equal(t.capacity, 32 * KiB);
    t.endRound([tp('a', { uploadRate: 20 * KiB })], new Set(), 0);
    assert.equal(t.capacity, 32 * KiB, '20 of 32 KiB/s: below 80%');
    t.endRound([tp('a', { uploadRate: 30 * KiB })], new Set(), ROUND);
    assert.ok(Math.abs(t.capacity - 32 * KiB * 1.2) < 1e-9);
    t.endRound([tp('a', { uploadRate: 100 * KiB })], new Set(), 2 * ROUND);
    assert.ok(Math.abs(t.capacity - 100 * KiB * 1.2) < 1e-9);
  });

  it('refuses nonsense parameters', () => {
    assert.throws(() => new TyrantEstimator({ uploadCapacity: 0 }), RangeError);
    assert.throws(() => new TyrantEstimator({ decrease: 1 }), RangeError);
    assert.throws(() => new TyrantEstimator({ reciprocationRounds: 0.5 }), RangeError);
  });
});

const cp = (name: string, over: Partial<ChokerPeer<string>> = {}): ChokerPeer<string> => ({
  peer: name, interested: true, downloadRate: 0, uploadRate: 0, connectedAt: -1e6, expectingData: false, amInterested: true, unchokingUs: false, haveBytes: 0, ...over,
});

describe("Choker policy 'tyrant'", () => {
  it('unchokes by d_p / u_p within its upload budget, not a fixed number of slots', () => {
    const c = new Choker<string>(createRandom(1), { policy: 'tyrant', regularSlots: 8, tyrant: { uploadCapacity: 100 * KiB, assumedActiveSet: 4 } });
    // Round 0: nothing known, every u_p is 25 KiB/s: four fit the budget.
    const names = 'abcdefghij'.split('');
    const first = c.rechoke(names.map((n) => cp(n)), 0, false);
    assert.equal([...first.unchoke].filter((n) => n !== first.optimistic).length, 4);
    // Round 1: two peers we have not unchoked announce pieces fast (high d_p) and cost little: they come first.
    const [g, h] = names.filter((n) => !first.unchoke.has(n));
    const peers = names.map((n) => cp(n, { haveBytes: n === g || n === h ? 800 * KiB : 0, unchokedSince: first.unchoke.has(n) ? 0 : undefined }));
    const second = c.rechoke(peers, ROUND, false);
    const regular = [...second.unchoke].filter((n) => n !== second.optimistic);
    assert.deepEqual(regular.slice(0, 2).sort(), [g, h].sort(), `${regular}`);
    // d_p = 80 KiB/s / 4 = 20 KiB/s, and the step guessed for everyone not yet tried is the median, 20 KiB/s; the peers tried cost 30 KiB/s now.
    let budget = 0;
    for (const n of regular) budget += c.tyrant!.cost(n);
    assert.ok(budget >= 100 * KiB && budget - c.tyrant!.cost(regular[regular.length - 1]) < 100 * KiB, 'stops once the u_p add up to the capacity');
  });

  it('fits more peers as reciprocating peers get cheaper', () => {
    const c = new Choker<string>(createRandom(1), { policy: 'tyrant', tyrant: { uploadCapacity: 100 * KiB, assumedActiveSet: 4 } });
    const names = 'abcdefghijkl'.split('');
    let unchoked = new Set<string>();
    const sizes: number[] = [];
    for (let round = 0; round < 12; round++) {
      // Everyone we unchoke unchokes us back and sends 10 KiB/s.
      const peers = names.map((n) => cp(n, { unchokedSince: unchoked.has(n) ? 0 : undefined, unchokingUs: unchoked.has(n), downloadRate: unchoked.has(n) ? 10 * KiB : 0, expectingData: unchoked.has(n), lastBlockAt: round * ROUND }));
      const d = c.rechoke(peers, round * ROUND, false);
      unchoked = d.unchoke;
      sizes.push([...d.unchoke].filter((n) => n !== d.optimistic).length);
    }
    assert.equal(sizes[0], 4);
    assert.ok(sizes[sizes.length - 1] > 4, `active set ${sizes.join(',')}`);
  });

  it('seeds like tit-for-tat (round robin over the fixed slots)', () => {
    const c = new Choker<string>(createRandom(1), { policy: 'tyrant', regularSlots: 2, tyrant: { uploadCapacity: 1 } });
    // d and e have waited longest since their last turn.
    const d = c.rechoke('abcde'.split('').map((n, i) => cp(n, { lastUnchokedAt: -i * 1000 })), 0, true);
    assert.deepEqual([...d.unchoke].filter((n) => n !== d.optimistic).sort(), ['d', 'e']);
  });
});
