/**
 * The incoming gate counts pending connections per source: an IPv4 address (an IPv4-mapped
 * IPv6 one counts as it) or an IPv6 /64. Keyed by the whole IPv6 address, a host with a /64
 * had 2^64 identities and `maxPendingPerIp` capped nothing.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ByteStream, Runtime } from '../../src/runtime/types.js';
import { BanList } from '../../src/swarm/ban-list.js';
import { IncomingGate, type RefuseReason } from '../../src/swarm/incoming.js';
import { FakeClock } from '../helpers/fake-clock.js';

/** A connection that never sends a byte (it stays pending until its handshake deadline). */
function silent(host: string): ByteStream & { destroyed: boolean } {
  const s = {
    local: { host: '10.0.0.1', port: 6881 },
    remote: { host, port: 40000 },
    destroyed: false,
    bufferedBytes: 0,
    write: () => true,
    writev: () => true,
    end() {},
    destroy() { s.destroyed = true; },
    onData() {}, onEnd() {}, onClose() {}, onDrain() {},
  };
  return s;
}

function gate(bans = new BanList()): { gate: IncomingGate; refusals: [string, RefuseReason][] } {
  const refusals: [string, RefuseReason][] = [];
  const g = new IncomingGate({
    runtime: { clock: new FakeClock() } as unknown as Runtime,
    peerId: new Uint8Array(20),
    find: () => undefined,
    bans,
    options: { maxPendingHandshakes: 32, maxPendingPerIp: 2 },
    onRefused: (remote, reason) => refusals.push([remote.host, reason]),
  });
  return { gate: g, refusals };
}

describe('IncomingGate per source', () => {
  it('counts pending connections from one IPv6 /64 together', () => {
    const { gate: g, refusals } = gate();
    const streams = ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:aaaa::3', '2001:db8:1:3::1'].map(silent);
    for (const s of streams) g.offer(s);
    assert.deepEqual(streams.map((s) => s.destroyed), [false, false, true, false]);
    assert.deepEqual(refusals, [['2001:db8:1:2:aaaa::3', 'pending_per_ip']]);
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', () => {
    const { gate: g, refusals } = gate();
    for (const h of ['10.0.0.7', '::ffff:10.0.0.7', '::ffff:10.0.0.7']) g.offer(silent(h));
    assert.deepEqual(refusals, [['::ffff:10.0.0.7', 'pending_per_ip']]);
  });

  it('refuses every address of a banned /64', () => {
    const bans = new BanList();
    bans.ban('2001:db8:1:2::1', 'bad data', 0);
    const { gate: g, refusals } = gate(bans);
    g.offer(silent('2001:db8:1:2:dead:beef:0:1'));
    g.offer(silent('2001:db8:1:4::1'));
    assert.deepEqual(refusals, [['2001:db8:1:2:dead:beef:0:1', 'banned']]);
  });
});
