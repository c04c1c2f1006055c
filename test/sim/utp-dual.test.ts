/**
 * TCP and uTP together (src/transport/dual-streams.ts) on the simulator: uTP is dialled first,
 * TCP when uTP gets no answer, both are accepted on one port, and a UDP bind on the uTP
 * address (the DHT's) shares the uTP socket.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Simulator } from '../../src/sim/index.js';
import { ConstantLatency } from '../../src/sim/latency.js';
import type { ByteStream } from '../../src/runtime/types.js';
import { transportOf, withUtp } from '../../src/transport/dual-streams.js';

async function drive<T>(sim: Simulator, p: Promise<T>, maxMs = 60_000): Promise<T> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  const end = sim.now + maxMs;
  while (!done && sim.now < end) await sim.runFor(5);
  return p;
}

/** Host a (uTP and TCP) and a listener on host b (uTP and TCP, or TCP only), `oneWayMs` apart. */
async function pair(seed: number, oneWayMs: number, o: { bUtp?: boolean; onAccept?: (s: ByteStream) => void } = {}) {
  const sim = new Simulator({ seed, latency: new ConstantLatency(oneWayMs) });
  const a = withUtp(sim.createHost().runtime);
  const bHost = sim.createHost();
  const bRuntime = o.bUtp === false ? bHost.runtime : withUtp(bHost.runtime).runtime;
  const accepted: ByteStream[] = [];
  const l = await drive(sim, bRuntime.stream.listen({ host: bHost.address, port: 6881 }, (st) => {
    accepted.push(st);
    o.onAccept?.(st);
  }));
  return { sim, a, l, accepted };
}

describe('uTP and TCP together', () => {
  it('dials uTP first and both sides see a uTP stream', async () => {
    const { sim, a, l, accepted } = await pair(40, 10);
    const s = await drive(sim, a.runtime.stream.connect(l.address));
    await sim.runFor(100);
    assert.equal(transportOf(s), 'utp');
    assert.deepEqual(accepted.map(transportOf), ['utp']);
  });

  it('starts TCP 500 ms into an unanswered uTP dial to a TCP-only peer, then dials it over TCP only', async () => {
    const { sim, a, l, accepted } = await pair(41, 10, { bUtp: false });
    const t0 = sim.now;
    const s = await drive(sim, a.runtime.stream.connect(l.address));
    assert.equal(transportOf(s), 'tcp');
    // 500 ms of uTP alone, then one TCP round trip (libtorrent waits its full 3 s uTP timeout).
    assert.ok(sim.now - t0 >= 500 + 20 && sim.now - t0 < 500 + 30, `connected after ${sim.now - t0} ms`);
    assert.equal(a.streams.stats.raced, 1);
    assert.ok(a.streams.isTcpOnly(l.address));
    const t1 = sim.now;
    const s2 = await drive(sim, a.runtime.stream.connect(l.address));
    assert.equal(transportOf(s2), 'tcp');
    assert.ok(sim.now - t1 < 30, `second dial took ${sim.now - t1} ms: it should not try uTP again`);
    await sim.runFor(100);
    assert.equal(accepted.length, 2);
  });

  it('starts TCP at once when uTP is refused, and keeps dialling that peer uTP first (it speaks uTP)', async () => {
    // The listener turns uTP connections away (a RESET, as libtorrent's FIN while none of its
    // torrents is started) and takes TCP.
    const { sim, a, l, accepted } = await pair(46, 10, { onAccept: (st) => (transportOf(st) === 'utp' ? st.destroy() : undefined) });
    const t0 = sim.now;
    const s = await drive(sim, a.runtime.stream.connect(l.address));
    assert.equal(transportOf(s), 'tcp');
    assert.ok(sim.now - t0 < 500, `connected after ${sim.now - t0} ms: TCP should not wait out tcpDelayMs after a refusal`);
    assert.equal(a.streams.stats.raced, 0);
    assert.equal(a.streams.isTcpOnly(l.address), false, 'a refusal over uTP does not make the peer TCP-only');
    await drive(sim, a.runtime.stream.connect(l.address));
    await sim.runFor(100);
    assert.deepEqual(accepted.map(transportOf), ['utp', 'tcp', 'utp', 'tcp'], 'the second dial tried uTP first again');
  });

  it('opens no TCP connection to a peer whose uTP answers within the delay', async () => {
    const { sim, a, l, accepted } = await pair(44, 100);
    const s = await drive(sim, a.runtime.stream.connect(l.address));
    await sim.runFor(2000);
    assert.equal(transportOf(s), 'utp');
    assert.deepEqual(accepted.map(transportOf), ['utp']);
    assert.equal(a.streams.stats.raced, 0);
  });

  it('keeps the first transport to connect on a slow path and closes the other', async () => {
    // 400 ms one way: uTP has not answered when TCP starts at 500 ms; uTP (started first) wins at 800 ms.
    const closed: ByteStream[] = [];
    const { sim, a, l, accepted } = await pair(45, 400, { onAccept: (st) => st.onClose(() => closed.push(st)) });
    const s = await drive(sim, a.runtime.stream.connect(l.address));
    await sim.runFor(5000);
    assert.equal(transportOf(s), 'utp');
    assert.equal(a.streams.stats.raced, 1);
    assert.equal(a.streams.isTcpOnly(l.address), false);
    // The TCP connection that lost the race reached the listener and was closed again.
    assert.deepEqual(accepted.map(transportOf).sort(), ['tcp', 'utp']);
    assert.deepEqual(closed.map(transportOf), ['tcp']);
  });

  it('sees uTP through an MSE wrapper (anything exposing the wrapped stream as inner)', () => {
    assert.equal(transportOf({ inner: { inner: { transport: 'utp' } } }), 'utp');
    assert.equal(transportOf({ inner: {} }), 'tcp');
  });

  it('accepts TCP from a TCP-only peer on the same port', async () => {
    const sim = new Simulator({ seed: 42, latency: new ConstantLatency(10) });
    const aHost = sim.createHost();
    const bHost = sim.createHost();
    const b = withUtp(bHost.runtime);
    const accepted: ByteStream[] = [];
    const l = await drive(sim, b.runtime.stream.listen({ host: bHost.address, port: 6881 }, (s) => accepted.push(s)));
    await drive(sim, aHost.runtime.stream.connect(l.address));
    await sim.runFor(100);
    assert.deepEqual(accepted.map(transportOf), ['tcp']);
  });

  it('gives a UDP bind on the uTP address the shared socket: DHT datagrams reach it, uTP still works', async () => {
    const sim = new Simulator({ seed: 43, latency: new ConstantLatency(10) });
    const aHost = sim.createHost();
    const bHost = sim.createHost();
    const b = withUtp(bHost.runtime);
    const l = await drive(sim, b.runtime.stream.listen({ host: bHost.address, port: 6881 }, () => undefined));
    const dht = await drive(sim, b.runtime.udp.bind({ host: bHost.address, port: 6881 }));
    const seen: string[] = [];
    dht.onMessage((d) => seen.push(Buffer.from(d).toString()));
    const udp = await drive(sim, aHost.runtime.udp.bind({ host: aHost.address, port: 0 }));
    udp.send(new TextEncoder().encode('d1:y1:qe'), l.address);
    const a = withUtp(aHost.runtime);
    const s = await drive(sim, a.runtime.stream.connect(l.address));
    await sim.runFor(100);
    assert.deepEqual(seen, ['d1:y1:qe']);
    assert.equal(transportOf(s), 'utp');
  });
});
