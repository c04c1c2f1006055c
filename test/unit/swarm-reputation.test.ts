import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRandom } from '../../src/runtime/random.js';
import { Choker, type ChokerPeer } from '../../src/swarm/choker.js';
import { ReputationStore, reputationKey } from '../../src/swarm/reputation.js';

const KiB = 1024;
const HOUR = 3600_000;

describe('ReputationStore', () => {
  it('keys a peer by its IPv4 address (mapped IPv6 alike) and an IPv6 peer by its /64', () => {
    assert.equal(reputationKey('10.0.0.7'), '10.0.0.7');
    assert.equal(reputationKey('::ffff:10.0.0.7'), '10.0.0.7');
    assert.notEqual(reputationKey('10.0.0.7'), reputationKey('10.0.0.8'), 'no /24 lumping of IPv4 neighbours');
    assert.equal(reputationKey('fd00:1:2:3::1'), reputationKey('fd00:1:2:3:aaaa:bbbb:cccc:dddd'), 'one host owns its /64');
    assert.notEqual(reputationKey('fd00:1:2:3::1'), reputationKey('fd00:1:2:4::1'));
  });

  it('forgets the least recently updated peer past maxEntries', () => {
    const s = new ReputationStore({ maxEntries: 3 });
    s.record('10.0.0.1', 100, 0, 0);
    s.record('10.0.0.2', 100, 0, 1);
    s.record('10.0.0.3', 100, 0, 2);
    s.record('10.0.0.1', 1, 0, 3); // updated: now the newest
    s.record('10.0.0.4', 100, 0, 4); // a fourth: 10.0.0.2 goes
    assert.equal(s.size, 3);
    assert.equal(s.get('10.0.0.2', 5), undefined);
    assert.ok(s.get('10.0.0.1', 5));
    assert.ok(s.get('10.0.0.3', 5));
    assert.ok(s.get('10.0.0.4', 5));
    for (let i = 0; i < 1000; i++) s.record(`10.1.${i >> 8}.${i & 255}`, 1, 1, 10 + i);
    assert.equal(s.size, 3, 'a flood of addresses never grows it past the limit');
  });

  it('halves the bytes remembered every half-life', () => {
    const s = new ReputationStore({ halfLifeMs: HOUR });
    s.record('10.0.0.1', 800 * KiB, 400 * KiB, 0);
    assert.deepEqual(s.get('10.0.0.1', HOUR), { given: 400 * KiB, taken: 200 * KiB });
    assert.deepEqual(s.get('10.0.0.1', 3 * HOUR), { given: 100 * KiB, taken: 50 * KiB });
    s.record('10.0.0.1', 100 * KiB, 0, 3 * HOUR);
    assert.deepEqual(s.get('10.0.0.1', 3 * HOUR), { given: 200 * KiB, taken: 50 * KiB });
  });

  it('calls a peer that took and gave nearly nothing back a free rider, until its record decays', () => {
    const s = new ReputationStore({ halfLifeMs: HOUR, freeRiderMinBytes: 256 * KiB, freeRiderRatio: 0.05, contributorMinBytes: 1024 * KiB });
    s.record('10.0.0.1', 0, 512 * KiB, 0);
    s.record('10.0.0.2', 1024 * KiB, 4096 * KiB, 0);
    s.record('10.0.0.3', 0, 100 * KiB, 0);
    s.record('10.0.0.4', 20 * KiB, 300 * KiB, 0);
    assert.equal(s.standing('10.0.0.1', 0), 'free-rider');
    assert.equal(s.standing('10.0.0.2', 0), 'contributor');
    assert.equal(s.standing('10.0.0.3', 0), 'unknown', 'too little taken to judge (a newcomer served once)');
    assert.equal(s.standing('10.0.0.4', 0), 'unknown', 'gave back more than 5%');
    assert.equal(s.standing('10.0.0.9', 0), 'unknown');
    assert.equal(s.standing('10.0.0.1', 2 * HOUR), 'unknown', '128 KiB left after two half-lives');
    assert.equal(s.given('10.0.0.2', 0), 1024 * KiB);
    assert.equal(s.given('10.0.0.9', 0), 0);
  });

  it('carries its entries over a save and restore, still decaying', () => {
    const a = new ReputationStore({ halfLifeMs: HOUR });
    a.record('10.0.0.1', 1000, 0, 0);
    const saved = a.save(HOUR);
    assert.deepEqual(saved, [{ key: '10.0.0.1', given: 1000, taken: 0, ageMs: HOUR }]);
    const b = new ReputationStore({ halfLifeMs: HOUR, maxEntries: 2 });
    b.restore([...saved, { key: 'x', given: -1, taken: 0, ageMs: 0 }], 5 * HOUR);
    assert.equal(b.size, 1, 'a bad record is skipped');
    assert.deepEqual(b.get('10.0.0.1', 6 * HOUR), { given: 250, taken: 0 });
  });

  it('refuses a zero limit', () => {
    assert.throws(() => new ReputationStore({ maxEntries: 0 }), RangeError);
  });
});

const peer = (name: string, over: Partial<ChokerPeer<string>> = {}): ChokerPeer<string> => ({
  peer: name, host: name, interested: true, downloadRate: 0, uploadRate: 0, connectedAt: -1e6, expectingData: false, ...over,
});

describe('Choker with a reputation store', () => {
  it('gives a tie in rates to a peer that gave us data in another torrent, a known free rider last', () => {
    const rep = new ReputationStore();
    rep.record('10.0.0.1', 0, 1024 * KiB, 0); // took 1 MiB elsewhere, gave nothing
    rep.record('10.0.0.2', 2048 * KiB, 0, 0); // gave 2 MiB elsewhere
    const c = new Choker<string>(createRandom(1), { regularSlots: 1, reputation: rep });
    const peers = [peer('10.0.0.1'), peer('10.0.0.3'), peer('10.0.0.2')];
    assert.deepEqual(c.fill(peers, 10, false), ['10.0.0.2']);
    const noContributor = [peer('10.0.0.1'), peer('10.0.0.3')];
    assert.deepEqual(new Choker<string>(createRandom(1), { regularSlots: 1, reputation: rep }).fill(noContributor, 10, false), ['10.0.0.3']);
    // Without a store the order is arrival (connectedAt), the free rider first.
    assert.deepEqual(new Choker<string>(createRandom(1), { regularSlots: 1 }).fill(noContributor, 10, false), ['10.0.0.1']);
    // Rates come first: reputation only breaks ties.
    const fast = [peer('10.0.0.1', { downloadRate: 10 }), peer('10.0.0.2')];
    assert.deepEqual(new Choker<string>(createRandom(1), { regularSlots: 1, reputation: rep }).fill(fast, 10, false), ['10.0.0.1']);
  });

  it('draws known free riders for the optimistic unchoke less often, contributors more often', () => {
    const rep = new ReputationStore();
    rep.record('free', 0, 1024 * KiB, 0);
    rep.record('giver', 2048 * KiB, 0, 0);
    const counts = new Map<string, number>();
    const c = new Choker<string>(createRandom(7), { regularSlots: 0, optimisticIntervalMs: 1, reputation: rep });
    const peers = [peer('free'), peer('giver'), peer('new1'), peer('new2')];
    for (let t = 0; t < 4000; t++) {
      const o = c.rechoke(peers, 10 + t * 2, false).optimistic!;
      counts.set(o, (counts.get(o) ?? 0) + 1);
    }
    // Weights 0.25 : 2 : 1 : 1 of 4.25.
    const share = (n: string) => (counts.get(n) ?? 0) / 4000;
    assert.ok(Math.abs(share('free') - 0.25 / 4.25) < 0.02, `free rider ${share('free')}`);
    assert.ok(Math.abs(share('giver') - 2 / 4.25) < 0.03, `contributor ${share('giver')}`);
    assert.ok(share('free') > 0, 'never shut out');
  });

  it('ignores reputation for the optimistic unchoke while seeding (a seed expects nothing back)', () => {
    const rep = new ReputationStore();
    rep.record('free', 0, 1024 * KiB, 0);
    const c = new Choker<string>(createRandom(3), { regularSlots: 0, optimisticIntervalMs: 1, reputation: rep });
    let free = 0;
    for (let t = 0; t < 2000; t++) if (c.rechoke([peer('free'), peer('other')], 10 + t * 2, true).optimistic === 'free') free++;
    assert.ok(Math.abs(free / 2000 - 0.5) < 0.05, `free rider drawn ${free / 2000}`);
  });
});
