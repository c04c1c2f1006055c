import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, LognormalLatency, Simulator, UDP_OVERHEAD_BYTES } from '../../src/sim/index.js';
import { bindAll, recordArrivals } from './helpers.js';

describe('simulated network', () => {
  it('delivers a datagram after exactly the constant one-way latency', async () => {
    const sim = new Simulator({ seed: 1, latency: new ConstantLatency(25) });
    const [a, b] = await bindAll(sim, [sim.createHost(), sim.createHost()]);
    const got = recordArrivals(sim, b);
    sim.runForSync(10);
    a.send(new Uint8Array(100), b.address);
    sim.runSync();
    assert.deepEqual(got, [{ t: 35, n: 100 }]);
  });

  it('delivers every datagram no sooner than the pair latency from the lognormal model', async () => {
    const sim = new Simulator({ seed: 9 });
    const hosts = Array.from({ length: 40 }, () => sim.createHost());
    const eps = await bindAll(sim, hosts);
    const checks: { from: number; to: number; t: number }[] = [];
    eps.forEach((ep, i) => ep.onMessage((_d, from) => {
      const j = hosts.findIndex((h) => h.address === from.host);
      checks.push({ from: j, to: i, t: sim.now });
    }));
    for (let i = 0; i < hosts.length; i++) eps[i].send(new Uint8Array(10), eps[(i * 7 + 3) % hosts.length].address);
    sim.runSync();
    assert.equal(checks.length, hosts.length);
    for (const c of checks) {
      const lat = sim.network.oneWayMs(hosts[c.from], hosts[c.to]);
      assert.ok(c.t >= lat, `delivered at ${c.t} before latency ${lat}`);
      assert.ok(Math.abs(c.t - lat) < 1e-9);
    }
  });

  it('gives pairs lognormal RTTs around the median, symmetric and stable', () => {
    const model = new LognormalLatency({ seed: 5, medianRttMs: 60, sigma: 0.6 });
    const hosts = Array.from({ length: 200 }, (_, id) => id);
    const rtts: number[] = [];
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j += 7) {
        const r = model.rttMs(hosts[i], hosts[j]);
        assert.equal(r, model.rttMs(hosts[j], hosts[i]));
        rtts.push(r);
      }
    }
    rtts.sort((x, y) => x - y);
    const median = rtts[rtts.length >> 1];
    assert.ok(median > 54 && median < 66, `median RTT ${median}`);
    const p95 = rtts[Math.floor(rtts.length * 0.95)];
    assert.ok(p95 > 120 && p95 < 200, `p95 RTT ${p95}`);
    assert.ok(rtts[0] >= 2);
    const other = new LognormalLatency({ seed: 6 });
    assert.notEqual(other.rttMs(hosts[0], hosts[1]), model.rttMs(hosts[0], hosts[1]));
  });

  it('loses roughly the configured fraction of datagrams', async () => {
    const sim = new Simulator({ seed: 4, lossRate: 0.1 });
    const [a, b] = await bindAll(sim, [sim.createHost(), sim.createHost()]);
    const got = recordArrivals(sim, b);
    const n = 20_000;
    for (let i = 0; i < n; i++) a.send(new Uint8Array(8), b.address);
    sim.runSync();
    assert.ok(got.length > n * 0.88 && got.length < n * 0.92, `delivered ${got.length} of ${n}`);
    assert.equal(sim.stats.datagramsLost + got.length, n);
  });

  it('applies a per-link loss rate over the global one', async () => {
    const sim = new Simulator({ seed: 4 });
    const hosts = [sim.createHost(), sim.createHost(), sim.createHost()];
    const [a, b, c] = await bindAll(sim, hosts);
    sim.network.setLinkLoss(hosts[0], hosts[1], 1);
    const toB = recordArrivals(sim, b);
    const toC = recordArrivals(sim, c);
    for (let i = 0; i < 100; i++) {
      a.send(new Uint8Array(8), b.address);
      a.send(new Uint8Array(8), c.address);
    }
    sim.runSync();
    assert.equal(toB.length, 0);
    assert.equal(toC.length, 100);
    sim.network.setLinkLoss(hosts[0], hosts[1], undefined);
    a.send(new Uint8Array(8), b.address);
    sim.runSync();
    assert.equal(toB.length, 1);
  });

  it('delays a burst by uplink serialization, proportionally to its size', async () => {
    const lastArrival = async (count: number): Promise<number> => {
      const sim = new Simulator({ seed: 1, latency: new ConstantLatency(10) });
      const [a, b] = await bindAll(sim, [sim.createHost({ uploadBps: 1e6 }), sim.createHost()]);
      const got = recordArrivals(sim, b);
      for (let i = 0; i < count; i++) a.send(new Uint8Array(1000), b.address);
      sim.runSync();
      assert.equal(got.length, count);
      return got[got.length - 1].t;
    };
    const perPacketMs = ((1000 + UDP_OVERHEAD_BYTES) * 8) / 1e6 * 1000;
    const t50 = await lastArrival(50);
    const t100 = await lastArrival(100);
    assert.ok(Math.abs(t50 - (10 + 50 * perPacketMs)) < 1e-6, `50 packets: ${t50}`);
    assert.ok(Math.abs(t100 - (10 + 100 * perPacketMs)) < 1e-6, `100 packets: ${t100}`);
  });

  it('delays arrivals by downlink serialization in arrival order', async () => {
    const sim = new Simulator({ seed: 1, latency: new ConstantLatency(10) });
    const [a, c, b] = await bindAll(sim, [sim.createHost(), sim.createHost(), sim.createHost({ downloadBps: 1e6 })]);
    const got = recordArrivals(sim, b);
    for (let i = 0; i < 20; i++) {
      a.send(new Uint8Array(1000), b.address);
      c.send(new Uint8Array(500), b.address);
    }
    sim.runSync();
    assert.equal(got.length, 40);
    const bytes = 20 * (1000 + UDP_OVERHEAD_BYTES) + 20 * (500 + UDP_OVERHEAD_BYTES);
    assert.ok(Math.abs(got[39].t - (10 + (bytes * 8) / 1e3)) < 1e-6, `last at ${got[39].t}`);
    for (let i = 1; i < got.length; i++) assert.ok(got[i].t > got[i - 1].t);
  });

  it('tail-drops datagrams that would queue longer than the limit', async () => {
    const sim = new Simulator({ seed: 1, latency: new ConstantLatency(10), queueLimitMs: 100 });
    const [a, b] = await bindAll(sim, [sim.createHost({ uploadBps: 1e6 }), sim.createHost()]);
    const got = recordArrivals(sim, b);
    for (let i = 0; i < 1000; i++) a.send(new Uint8Array(1000), b.address);
    sim.runSync();
    const perPacketMs = ((1000 + UDP_OVERHEAD_BYTES) * 8) / 1e3;
    // Packet k waits k * perPacketMs; those waiting more than 100 ms are dropped.
    assert.equal(got.length, Math.floor(100 / perPacketMs) + 1);
    assert.equal(sim.stats.datagramsDropped, 1000 - got.length);
  });

  it('drops traffic to and from an offline host until it comes back', async () => {
    const sim = new Simulator({ seed: 1 });
    const hosts = [sim.createHost(), sim.createHost()];
    const [a, b] = await bindAll(sim, hosts);
    const atB = recordArrivals(sim, b);
    const atA = recordArrivals(sim, a);
    hosts[1].goOffline();
    a.send(new Uint8Array(1), b.address);
    b.send(new Uint8Array(1), a.address);
    sim.runSync();
    assert.equal(atB.length + atA.length, 0);
    // In flight when the host drops: lost too.
    hosts[1].goOnline();
    a.send(new Uint8Array(2), b.address);
    hosts[1].goOffline();
    sim.runSync();
    assert.equal(atB.length, 0);
    hosts[1].goOnline();
    a.send(new Uint8Array(3), b.address);
    b.send(new Uint8Array(3), a.address);
    sim.runSync();
    assert.equal(atB.length, 1);
    assert.equal(atA.length, 1);
  });

  it('removes a host: its timers stop, its ports close and its address is free again', async () => {
    const sim = new Simulator({ seed: 1 });
    const h = sim.createHost({ address: '10.9.9.9' });
    const other = sim.createHost();
    const [ep, o] = await bindAll(sim, [h, other]);
    let fired = 0;
    h.runtime.clock.setTimer(100, () => fired++);
    sim.removeHost(h);
    o.send(new Uint8Array(1), ep.address);
    sim.runSync();
    assert.equal(fired, 0);
    assert.equal(sim.stats.datagramsDelivered, 0);
    assert.equal(sim.host('10.9.9.9'), undefined);
    assert.ok(!sim.hosts.includes(h));
    const again = sim.createHost({ address: '10.9.9.9' });
    assert.equal(sim.host('10.9.9.9'), again);
    assert.throws(() => sim.createHost({ address: '10.9.9.9' }), RangeError);
  });

  it('refuses a second bind on a used port and a bind on a foreign address', async () => {
    const sim = new Simulator({ seed: 1 });
    const h = sim.createHost();
    const first = h.runtime.udp.bind({ host: h.address, port: 5000 });
    const second = h.runtime.udp.bind({ host: h.address, port: 5000 });
    const foreign = h.runtime.udp.bind({ host: '192.0.2.7', port: 5000 });
    const outcomes = Promise.allSettled([first, second, foreign]);
    await sim.run();
    const [r1, r2, r3] = await outcomes;
    assert.equal(r1.status === 'fulfilled' && r1.value.address.port, 5000);
    assert.equal(r2.status === 'rejected' && (r2.reason as { code: string }).code, 'EADDRINUSE');
    assert.equal(r3.status === 'rejected' && (r3.reason as { code: string }).code, 'EADDRNOTAVAIL');
  });

  it('auto-assigns distinct 10.x.y.z addresses', () => {
    const sim = new Simulator({ seed: 1 });
    const addrs = Array.from({ length: 600 }, () => sim.createHost().address);
    assert.equal(new Set(addrs).size, 600);
    for (const a of addrs) assert.match(a, /^10\.\d+\.\d+\.\d+$/);
    assert.ok(!addrs.some((a) => a.endsWith('.0') || a.endsWith('.255')));
  });
});
