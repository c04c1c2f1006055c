import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { ByteStream, NetworkError } from '../../src/runtime/types.js';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import type { SimHost } from '../../src/sim/index.js';

/** Listens on `server`:80 and connects from `client`; resolves both sides (async run). */
async function pair(sim: Simulator, client: SimHost, server: SimHost): Promise<{ c: ByteStream; s: ByteStream; acceptedAt: number; connectedAt: number }> {
  let accept!: (s: ByteStream) => void;
  const accepted = new Promise<ByteStream>((r) => (accept = r));
  let acceptedAt = -1;
  await server.runtime.stream.listen({ host: server.address, port: 80 }, (s) => {
    acceptedAt = sim.now;
    accept(s);
  });
  const c = await client.runtime.stream.connect({ host: server.address, port: 80 });
  const connectedAt = sim.now;
  const s = await accepted;
  return { c, s, acceptedAt, connectedAt };
}

function collect(s: ByteStream): { bytes: number[]; ended: boolean; closed: boolean; error?: Error } {
  const state: { bytes: number[]; ended: boolean; closed: boolean; error?: Error } = { bytes: [], ended: false, closed: false };
  s.onData((d) => state.bytes.push(...d));
  s.onEnd(() => (state.ended = true));
  s.onClose((e) => {
    state.closed = true;
    state.error = e;
  });
  return state;
}

/** Sets every handler of `s` to close over a fresh 1 MiB owner; returns a weak reference to it. */
function attachOwner(s: ByteStream, seen: { closed: boolean }): WeakRef<{ buffer: Uint8Array }> {
  const owner = { buffer: new Uint8Array(1 << 20) };
  s.onData(() => owner.buffer.fill(1));
  s.onEnd(() => owner.buffer.fill(2));
  s.onDrain(() => owner.buffer.fill(3));
  s.onClose(() => {
    seen.closed = owner.buffer.length > 0;
  });
  return new WeakRef(owner);
}

describe('simulated streams', () => {
  it('connects after one RTT and accepts on the server after one and a half', async () => {
    const sim = new Simulator({ yieldMode: 'every-event', seed: 1, latency: new ConstantLatency(20) });
    const a = sim.createHost();
    const b = sim.createHost();
    const done = pair(sim, a, b);
    await sim.run();
    const { c, s, acceptedAt, connectedAt } = await done;
    assert.equal(connectedAt, 40);
    assert.equal(acceptedAt, 60);
    assert.equal(c.remote.host, b.address);
    assert.equal(c.remote.port, 80);
    assert.deepEqual(s.remote, c.local);
  });

  it('delivers bytes in order across many writes and two streams sharing a slow uplink', async () => {
    const sim = new Simulator({ yieldMode: 'every-event', seed: 2 });
    const a = sim.createHost({ uploadBps: 2e6 });
    const b = sim.createHost({ downloadBps: 3e6 });
    const received = new Map<number, number[]>();
    const done = (async () => {
      await b.runtime.stream.listen({ host: b.address, port: 80 }, (s) => {
        const bytes: number[] = [];
        received.set(s.remote.port, bytes);
        s.onData((d) => bytes.push(...d));
      });
      const streams = [await a.runtime.stream.connect({ host: b.address, port: 80 }), await a.runtime.stream.connect({ host: b.address, port: 80 })];
      for (let i = 0; i < 200; i++) {
        for (const [k, s] of streams.entries()) {
          const chunk = new Uint8Array(700 + ((i * 37) % 300)).map((_, j) => (i + j + k) & 0xff);
          s.write(chunk);
        }
      }
      return streams;
    })();
    await sim.run();
    const streams = await done;
    for (const [k, s] of streams.entries()) {
      const got = received.get(s.local.port);
      assert.ok(got !== undefined);
      const expected: number[] = [];
      for (let i = 0; i < 200; i++) for (let j = 0; j < 700 + ((i * 37) % 300); j++) expected.push((i + j + k) & 0xff);
      assert.deepEqual(got, expected);
    }
  });

  it('shares an uplink between streams instead of sending one after the other', async () => {
    const sim = new Simulator({ yieldMode: 'every-event', seed: 3, latency: new ConstantLatency(5) });
    const a = sim.createHost({ uploadBps: 8e6 });
    const b = sim.createHost();
    const finished: number[] = [];
    const done = (async () => {
      await b.runtime.stream.listen({ host: b.address, port: 80 }, (s) => {
        let n = 0;
        s.onData((d) => {
          n += d.byteLength;
          if (n === 1 << 20) finished.push(sim.now);
        });
      });
      const s1 = await a.runtime.stream.connect({ host: b.address, port: 80 });
      const s2 = await a.runtime.stream.connect({ host: b.address, port: 80 });
      s1.write(new Uint8Array(1 << 20));
      s2.write(new Uint8Array(1 << 20));
    })();
    await sim.run();
    await done;
    assert.equal(finished.length, 2);
    // 2 MiB at 1 MB/s: both finish near 2.1 s, within one segment time of each other.
    assert.ok(Math.abs(finished[0] - finished[1]) < 20, `finish times ${finished.join(', ')}`);
    assert.ok(finished[1] > 2000);
  });

  it('lets a small message on an idle stream pass the 16 KiB segments other streams have queued on a slow uplink', async () => {
    // 128 kbit/s up: a 16 KiB segment takes about 1 s. A request (17 bytes) on a fourth stream
    // waits for one packet, as on a real link, not for the three streams' reserved segments.
    const sim = new Simulator({ yieldMode: 'every-event', seed: 6, latency: new ConstantLatency(10) });
    const a = sim.createHost({ uploadBps: 128e3 });
    const b = sim.createHost();
    let smallAt = -1;
    let sentAt = -1;
    const done = (async () => {
      await b.runtime.stream.listen({ host: b.address, port: 80 }, (s) => {
        s.onData((d) => {
          if (d.byteLength === 17) smallAt = sim.now;
        });
      });
      const busy = [];
      for (let i = 0; i < 3; i++) busy.push(await a.runtime.stream.connect({ host: b.address, port: 80 }));
      const quiet = await a.runtime.stream.connect({ host: b.address, port: 80 });
      for (const s of busy) s.write(new Uint8Array(64 * 1024));
      sentAt = sim.now;
      quiet.write(new Uint8Array(17));
    })();
    await sim.run();
    await done;
    // One 1460-byte packet (about 95 ms) plus its own 57 bytes and the 10 ms one-way delay.
    assert.ok(smallAt - sentAt < 150, `the small message took ${smallAt - sentAt} ms`);
  });

  it('keeps one stream in order when a small write follows a large one through a slow downlink', async () => {
    const sim = new Simulator({ yieldMode: 'every-event', seed: 7, latency: new ConstantLatency(10) });
    const a = sim.createHost();
    const b = sim.createHost({ downloadBps: 128e3 });
    const got: number[] = [];
    const done = (async () => {
      await b.runtime.stream.listen({ host: b.address, port: 80 }, (s) => s.onData((d) => got.push(d[0], d.byteLength)));
      const c = await a.runtime.stream.connect({ host: b.address, port: 80 });
      c.write(new Uint8Array(16 * 1024).fill(1));
      c.write(new Uint8Array(17).fill(2));
    })();
    await sim.run();
    await done;
    assert.deepEqual(got, [1, 16 * 1024, 2, 17]);
  });

  it('takes proportionally longer to move more bytes through a limited link', async () => {
    const transfer = async (bytes: number): Promise<number> => {
      const sim = new Simulator({ yieldMode: 'every-event', seed: 4, latency: new ConstantLatency(10) });
      const a = sim.createHost({ uploadBps: 10e6 });
      const b = sim.createHost();
      let doneAt = -1;
      const started = (async () => {
        await b.runtime.stream.listen({ host: b.address, port: 80 }, (s) => {
          let n = 0;
          s.onData((d) => {
            n += d.byteLength;
            if (n === bytes) doneAt = sim.now;
          });
        });
        const c = await a.runtime.stream.connect({ host: b.address, port: 80 });
        const t0 = sim.now;
        c.write(new Uint8Array(bytes));
        return t0;
      })();
      await sim.run();
      return doneAt - (await started);
    };
    const t1 = await transfer(1 << 20);
    const t4 = await transfer(4 << 20);
    assert.ok(t1 > 800 && t1 < 1000, `1 MiB took ${t1} ms`);
    const ratio = (t4 - 10) / (t1 - 10);
    assert.ok(ratio > 3.9 && ratio < 4.1, `4x the bytes took ${ratio}x the time`);
  });

  it('signals backpressure and drains once the queued bytes have left', async () => {
    const sim = new Simulator({ yieldMode: 'every-event', seed: 5, latency: new ConstantLatency(10) });
    const a = sim.createHost({ uploadBps: 8e6 });
    const b = sim.createHost();
    const done = (async () => {
      const { c } = await pair(sim, a, b);
      const first = c.write(new Uint8Array(1000));
      const big = c.write(new Uint8Array(200_000));
      const t0 = sim.now;
      const drainedAt = await new Promise<number>((r) => c.onDrain(() => r(sim.now)));
      return { first, big, waited: drainedAt - t0 };
    })();
    await sim.run();
    const r = await done;
    assert.equal(r.first, true);
    assert.equal(r.big, false);
    // 201 000 bytes plus headers at 1 byte/µs.
    assert.ok(r.waited > 201 && r.waited < 203, `drained after ${r.waited} ms`);
  });

  it('buffers data that arrives before a handler is set and delivers it in order', async () => {
    const sim = new Simulator({ yieldMode: 'every-event', seed: 6 });
    const a = sim.createHost();
    const b = sim.createHost();
    let server: ByteStream | undefined;
    const done = (async () => {
      await b.runtime.stream.listen({ host: b.address, port: 80 }, (s) => (server = s));
      const c = await a.runtime.stream.connect({ host: b.address, port: 80 });
      c.write(Uint8Array.of(1, 2));
      c.write(Uint8Array.of(3));
      c.end();
    })();
    await sim.run();
    await done;
    assert.ok(server !== undefined);
    const state = collect(server);
    await sim.run();
    assert.deepEqual(state.bytes, [1, 2, 3]);
    assert.equal(state.ended, true);
  });

  it('closes both sides cleanly once both have ended', async () => {
    const sim = new Simulator({ yieldMode: 'every-event', seed: 7 });
    const done = pair(sim, sim.createHost(), sim.createHost());
    await sim.run();
    const { c, s } = await done;
    const cs = collect(c);
    const ss = collect(s);
    s.onEnd(() => {
      ss.ended = true;
      s.write(Uint8Array.of(9));
      s.end();
    });
    c.write(Uint8Array.of(1));
    c.end();
    await sim.run();
    assert.deepEqual(ss.bytes, [1]);
    assert.deepEqual(cs.bytes, [9]);
    assert.ok(cs.ended && ss.ended && cs.closed && ss.closed);
    assert.equal(cs.error, undefined);
    assert.equal(ss.error, undefined);
  });

  it('resets the peer with ECONNRESET when one side destroys the stream', async () => {
    const sim = new Simulator({ yieldMode: 'every-event', seed: 8, latency: new ConstantLatency(15) });
    const done = pair(sim, sim.createHost(), sim.createHost());
    await sim.run();
    const { c, s } = await done;
    const cs = collect(c);
    const ss = collect(s);
    const t0 = sim.now;
    let closedAt = -1;
    s.onClose((e) => {
      ss.error = e;
      closedAt = sim.now;
    });
    c.destroy(new Error('local reason'));
    await sim.run();
    assert.equal(cs.error?.message, 'local reason');
    assert.equal((ss.error as NetworkError).code, 'ECONNRESET');
    assert.equal(closedAt - t0, 15);
    assert.equal(c.write(Uint8Array.of(1)), false);
  });

  it('refuses a connect to a port nobody listens on after one RTT', async () => {
    const sim = new Simulator({ yieldMode: 'every-event', seed: 9, latency: new ConstantLatency(30) });
    const a = sim.createHost();
    const b = sim.createHost();
    const outcome = a.runtime.stream.connect({ host: b.address, port: 1234 }).then(
      () => ({ code: 'connected', at: sim.now }),
      (e: { code: string }) => ({ code: e.code, at: sim.now }),
    );
    await sim.run();
    assert.deepEqual(await outcome, { code: 'ECONNREFUSED', at: 60 });
  });

  it('times out a connect to a host that does not exist or is offline', async () => {
    const sim = new Simulator({ yieldMode: 'every-event', seed: 10, connectTimeoutMs: 3000 });
    const a = sim.createHost();
    const b = sim.createHost();
    b.goOffline();
    const settleAt = (p: Promise<unknown>): Promise<[string, number]> =>
      p.then(() => ['connected', sim.now], (e: { code: string }) => [e.code, sim.now]);
    const nobody = settleAt(a.runtime.stream.connect({ host: '10.200.0.1', port: 80 }));
    const offline = settleAt(a.runtime.stream.connect({ host: b.address, port: 80 }, { timeoutMs: 500 }));
    await sim.run();
    assert.deepEqual(await nobody, ['ETIMEDOUT', 3000]);
    assert.deepEqual(await offline, ['ETIMEDOUT', 500]);
  });

  it('fails streams when a host goes offline: at once locally, after a delay at the peer', async () => {
    const sim = new Simulator({ yieldMode: 'every-event', seed: 11, latency: new ConstantLatency(25), linkFailureDetectMs: 1000 });
    const a = sim.createHost();
    const b = sim.createHost();
    const done = pair(sim, a, b);
    await sim.run();
    const { c, s } = await done;
    const closedAt = { c: -1, s: -1 };
    const codes = { c: '', s: '' };
    c.onClose((e) => {
      closedAt.c = sim.now;
      codes.c = (e as NetworkError).code;
    });
    s.onClose((e) => {
      closedAt.s = sim.now;
      codes.s = (e as NetworkError).code;
    });
    const t0 = sim.now;
    b.goOffline();
    await sim.run();
    assert.deepEqual(codes, { c: 'ETIMEDOUT', s: 'ENETDOWN' });
    assert.equal(closedAt.s, t0);
    assert.equal(closedAt.c - t0, 25 + 1000);
  });
  it('lets go of its owner\'s handlers once closed and told, though something still holds the stream', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const sim = new Simulator({ yieldMode: 'every-event', seed: 12, latency: new ConstantLatency(10) });
    const a = sim.createHost();
    const b = sim.createHost();
    const done = pair(sim, a, b);
    await sim.run();
    const { c, s } = await done;
    // The owner: a large object its handlers close over (a session and its swarm, in a client),
    // made in a function of its own so that only the handlers hold it.
    const seen = { closed: false };
    const ownerRef = attachOwner(c, seen);
    s.destroy();
    await sim.run();
    assert.equal(seen.closed, true);
    // `c` stays referenced here (as an event in flight or a peer's stream would hold it).
    await new Promise((r) => setImmediate(r));
    gc();
    assert.equal(ownerRef.deref(), undefined, 'a closed stream keeps its owner alive');
    assert.equal(c.remote.port, 80);
  });
});
