import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import type { SimHost } from '../../src/sim/index.js';

/**
 * A small randomized workload mixing timers, datagrams, loss, bandwidth and async stream
 * code; returns the trace of everything that happened, with virtual times.
 */
async function gossipTrace(seed: number): Promise<string[]> {
  const sim = new Simulator({ seed, lossRate: 0.05 });
  const trace: string[] = [];
  const hosts: SimHost[] = Array.from({ length: 30 }, (_, i) => sim.createHost({ uploadBps: i % 3 === 0 ? 1e6 : undefined, downloadBps: i % 4 === 0 ? 2e6 : undefined }));
  const start = async (h: SimHost): Promise<void> => {
    const rt = h.runtime;
    const ep = await rt.udp.bind({ host: h.address, port: 4000 });
    await rt.stream.listen({ host: h.address, port: 5000 }, (s) => {
      s.onData((d) => trace.push(`${sim.now.toFixed(6)} ${h.address} stream-data ${d.byteLength}`));
      s.onEnd(() => s.end());
    });
    ep.onMessage((data, from) => trace.push(`${sim.now.toFixed(6)} ${h.address} <- ${from.host} ${data[0]}`));
    let rounds = 0;
    const tick = (): void => {
      if (++rounds > 20) return;
      const peer = hosts[rt.random.int(hosts.length)];
      ep.send(Uint8Array.of(rt.random.int(256), 0, 0, 0, 0, 0, 0, 0), { host: peer.address, port: 4000 });
      rt.clock.setTimer(50 + rt.random.next() * 200, tick);
    };
    rt.clock.setTimer(rt.random.next() * 100, tick);
    const peer = hosts[rt.random.int(hosts.length)];
    const s = await rt.stream.connect({ host: peer.address, port: 5000 });
    trace.push(`${sim.now.toFixed(6)} ${h.address} connected ${peer.address}`);
    s.write(rt.random.bytes(1000 + rt.random.int(20_000)));
    s.end();
    s.onData(() => {});
  };
  const all = Promise.all(hosts.map(start));
  await sim.run();
  await all;
  trace.push(`stats ${JSON.stringify(sim.stats)}`);
  return trace;
}

describe('Simulator', () => {
  it('replays a run exactly for the same seed, and differs for another', async () => {
    const a = await gossipTrace(42);
    const b = await gossipTrace(42);
    const c = await gossipTrace(43);
    assert.ok(a.length > 500, `trace has ${a.length} entries`);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
  });

  it('runs async code at the virtual instant its simulator promise settles', async () => {
    const sim = new Simulator({ seed: 1, latency: new ConstantLatency(10) });
    const a = sim.createHost();
    const b = sim.createHost();
    const seen: number[] = [];
    const done = (async () => {
      await b.runtime.stream.listen({ host: b.address, port: 80 }, () => {});
      seen.push(sim.now);
      await a.runtime.stream.connect({ host: b.address, port: 80 });
      seen.push(sim.now);
      await sim.sleep(100);
      seen.push(sim.now);
    })();
    // Unrelated later events must not run before the continuations above.
    sim.schedule(500, () => seen.push(-1));
    await sim.run();
    await done;
    assert.deepEqual(seen, [0, 20, 120, -1]);
  });

  it('with runSync, continuations run only after the synchronous run returns', async () => {
    const sim = new Simulator({ seed: 1, latency: new ConstantLatency(10) });
    const a = sim.createHost();
    let resumedAt = -1;
    const done = (async () => {
      await a.runtime.udp.bind({ host: a.address, port: 1 });
      resumedAt = sim.now;
    })();
    sim.schedule(300, () => {});
    sim.runSync();
    await done;
    assert.equal(resumedAt, 300);
  });

  it('fires timers in time order, ties in the order they were set', () => {
    const sim = new Simulator({ seed: 1 });
    const clock = sim.createHost().runtime.clock;
    const log: string[] = [];
    clock.setTimer(20, () => log.push('b'));
    clock.setTimer(10, () => log.push('a1'));
    clock.setTimer(10, () => log.push('a2'));
    clock.setTimer(10, () => {
      log.push('a3');
      clock.setTimer(0, () => log.push('a3-child'));
    });
    clock.setTimer(10, () => log.push('a4'));
    sim.runSync();
    assert.deepEqual(log, ['a1', 'a2', 'a3', 'a4', 'a3-child', 'b']);
    assert.equal(sim.now, 20);
  });

  it('never fires a cancelled timer, and cancelling twice or after firing is harmless', () => {
    const sim = new Simulator({ seed: 1 });
    const clock = sim.createHost().runtime.clock;
    const log: string[] = [];
    const t1 = clock.setTimer(5, () => log.push('cancelled'));
    const t2 = clock.setTimer(6, () => log.push('fired'));
    t1.cancel();
    t1.cancel();
    sim.runSync();
    t2.cancel();
    clock.setTimer(1, () => log.push('later'));
    sim.runSync();
    assert.deepEqual(log, ['fired', 'later']);
    assert.equal(sim.pendingEvents, 0);
  });

  it('runUntil and runFor stop at the boundary and leave the clock there', () => {
    const sim = new Simulator({ seed: 1 });
    const log: number[] = [];
    for (const t of [5, 10, 15, 30]) sim.schedule(t, () => log.push(t));
    assert.equal(sim.runUntilSync(10), 2);
    assert.equal(sim.now, 10);
    assert.deepEqual(log, [5, 10]);
    sim.runForSync(10);
    assert.equal(sim.now, 20);
    assert.deepEqual(log, [5, 10, 15]);
    assert.equal(sim.step(), true);
    assert.equal(sim.now, 30);
    assert.equal(sim.step(), false);
    assert.equal(sim.runSync({ maxEvents: 5 }), 0);
  });

  it('honours until in the async loop too', async () => {
    const sim = new Simulator({ seed: 1 });
    const log: number[] = [];
    for (const t of [5, 50]) sim.schedule(t, () => log.push(t));
    await sim.runFor(20);
    assert.equal(sim.now, 20);
    assert.deepEqual(log, [5]);
    await sim.runUntil(100);
    assert.deepEqual(log, [5, 50]);
    assert.equal(sim.now, 100);
  });

  it('refuses to run from inside an event', () => {
    const sim = new Simulator({ seed: 1 });
    let caught: unknown;
    sim.schedule(1, () => {
      try {
        sim.runSync();
      } catch (e) {
        caught = e;
      }
    });
    sim.runSync();
    assert.ok(caught instanceof Error);
  });

  it('gives each host its own random stream, forked from the seed in creation order', () => {
    const draw = (seed: number): number[] => {
      const sim = new Simulator({ seed });
      const hosts = [sim.createHost(), sim.createHost()];
      return hosts.map((h) => h.runtime.random.nextUint32());
    };
    const x = draw(7);
    assert.deepEqual(x, draw(7));
    assert.notEqual(x[0], x[1]);
    assert.notDeepEqual(x, draw(8));
  });
});
