import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Holepunch, type HolepunchEvent, type HolepunchHost } from '../../src/nat/holepunch.js';
import type { NatType } from '../../src/nat/external-address.js';
import type { Address } from '../../src/runtime/types.js';
import type { HolepunchMessage } from '../../src/wire/ut-holepunch.js';

interface FakePeer {
  readonly name: string;
  readonly endpoint: Address;
  readonly speaks: boolean;
}

const A: FakePeer = { name: 'A', endpoint: { host: '10.0.1.2', port: 40001 }, speaks: true };
const B: FakePeer = { name: 'B', endpoint: { host: '10.0.2.2', port: 40002 }, speaks: true };
const OLD: FakePeer = { name: 'old', endpoint: { host: '10.0.3.2', port: 6881 }, speaks: false };

function setup(peers: FakePeer[], nat: NatType = 'cone', options = {}) {
  let now = 0;
  const sent: [string, HolepunchMessage][] = [];
  const punched: Address[] = [];
  const connected = new Set<string>();
  const events: HolepunchEvent[] = [];
  const host: HolepunchHost<FakePeer> = {
    now: () => now,
    peers: () => peers,
    supports: (p) => p.speaks,
    endpointOf: (p) => p.endpoint,
    isSelf: (a) => a.host === '10.0.0.1' && a.port === 6881,
    isConnected: (a) => connected.has(`${a.host}:${a.port}`),
    send: (p, m) => void sent.push([p.name, m]),
    punch: (a) => void punched.push(a),
    natType: () => nat,
  };
  const hp = new Holepunch(host, options, (e) => events.push(e));
  return { hp, sent, punched, connected, events, advance: (ms: number) => void (now += ms) };
}

describe('Holepunch as relay (BEP 55)', () => {
  it('forwards connect to both sides when connected to the target at exactly that address and port', () => {
    const { hp, sent } = setup([A, B]);
    hp.onMessage(A, { type: 'rendezvous', address: B.endpoint });
    assert.deepEqual(sent, [['B', { type: 'connect', address: A.endpoint }], ['A', { type: 'connect', address: B.endpoint }]]);
  });

  it('answers NotConnected for the target IP at another port (libtorrent matches address and port)', () => {
    const { hp, sent } = setup([A, B]);
    hp.onMessage(A, { type: 'rendezvous', address: { host: B.endpoint.host, port: 6881 } });
    assert.deepEqual(sent, [['A', { type: 'error', address: { host: B.endpoint.host, port: 6881 }, error: 'NotConnected' }]]);
  });

  it('answers NoSupport when the target does not speak ut_holepunch, NoSelf for our own endpoint', () => {
    const { hp, sent } = setup([A, OLD]);
    hp.onMessage(A, { type: 'rendezvous', address: OLD.endpoint });
    hp.onMessage(A, { type: 'rendezvous', address: { host: '10.0.0.1', port: 6881 } });
    assert.deepEqual(sent.map(([to, m]) => [to, m.type === 'error' && m.error]), [['A', 'NoSupport'], ['A', 'NoSelf']]);
  });

  it('sends connect on the newest of two connections from the target\'s endpoint (the peer reconnected; the older one may be dead)', () => {
    const stale: FakePeer = { ...B, name: 'B-stale' };
    const { hp, sent } = setup([stale, A, B]);
    hp.onMessage(A, { type: 'rendezvous', address: B.endpoint });
    assert.deepEqual(sent, [['B', { type: 'connect', address: A.endpoint }], ['A', { type: 'connect', address: B.endpoint }]]);
    // The newest that speaks ut_holepunch: an older one that does beats a newer one that does not.
    const mute: FakePeer = { ...B, name: 'B-mute', speaks: false };
    const second = setup([B, A, mute]);
    second.hp.onMessage(A, { type: 'rendezvous', address: B.endpoint });
    assert.deepEqual(second.sent.map(([to, m]) => [to, m.type]), [['B', 'connect'], ['A', 'connect']]);
  });

  it('ignores a rendezvous from a peer that did not say it speaks ut_holepunch', () => {
    const { hp, sent } = setup([OLD, B]);
    hp.onMessage(OLD, { type: 'rendezvous', address: B.endpoint });
    assert.deepEqual(sent, []);
  });

  it('relays at most maxRendezvousPerPeerPerMinute for one peer, and again a minute later', () => {
    const { hp, sent, events, advance } = setup([A, B], 'cone', { maxRendezvousPerPeerPerMinute: 2 });
    for (let i = 0; i < 5; i++) hp.onMessage(A, { type: 'rendezvous', address: B.endpoint });
    assert.equal(sent.length, 4, 'two rendezvous relayed, two messages each');
    assert.equal(events.filter((e) => e.type === 'rate-limited').length, 3);
    advance(60_000);
    hp.onMessage(A, { type: 'rendezvous', address: B.endpoint });
    assert.equal(sent.length, 6);
  });
});

describe('Holepunch as initiator and target', () => {
  it('asks a peer that advertised the target and speaks ut_holepunch, then punches on its connect', () => {
    const { hp, sent, punched, events } = setup([OLD, A]);
    const target = { host: '10.0.5.5', port: 7000 };
    assert.equal(hp.rendezvous(target), false, 'nobody advertised it');
    hp.heardOf(target, OLD);
    assert.equal(hp.rendezvous(target), false, 'its only advertiser does not speak ut_holepunch');
    hp.heardOf(target, A);
    assert.equal(hp.rendezvous(target), true);
    assert.deepEqual(sent, [['A', { type: 'rendezvous', address: target }]]);
    hp.onMessage(A, { type: 'connect', address: target });
    assert.deepEqual(punched, [target]);
    assert.deepEqual(events.find((e) => e.type === 'punching'), { type: 'punching', target, role: 'initiator' });
  });

  it('gives up a rendezvous the relay answers with nothing after rendezvousTimeoutMs, and may ask again', () => {
    const { hp, sent, events, advance } = setup([A, B], 'cone', { rendezvousTimeoutMs: 20_000 });
    const target = { host: '10.0.5.5', port: 7000 };
    hp.heardOf(target, A);
    assert.equal(hp.rendezvous(target), true);
    advance(19_999);
    assert.equal(hp.rendezvous(target), false, 'still waiting for the relay');
    advance(1);
    assert.equal(hp.rendezvous(target), true, 'given up at exactly rendezvousTimeoutMs: asked again');
    assert.deepEqual(events.filter((e) => e.type === 'rendezvous-failed'), [{ type: 'rendezvous-failed', target, error: 'nothing in 20 s' }]);
    assert.deepEqual(sent.map(([to, m]) => [to, m.type]), [['A', 'rendezvous'], ['A', 'rendezvous']], 'the first relay is asked again (within its per-minute limit)');
    // A late connect from the first relay is the answer to the rendezvous pending with it: we punch as initiator.
    hp.onMessage(A, { type: 'connect', address: target });
    assert.deepEqual(events.at(-1), { type: 'punching', target, role: 'initiator' });
  });

  it('counts the punch as done when the target\'s SYN connected before the relay\'s connect reached us', () => {
    const { hp, punched, events, connected } = setup([A]);
    const target = { host: '10.0.5.5', port: 7000 };
    hp.heardOf(target, A);
    assert.equal(hp.rendezvous(target), true);
    connected.add('10.0.5.5:7000'); // the target dialled us on its connect, faster than the relay reached us
    hp.onMessage(A, { type: 'connect', address: target });
    assert.deepEqual(punched, [], 'no second dial to a peer we are connected to (BEP 55)');
    assert.deepEqual(events.at(-1), { type: 'punch-succeeded', target, by: 'target' });
    hp.onMessage(A, { type: 'connect', address: target });
    assert.equal(events.filter((e) => e.type === 'punch-succeeded').length, 1, 'a connect we did not ask for says nothing');
  });

  it('counts the punch as done when the target dials in while our punched dial is under way, and says nothing of that dial after', () => {
    const { hp, punched, events } = setup([A]);
    const target = { host: '10.0.5.5', port: 7000 };
    hp.heardOf(target, A);
    hp.rendezvous(target);
    hp.onMessage(A, { type: 'connect', address: target });
    assert.deepEqual(punched, [target]);
    hp.connectedFrom(target);
    assert.deepEqual(events.at(-1), { type: 'punch-succeeded', target, by: 'target' });
    hp.punchFailed(target); // our own dial lost to the connection the target made
    hp.punchSucceeded(target);
    assert.equal(events.filter((e) => e.type === 'punch-failed' || e.type === 'punch-succeeded').length, 1);
    hp.connectedFrom({ host: '10.0.6.6', port: 1 });
    assert.equal(events.length, 3, 'a peer we never punched towards is no punch');
  });

  it('reports its own punched dial once: connected (by us) or failed', () => {
    const { hp, events } = setup([A]);
    hp.onMessage(A, { type: 'connect', address: { host: '10.0.5.5', port: 7000 } });
    hp.onMessage(A, { type: 'connect', address: { host: '10.0.5.6', port: 7000 } });
    hp.punchSucceeded({ host: '10.0.5.5', port: 7000 });
    hp.punchFailed({ host: '10.0.5.6', port: 7000 });
    hp.punchFailed({ host: '10.0.5.6', port: 7000 });
    assert.deepEqual(events.filter((e) => e.type !== 'punching'), [
      { type: 'punch-succeeded', target: { host: '10.0.5.5', port: 7000 }, by: 'us' },
      { type: 'punch-failed', target: { host: '10.0.5.6', port: 7000 }, reason: 'hole punch to 10.0.5.6:7000 failed: no answer' },
    ]);
  });

  it('reports the relay\'s error by name and forgets the attempt', () => {
    const { hp, events } = setup([A]);
    const target = { host: '10.0.5.5', port: 7000 };
    hp.heardOf(target, A);
    hp.rendezvous(target);
    hp.onMessage(A, { type: 'error', address: target, error: 'NotConnected' });
    assert.deepEqual(events.at(-1), { type: 'rendezvous-failed', target, error: 'NotConnected' });
    assert.equal(hp.rendezvous(target), true, 'a new attempt may go out');
  });

  it('ignores an error for a rendezvous it never sent to that peer', () => {
    const { hp, events } = setup([A]);
    hp.onMessage(A, { type: 'error', address: { host: '10.0.5.5', port: 7000 }, error: 'NoSelf' });
    assert.deepEqual(events, []);
  });

  it('as target punches on a connect, ignores one for a peer it is connected to, and caps connects per relay', () => {
    const { hp, punched, connected } = setup([A], 'cone', { maxConnectsPerPeerPerMinute: 3 });
    connected.add('10.0.9.9:1');
    hp.onMessage(A, { type: 'connect', address: { host: '10.0.9.9', port: 1 } });
    assert.deepEqual(punched, []);
    for (let i = 0; i < 10; i++) hp.onMessage(A, { type: 'connect', address: { host: '10.0.8.8', port: 1000 + i } });
    assert.equal(punched.length, 3, 'a hostile relay cannot make us dial more than the limit');
  });

  it('says the NAT maps a new port per destination when a punch fails behind a symmetric NAT', () => {
    const { hp, events } = setup([A], 'symmetric');
    hp.onMessage(A, { type: 'connect', address: { host: '10.0.5.5', port: 7000 } });
    events.length = 0;
    hp.punchFailed({ host: '10.0.5.5', port: 7000 });
    assert.deepEqual(events, [{ type: 'punch-failed', target: { host: '10.0.5.5', port: 7000 }, reason: 'hole punch to 10.0.5.5:7000 failed: our NAT maps a new port per destination (symmetric): a punch works only with a NAT that does not filter by port' }]);
  });

  it('acts on the connects of a busy relay, one per initiator, up to 60 a minute by default (5 dropped most in a 1,000-peer swarm)', () => {
    const { hp, punched, events, advance } = setup([A]);
    for (let i = 0; i < 70; i++) hp.onMessage(A, { type: 'connect', address: { host: `10.0.8.${i}`, port: 6881 } });
    assert.equal(punched.length, 60);
    assert.equal(events.filter((e) => e.type === 'rate-limited').length, 10);
    advance(60_000);
    hp.onMessage(A, { type: 'connect', address: { host: '10.0.9.1', port: 6881 } });
    assert.equal(punched.length, 61, 'a minute later the relay may make us dial again');
  });

  it('behind a symmetric NAT asks no relay (its SYN would pass only a cone NAT, whose peer asks itself) but still punches on a connect', () => {
    const { hp, sent, punched, events } = setup([A], 'symmetric');
    const target = { host: '10.0.5.5', port: 7000 };
    hp.heardOf(target, A);
    assert.equal(hp.rendezvous(target), false);
    assert.deepEqual(sent, []);
    assert.equal(events.length, 1);
    assert.equal(events[0].type, 'rendezvous-skipped');
    hp.onMessage(A, { type: 'connect', address: { host: '10.0.6.6', port: 6881 } });
    assert.deepEqual(punched, [{ host: '10.0.6.6', port: 6881 }], 'as the target it answers the relay\'s connect');
  });

  it('asks relays behind a symmetric NAT with initiateWhenSymmetric, and behind any other NAT type', () => {
    for (const [nat, options] of [['symmetric', { initiateWhenSymmetric: true }], ['cone', {}], ['unknown', {}], ['open', {}]] as const) {
      const { hp, sent } = setup([A], nat, options);
      const target = { host: '10.0.5.5', port: 7000 };
      hp.heardOf(target, A);
      assert.equal(hp.rendezvous(target), true, nat);
      assert.deepEqual(sent, [['A', { type: 'rendezvous', address: target }]]);
    }
  });

  it('forgets a peer that left: it advertises and relays nothing any more', () => {
    const { hp } = setup([A]);
    const target = { host: '10.0.5.5', port: 7000 };
    hp.heardOf(target, A);
    hp.forget(A);
    assert.equal(hp.canRendezvous(target), false);
  });

  it('drops the oldest advert still kept past maxAdvertised, after others were forgotten and re-learnt', () => {
    const { hp } = setup([A, B], 'cone', { maxAdvertised: 3 });
    const t = (i: number) => ({ host: '10.0.7.7', port: 1000 + i });
    hp.heardOf(t(0), A);
    hp.heardOf(t(1), B);
    hp.heardOf(t(2), A);
    hp.forget(A); // t0 and t2 go; t1 stays (B)
    hp.heardOf(t(0), B); // re-learnt: now the newest
    hp.heardOf(t(3), B);
    hp.heardOf(t(4), B); // over 3: t1, the oldest kept, goes
    assert.deepEqual([0, 1, 3, 4].map((i) => hp.canRendezvous(t(i))), [true, false, true, true]);
    for (let i = 5; i < 500; i++) hp.heardOf(t(i), B); // many drops: still the three newest
    assert.deepEqual([496, 497, 498, 499].map((i) => hp.canRendezvous(t(i))), [false, true, true, true]);
  });

  it('forgets the rendezvous pending with a relay that left, so the next failed dial asks another', () => {
    const { hp, sent } = setup([A, B]);
    const target = { host: '10.0.5.5', port: 7000 };
    hp.heardOf(target, A);
    hp.heardOf(target, B);
    assert.equal(hp.rendezvous(target), true);
    hp.forget(A);
    assert.equal(hp.rendezvous(target), true, 'not blocked by the rendezvous the departed relay never answered');
    assert.deepEqual(sent.map(([to]) => to), ['A', 'B']);
  });

  it('remembers at most maxAdvertised targets', () => {
    const { hp } = setup([A], 'cone', { maxAdvertised: 10 });
    for (let i = 0; i < 100; i++) hp.heardOf({ host: '10.0.7.7', port: 1000 + i }, A);
    assert.equal(hp.canRendezvous({ host: '10.0.7.7', port: 1000 }), false);
    assert.equal(hp.canRendezvous({ host: '10.0.7.7', port: 1099 }), true);
  });

  it('forgets only what a departing peer advertised, and an address dropped over maxAdvertised from every advertiser', () => {
    const { hp } = setup([A, B], 'cone', { maxAdvertised: 2 });
    const t1 = { host: '10.0.8.1', port: 7001 }, t2 = { host: '10.0.8.2', port: 7002 }, t3 = { host: '10.0.8.3', port: 7003 };
    hp.heardOf(t1, A);
    hp.heardOf(t1, B);
    hp.heardOf(t2, A);
    hp.forget(A);
    assert.equal(hp.canRendezvous(t1), true, 'B still advertises t1');
    assert.equal(hp.canRendezvous(t2), false, 'only A advertised t2');
    hp.heardOf(t2, B);
    hp.heardOf(t3, B); // over maxAdvertised: t1, the oldest, goes
    assert.equal(hp.canRendezvous(t1), false);
    assert.equal(hp.canRendezvous(t3), true);
    hp.forget(B);
    assert.equal(hp.canRendezvous(t2), false);
    assert.equal(hp.canRendezvous(t3), false);
  });
});

