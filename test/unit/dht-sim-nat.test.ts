/** The simulator's address-restricted NAT filter for DHT nodes (src/dht/sim/nat.ts). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { NatSocket } from '../../src/dht/sim/nat.js';
import type { Address, Clock, TimerHandle, UdpEndpoint } from '../../src/runtime/types.js';

function setup(timeoutMs = 60_000): { nat: NatSocket; clock: { t: number }; sent: Address[] } {
  const clock = { t: 0 };
  const sent: Address[] = [];
  const endpoint = { address: { host: '10.0.0.1', port: 6881 }, send: (_d: Uint8Array, to: Address) => sent.push(to) } as unknown as UdpEndpoint; // only address and send are used
  const c = { now: () => clock.t, setTimer: (): TimerHandle => ({ cancel() {} }) } as unknown as Clock; // the NAT only reads the time
  return { nat: new NatSocket(endpoint, c, timeoutMs), clock, sent };
}

describe('simulated NAT filter', () => {
  it('lets in only hosts it sent to, until the hole times out', () => {
    const { nat, clock, sent } = setup(1000);
    nat.send(new Uint8Array(1), { host: '10.0.0.2', port: 1 });
    assert.equal(sent.length, 1);
    assert.equal(nat.allows({ host: '10.0.0.2', port: 9 }), true); // address-restricted: any port
    assert.equal(nat.allows({ host: '10.0.0.3', port: 1 }), false);
    clock.t = 999.5;
    assert.equal(nat.allows({ host: '10.0.0.2', port: 1 }), true);
    clock.t = 1000;
    assert.equal(nat.allows({ host: '10.0.0.2', port: 1 }), false);
    nat.send(new Uint8Array(1), { host: '10.0.0.2', port: 1 }); // a new send opens it again
    assert.equal(nat.allows({ host: '10.0.0.2', port: 1 }), true);
  });

  it('keeps every open hole while thousands of hosts come and go', () => {
    const { nat, clock } = setup(1000);
    const host = (i: number): string => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    for (let i = 0; i < 5000; i++) {
      clock.t = i; // one send a ms: the last 1000 are open
      nat.send(new Uint8Array(1), { host: host(i), port: 1 });
    }
    for (let i = 0; i < 5000; i++) assert.equal(nat.allows({ host: host(i), port: 1 }), i > 4999 - 1000, `host ${i}`);
  });

  it('handles IPv6 hosts too', () => {
    const { nat } = setup();
    nat.send(new Uint8Array(1), { host: 'fd00::2', port: 1 });
    assert.equal(nat.allows({ host: 'fd00::2', port: 1 }), true);
    assert.equal(nat.allows({ host: 'fd00::3', port: 1 }), false);
  });
});
