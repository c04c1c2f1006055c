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
  it('a host that only binds UDP holds one table (its UDP ports), and can go offline and be removed', async () => {
    const sim = new Simulator({ seed: 1, latency: new ConstantLatency(5) });
    const h = sim.createHost();
    const bound = h.runtime.udp.bind({ host: h.address, port: 6881 });
    sim.runSync();
    await bound;
    assert.equal(tables(h), 1);
    h.goOffline();
    sim.removeHost(h);
    assert.equal(h.removed, true);
    assert.equal(tables(h), 1);
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
