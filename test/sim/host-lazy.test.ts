/**
 * A simulated host carries stream tables only once it uses streams: a 1,000,000-node DHT
 * simulation has a million hosts that only ever send datagrams (docs/dht.md, "Scale").
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';

/** The Map and Set objects a host holds itself. */
function tables(host: object): number {
  return Object.values(host).filter((v) => v instanceof Map || v instanceof Set).length;
}

describe('simulated host tables', () => {
  it('a host that binds one UDP port holds no Map or Set, and can go offline and be removed', async () => {
    const sim = new Simulator({ seed: 1, latency: new ConstantLatency(5) });
    const h = sim.createHost();
    const bound = h.runtime.udp.bind({ host: h.address, port: 6881 });
    sim.runSync();
    await bound;
    assert.equal(tables(h), 0);
    assert.equal(tables(h.udpPorts), 0);
    h.goOffline();
    sim.removeHost(h);
    assert.equal(h.removed, true);
    assert.equal(h.udpPorts.size, 0);
  });

  it('a host with several UDP ports delivers to each, frees a closed one and refuses one in use', async () => {
    const sim = new Simulator({ seed: 3, latency: new ConstantLatency(5) });
    const [a, b] = [sim.createHost(), sim.createHost()];
    const binding = [6881, 6882, 0].map((port) => b.runtime.udp.bind({ host: b.address, port }));
    const sender = a.runtime.udp.bind({ host: a.address, port: 1000 });
    sim.runSync();
    const eps = await Promise.all(binding);
    const from = await sender;
    assert.deepEqual(eps.slice(0, 2).map((e) => e.address.port), [6881, 6882]);
    assert.ok(eps[2].address.port >= 49152, 'port 0 takes an ephemeral port');
    const got: string[] = [];
    eps.forEach((e, i) => e.onMessage((d) => got.push(`${i}:${new TextDecoder().decode(d)}`)));
    for (const e of eps) from.send(new TextEncoder().encode(String(e.address.port)), e.address);
    sim.runSync();
    assert.deepEqual(got.sort(), eps.map((e, i) => `${i}:${e.address.port}`).sort());
    const inUse = b.runtime.udp.bind({ host: b.address, port: 6882 });
    sim.runSync();
    await assert.rejects(inUse, /in use/);
    eps[0].close();
    assert.equal(b.udpPorts.has(6881), false);
    assert.equal(b.udpPorts.size, 2);
    const again = b.runtime.udp.bind({ host: b.address, port: 6881 });
    sim.runSync();
    const ep = await again;
    ep.onMessage((d) => got.push(`again:${new TextDecoder().decode(d)}`));
    from.send(new TextEncoder().encode('x'), { host: b.address, port: 6881 });
    from.send(new TextEncoder().encode('y'), { host: b.address, port: 6882 });
    sim.runSync();
    assert.deepEqual(got.slice(-2).sort(), ['1:y', 'again:x']);
    sim.removeHost(b);
    assert.equal(b.udpPorts.size, 0);
  });

  it('stream tables appear on first use and still work: listen, connect, fail on going offline', async () => {
    const sim = new Simulator({ seed: 2, latency: new ConstantLatency(5) });
    const [a, b] = [sim.createHost(), sim.createHost()];
    const accepted: unknown[] = [];
    const listening = b.runtime.stream.listen({ host: b.address, port: 80 }, (s) => accepted.push(s));
    sim.runSync();
    await listening;
    assert.equal(b.tcpPorts.size, 1);
    const connecting = a.runtime.stream.connect({ host: b.address, port: 80 });
    await sim.run();
    const stream = await connecting;
    assert.equal(accepted.length, 1);
    assert.equal(a.streams.size, 1);
    let closed: Error | undefined;
    stream.onClose((e) => (closed = e));
    a.goOffline();
    sim.runSync();
    assert.ok(closed instanceof Error, 'the stream fails when its host goes offline');
    assert.equal(a.streams.size, 0);
  });
});
