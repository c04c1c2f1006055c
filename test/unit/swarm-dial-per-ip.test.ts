/**
 * Our own dials and the peer pool obey the per-IP rule incoming peers meet at the handshake
 * (docs/limits.md, "Connections"). A tracker, PEX or DHT reply listing one IP with 500 ports
 * used to fill the pool with it and have us dial every port (a reflection attack on that IP).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Address, Runtime } from '../../src/runtime/types.js';
import { OutgoingDials, type DialContext } from '../../src/swarm/outgoing.js';
import { PeerPool } from '../../src/swarm/peer-pool.js';
import type { PeerDialer } from '../../src/swarm/peer-dialer.js';
import type { PeerSession } from '../../src/swarm/peer-session.js';
import { DEFAULT_MAX_ADDRESSES_PER_IP, dialFilter, PerIpCounts } from '../../src/swarm/peer-turnover.js';
import type { PeerConnection } from '../../src/wire/index.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** Dials that never complete: each one holds its half-open slot, as a slow connect does. */
function recorder(): { dialer: PeerDialer; dialled: Address[] } {
  const dialled: Address[] = [];
  const dialer = { dial: (a: Address) => { dialled.push(a); return new Promise(() => {}); } } as unknown as PeerDialer;
  return { dialer, dialled };
}

/** The per-source count the swarm keeps of `peers`. */
function perIpOf(peers: ReadonlyMap<string, PeerSession>): PerIpCounts {
  const c = new PerIpCounts(Infinity);
  for (const p of peers.values()) c.take(p.address.host, true);
  return c;
}

function dials(pool: PeerPool, dialer: PeerDialer, peers = new Map<string, PeerSession>(), maxHalfOpen = 8): OutgoingDials {
  const clock = new FakeClock();
  const ctx: DialContext = {
    runtime: { clock } as unknown as Runtime,
    pool, dialer, peers,
    connectedPerIp: perIpOf(peers),
    options: { maxPeers: 50, maxHalfOpen },
    handshakeHash: () => new Uint8Array(20),
    isSeed: () => false,
    stopped: () => false,
    newConnection: () => ({ close() {}, takeOutgoing: () => [] }) as unknown as PeerConnection,
    adopt: () => {},
  };
  return new OutgoingDials(ctx);
}

describe('dials per IP', () => {
  it('dials one IP listed with 500 ports at most maxPeersPerIp times, and other IPs meanwhile', () => {
    const pool = new PeerPool({ maxAddressesPerIp: Infinity });
    for (let port = 1000; port < 1500; port++) pool.add({ host: '10.9.9.9', port }, 'tracker');
    pool.add({ host: '10.0.0.2', port: 6881 }, 'tracker');
    pool.add({ host: '10.0.0.3', port: 6881 }, 'tracker');
    const { dialer, dialled } = recorder();
    const d = dials(pool, dialer);
    d.dial();
    d.dial();
    assert.equal(dialled.filter((a) => a.host === '10.9.9.9').length, 4, 'four dials to the listed IP, as many as it may connect');
    assert.deepEqual(dialled.filter((a) => a.host !== '10.9.9.9').map((a) => a.host).sort(), ['10.0.0.2', '10.0.0.3']);
  });

  it('counts connected peers and IPv6 addresses per /64, an IPv4-mapped address as IPv4', () => {
    const inFlight = new PerIpCounts(Infinity);
    inFlight.take('fd00:1:2:3::1');
    // The swarm's per-source count of its connected peers (a closed one already released).
    const connected = new PerIpCounts(Infinity);
    connected.take('fd00:1:2:3::2', true);
    connected.take('10.0.0.1', true);
    connected.take('10.0.0.1', true);
    connected.release('10.0.0.1');
    const allow = dialFilter(connected, inFlight, 3);
    assert.equal(allow({ host: 'fd00:1:2:3:ffff::9' }), true, 'third from the /64');
    assert.equal(allow({ host: 'fd00:1:2:3::77' }), false, 'a fourth from the same /64');
    assert.equal(allow({ host: 'fd00:1:2:4::1' }), true, 'another /64');
    assert.equal(allow({ host: '::ffff:10.0.0.1' }), true);
    assert.equal(allow({ host: '10.0.0.1' }), true);
    assert.equal(allow({ host: '10.0.0.1' }), false, 'the closed connection does not count; the two let through do');
  });
});

describe('PeerPool addresses per IP', () => {
  it(`keeps at most maxAddressesPerIp (${DEFAULT_MAX_ADDRESSES_PER_IP}) addresses of one IP, IPv6 per /64`, () => {
    const pool = new PeerPool();
    for (let port = 1000; port < 1500; port++) pool.add({ host: '10.9.9.9', port }, 'pex');
    for (let i = 1; i < 100; i++) pool.add({ host: `fd00:1:2:3::${i.toString(16)}`, port: 6881 }, 'dht');
    assert.equal(pool.size, 2 * DEFAULT_MAX_ADDRESSES_PER_IP);
    pool.add({ host: '10.0.0.2', port: 6881 }, 'tracker');
    assert.equal(pool.size, 2 * DEFAULT_MAX_ADDRESSES_PER_IP + 1, 'other IPs still get in');
  });

  it('makes room for an IP once its addresses are forgotten, and keeps what the user adds', () => {
    const pool = new PeerPool({ maxAddressesPerIp: 2, maxFailures: 1 });
    pool.add({ host: '10.9.9.9', port: 1 }, 'tracker');
    pool.add({ host: '10.9.9.9', port: 2 }, 'tracker');
    pool.add({ host: '10.9.9.9', port: 3 }, 'tracker');
    assert.equal(pool.size, 2);
    pool.markFailed({ host: '10.9.9.9', port: 1 }, 0);
    pool.add({ host: '10.9.9.9', port: 3 }, 'tracker');
    assert.equal(pool.size, 2, 'a failed address made room for another');
    pool.add({ host: '10.9.9.9', port: 4 }, 'manual');
    assert.equal(pool.size, 3, 'an address the user adds is kept past the cap');
    pool.forgetHost('10.9.9.9');
    assert.equal(pool.size, 0);
    pool.add({ host: '10.9.9.9', port: 5 }, 'tracker');
    pool.add({ host: '10.9.9.9', port: 6 }, 'tracker');
    assert.equal(pool.size, 2, 'forgetting the host gave back every count');
  });
});
