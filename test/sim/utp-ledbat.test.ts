/**
 * LEDBAT yields (BEP 29 congestion control): a uTP bulk flow sharing a 10 Mbit/s uplink with
 * a constant-rate flow that takes 80 % of it keeps the queue near the 100 ms target, so the
 * other flow loses nothing and its packets see little extra delay, while uTP still moves data.
 * Fixed seed, virtual time.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Simulator } from '../../src/sim/index.js';
import { ConstantLatency } from '../../src/sim/latency.js';
import type { ByteStream } from '../../src/runtime/types.js';
import { UtpStreams } from '../../src/transport/utp/streams.js';

async function drive<T>(sim: Simulator, p: Promise<T>, maxMs = 60_000): Promise<T> {
  let done = false;
  p.then(() => (done = true), () => (done = true));
  const end = sim.now + maxMs;
  while (!done && sim.now < end) await sim.runFor(5);
  return p;
}

describe('LEDBAT', () => {
  it('keeps the shared uplink queue near 100 ms: a constant-rate flow at 80 % loses nothing', async () => {
    const UP = 10e6;
    const sim = new Simulator({ seed: 50, latency: new ConstantLatency(20), queueLimitMs: 1000 });
    const a = sim.createHost({ uploadBps: UP });
    const b = sim.createHost();
    // The constant-rate flow: 1000-byte datagrams carrying their send time, at 80 % of the link.
    const cbrOut = await drive(sim, a.runtime.udp.bind({ host: a.address, port: 7000 }));
    const cbrIn = await drive(sim, b.runtime.udp.bind({ host: b.address, port: 7000 }));
    const delays: number[] = [];
    let sent = 0;
    cbrIn.onMessage((d) => delays.push(sim.now - new DataView(d.buffer, d.byteOffset).getFloat64(0)));
    const intervalMs = ((1000 + 28) * 8) / (0.8 * UP) * 1000;
    const tick = (): void => {
      if (sim.now > 55_000) return; // then 5 s for the last ones to arrive
      const d = new Uint8Array(1000);
      new DataView(d.buffer).setFloat64(0, sim.now);
      cbrOut.send(d, cbrIn.address);
      sent++;
      a.runtime.clock.setTimer(intervalMs, tick);
    };
    // uTP bulk flow from a to b.
    const server = new UtpStreams(b.runtime);
    let received = 0;
    await drive(sim, server.listen({ host: b.address, port: 6881 }, (s) => s.onData((d) => (received += d.length))));
    const s: ByteStream = await drive(sim, new UtpStreams(a.runtime).connect({ host: b.address, port: 6881 }));
    const chunk = new Uint8Array(65536);
    const more = (): void => {
      while (s.write(chunk));
    };
    s.onDrain(more);
    more();
    await sim.runFor(10_000); // uTP alone first
    const aloneBytes = received;
    tick();
    await sim.runFor(50_000);
    const sharedBytes = received - aloneBytes;
    assert.ok(sent > 30_000);
    assert.ok(delays.length >= sent - 1, `constant-rate flow lost ${sent - delays.length} of ${sent}`);
    const late = delays.slice(delays.length / 2).sort((x, y) => x - y);
    const p95 = late[Math.floor(late.length * 0.95)];
    assert.ok(p95 < 20 + 200, `95th percentile one-way delay ${p95.toFixed(1)} ms`); // 20 ms path + at most ~2x the target
    assert.ok(aloneBytes > 0.6 * (UP / 8) * 10, `uTP alone moved ${aloneBytes} bytes in 10 s`);
    assert.ok(sharedBytes > 0, 'uTP still moves data beside the other flow');
    assert.ok(sharedBytes < 0.4 * (UP / 8) * 50, `uTP took ${sharedBytes} bytes in 50 s beside an 80 % flow`);
  });
});
