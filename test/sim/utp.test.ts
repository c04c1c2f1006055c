/**
 * uTP (BEP 29) over the simulator's links: transfers verified byte for byte through loss,
 * jitter (reordering) and limited bandwidth; refusals, timeouts and the connection limits.
 * Fixed seeds, virtual time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Simulator } from '../../src/sim/index.js';
import type { LatencyModel } from '../../src/sim/latency.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { NetworkError, type ByteStream } from '../../src/runtime/types.js';
import { UtpStreams } from '../../src/transport/utp/streams.js';
import { UtpSocket } from '../../src/transport/utp/socket.js';
import { pump } from '../helpers/pump.js';

/** A fixed base delay plus seeded jitter per datagram, so packets overtake each other. */
class JitterLatency implements LatencyModel {
  private readonly r: SeededRandom;
  constructor(private readonly baseMs: number, private readonly jitterMs: number, seed: number) {
    this.r = new SeededRandom(seed);
  }
  oneWayMs(): number {
    return this.baseMs + this.r.next() * this.jitterMs;
  }
}

const PORT = 6881;

/**
 * Runs the simulator in 5 ms steps until `p` settles (uTP's connect promise is its own, not
 * the simulator's, so the loop cannot see it; fixed steps keep the run deterministic).
 */
async function drive<T>(sim: Simulator, p: Promise<T>, maxMs = 60_000): Promise<T> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  const end = sim.now + maxMs;
  while (!done && sim.now < end) await sim.runFor(5);
  return p;
}

interface Collected { chunks: Uint8Array[]; ended: boolean; closed: boolean; error?: Error }
function collect(s: ByteStream): Collected {
  const c: Collected = { chunks: [], ended: false, closed: false };
  s.onData((d) => c.chunks.push(d.slice()));
  s.onEnd(() => {
    c.ended = true;
    s.end();
  });
  s.onClose((e) => {
    c.closed = true;
    c.error = e;
  });
  return c;
}
const joined = (c: Collected): Uint8Array => Uint8Array.from(Buffer.concat(c.chunks));

async function transfer(sim: Simulator, size: number, seed: number, up?: number): Promise<{ got: Collected; sent: Uint8Array; secs: number; client: Collected }> {
  const a = sim.createHost({ uploadBps: up, downloadBps: up });
  const b = sim.createHost({ uploadBps: up, downloadBps: up });
  const server = new UtpStreams(b.runtime);
  let got: Collected | undefined;
  await drive(sim, server.listen({ host: b.address, port: PORT }, (s) => {
    got = collect(s);
  }));
  const client = new UtpStreams(a.runtime);
  const data = new SeededRandom(seed).bytes(size);
  const started = sim.now;
  const s = await drive(sim, client.connect({ host: b.address, port: PORT }));
  const mine = collect(s);
  pump(s, data);
  await sim.runFor(600_000);
  assert.ok(got, 'server accepted');
  return { got, sent: data, secs: (sim.now - started) / 1000, client: mine };
}

describe('uTP on the simulator', () => {
  it('moves 8 MiB byte for byte through 1% loss and jitter, then closes with FIN on both sides', async () => {
    const sim = new Simulator({ seed: 29, lossRate: 0.01, latency: new JitterLatency(20, 10, 29) });
    const { got, sent, client } = await transfer(sim, 8 << 20, 1, 50e6);
    assert.equal(joined(got).length, sent.length);
    assert.deepEqual(joined(got), sent);
    assert.ok(got.ended && got.closed && got.error === undefined, 'server side closed cleanly ' + JSON.stringify([got.ended, got.closed, String(got.error), client.ended, client.closed, String(client.error)]));
    assert.ok(client.ended && client.closed && client.error === undefined, 'client side closed cleanly');
  });

  it('moves 2 MiB through 10% loss', async () => {
    const sim = new Simulator({ seed: 30, lossRate: 0.1, latency: new JitterLatency(30, 5, 30) });
    const { got, sent } = await transfer(sim, 2 << 20, 2);
    assert.deepEqual(joined(got), sent);
  });

  it('refuses with ECONNREFUSED where nobody listens and times out where nobody answers', async () => {
    const sim = new Simulator({ seed: 31 });
    const a = sim.createHost();
    const b = sim.createHost();
    const udp = await drive(sim, b.runtime.udp.bind({ host: b.address, port: PORT }));
    const sock = new UtpSocket(b.runtime, udp); // bound but not listening: SYNs get a RESET
    const client = new UtpStreams(a.runtime);
    await assert.rejects(drive(sim, client.connect({ host: b.address, port: PORT })), (e: unknown) => e instanceof NetworkError && e.code === 'ECONNREFUSED');
    assert.equal(sock.stats.refusedSyns, 1);
    const t0 = sim.now;
    await assert.rejects(drive(sim, client.connect({ host: '10.9.9.9', port: PORT })), (e: unknown) => e instanceof NetworkError && e.code === 'ETIMEDOUT');
    assert.ok(sim.now - t0 >= 7000 && sim.now - t0 < 7010); // SYN at 0, re-sent at 1 s and 3 s, given up at 7 s (+ the 5 ms step)
    client.close();
    sock.close();
  });

  it('refuses SYNs beyond maxConnections with a RESET', async () => {
    const sim = new Simulator({ seed: 32 });
    const a = sim.createHost();
    const b = sim.createHost();
    const server = new UtpStreams(b.runtime, { maxConnections: 2 });
    const accepted: ByteStream[] = [];
    await drive(sim, server.listen({ host: b.address, port: PORT }, (s) => accepted.push(s)));
    const client = new UtpStreams(a.runtime);
    await drive(sim, client.connect({ host: b.address, port: PORT }));
    await drive(sim, client.connect({ host: b.address, port: PORT }));
    await assert.rejects(drive(sim, client.connect({ host: b.address, port: PORT })), (e: unknown) => e instanceof NetworkError && e.code === 'ECONNREFUSED');
    assert.equal(accepted.length, 2);
  });

  it('refuses SYNs beyond maxHalfOpen until the open ones send data', async () => {
    const sim = new Simulator({ seed: 33 });
    const a = sim.createHost();
    const b = sim.createHost();
    const server = new UtpStreams(b.runtime, { maxHalfOpen: 1 });
    const accepted: ByteStream[] = [];
    await drive(sim, server.listen({ host: b.address, port: PORT }, (s) => accepted.push(s)));
    const client = new UtpStreams(a.runtime);
    const first = await drive(sim, client.connect({ host: b.address, port: PORT }));
    await assert.rejects(drive(sim, client.connect({ host: b.address, port: PORT })), (e: unknown) => e instanceof NetworkError && e.code === 'ECONNREFUSED');
    first.write(Uint8Array.of(1));
    await sim.runFor(1000);
    await drive(sim, client.connect({ host: b.address, port: PORT }));
    assert.equal(accepted.length, 2);
  });

  it('passes non-uTP datagrams (the DHT starts with d) to the shared endpoint', async () => {
    const sim = new Simulator({ seed: 34 });
    const a = sim.createHost();
    const b = sim.createHost();
    const sock = await drive(sim, UtpSocket.bind(b.runtime, { host: b.address, port: PORT }));
    const seen: string[] = [];
    sock.sharedEndpoint().onMessage((d) => seen.push(Buffer.from(d).toString()));
    const udp = await drive(sim, a.runtime.udp.bind({ host: a.address, port: 0 }));
    udp.send(new TextEncoder().encode('d1:y1:qe'), { host: b.address, port: PORT });
    await sim.runFor(1000);
    assert.deepEqual(seen, ['d1:y1:qe']);
    assert.equal(sock.stats.malformed, 0);
  });
});
