/**
 * The daemon's port mapping (service/port-mapping.ts) on a fake runtime: nothing here reaches
 * a real gateway (fake UDP sockets, virtual time). It starts in the background, shows
 * pending then failed quietly when no router answers, maps only a listener a router could
 * forward to, and stops (sockets closed) when the setting goes off.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DaemonPortMapping } from '../../src/daemon/service/port-mapping.js';
import type { Runtime } from '../../src/runtime/types.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { FakeClock, FakeUdpEndpoint } from '../helpers/fake-clock.js';

const GW = { gateway: '10.9.0.1', interface: 'eth0', localAddress: '10.9.0.5' };

function setup(gateway: typeof GW | null = GW) {
  const clock = new FakeClock();
  const sockets: FakeUdpEndpoint[] = [];
  const runtime = {
    clock,
    random: new SeededRandom(5),
    udp: { bind: async () => { const s = new FakeUdpEndpoint({ host: '0.0.0.0', port: 41000 + sockets.length }, clock); sockets.push(s); return s; } },
    // UPnP's HTTP (src/nat/upnp-http.ts): never reached here, as no IGD answers the SSDP search.
    http: { get: () => Promise.reject(new Error('no HTTP in this test')) },
  } as unknown as Runtime; // port mapping uses only the clock, random, udp and http
  const logged: string[] = [];
  const pm = new DaemonPortMapping({ runtime, findGateway: () => gateway ?? undefined, log: (m) => logged.push(m) });
  return { clock, sockets, logged, pm };
}

const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
};

describe('daemon port mapping', () => {
  it('asks the gateway in the background, shows pending, then failed without a log line when nothing answers; stops when turned off', async () => {
    const { clock, sockets, logged, pm } = setup();
    pm.sync(true, '0.0.0.0', 6881);
    assert.deepEqual(pm.info().mappings.map((m) => m.state), ['pending', 'pending'], 'sync returned before any socket was bound');
    await flush();
    assert.equal(sockets.length, 2, 'a PCP/NAT-PMP socket and an SSDP one');
    assert.ok(sockets[0].sent.some((d) => d.to.host === GW.gateway && d.to.port === 5351), 'PCP/NAT-PMP asked the gateway');
    assert.deepEqual(pm.info().mappings.map((m) => [m.protocol, m.internalPort, m.state]), [['tcp', 6881, 'pending'], ['udp', 6881, 'pending']]);
    clock.advance(130_000); // PCP/NAT-PMP gives up after 9 tries; no IGD answered SSDP
    await flush();
    const info = pm.info();
    assert.deepEqual(info.mappings.map((m) => m.state), ['failed', 'failed']);
    assert.equal(info.externalAddress, null);
    assert.deepEqual(logged, [], 'quiet when no router answers');

    pm.sync(false, '0.0.0.0', 6881);
    await flush();
    assert.ok(sockets.every((s) => s.closed), 'turned off: sockets closed');
    assert.deepEqual(pm.info().mappings.map((m) => [m.state, m.error]), [['off', 'port mapping is off'], ['off', 'port mapping is off']]);
    await pm.close();
  });

  it('ends with one live mapping after the setting flips off and on while the first start is still binding', async () => {
    const { sockets, pm } = setup();
    pm.sync(true, '0.0.0.0', 6881);
    pm.sync(false, '0.0.0.0', 6881);
    pm.sync(true, '0.0.0.0', 6881);
    pm.sync(true, '0.0.0.0', 6881); // the same wish again: nothing new
    await flush();
    assert.equal(sockets.length, 4);
    assert.equal(sockets.filter((s) => s.closed).length, 2, 'the superseded start was undone (its two sockets closed), the last one lives');
    assert.deepEqual(pm.info().mappings.map((m) => m.state), ['pending', 'pending']);
    await pm.close();
    assert.ok(sockets.every((s) => s.closed));
  });

  it('never maps a listener on loopback or another address, nor without a gateway', async () => {
    for (const [host, gw, why] of [['127.0.0.1', GW, /cannot forward/], ['10.77.0.2', GW, /cannot forward/], ['0.0.0.0', null, /no default gateway/]] as const) {
      const { sockets, pm } = setup(gw);
      pm.sync(true, host, 6881);
      await flush();
      assert.equal(sockets.length, 0, host);
      const m = pm.info().mappings;
      assert.deepEqual(m.map((x) => x.state), ['off', 'off']);
      assert.match(m[0].error!, why);
      await pm.close();
    }
  });
});
