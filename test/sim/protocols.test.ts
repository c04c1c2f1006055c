import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Simulator } from '../../src/sim/index.js';
import { runPingClient, startPingServer } from '../helpers/ping-pong.js';
import { echoRoundTrip, startEchoServer } from '../helpers/echo.js';

describe('the shared protocols on the simulator', () => {
  it('runs the UDP ping-pong protocol; each RTT is the pair latency both ways', async () => {
    const sim = new Simulator({ seed: 1 });
    const a = sim.createHost();
    const b = sim.createHost();
    const done = (async () => {
      const server = await startPingServer(a.runtime, { host: a.address, port: 0 });
      return runPingClient(b.runtime, { host: b.address, port: 0 }, server.address, { count: 20, timeoutMs: 2000, retries: 3 });
    })();
    await sim.run();
    const result = await done;
    assert.equal(result.pongs, 20);
    assert.equal(result.failed, 0);
    const rtt = sim.network.oneWayMs(a, b) + sim.network.oneWayMs(b, a);
    for (const r of result.rtts) assert.ok(Math.abs(r - rtt) < 1e-9, `rtt ${r} vs ${rtt}`);
  });

  it('runs the UDP ping-pong protocol through 30% loss by resending', async () => {
    const sim = new Simulator({ seed: 2, lossRate: 0.3 });
    const a = sim.createHost();
    const b = sim.createHost();
    const done = (async () => {
      const server = await startPingServer(a.runtime, { host: '0.0.0.0', port: 7000 });
      return runPingClient(b.runtime, { host: b.address, port: 0 }, server.address, { count: 50, timeoutMs: 1000, retries: 10 });
    })();
    await sim.run();
    const result = await done;
    assert.equal(result.pongs, 50);
    assert.ok(result.resends > 0);
    assert.ok(sim.stats.datagramsLost > 0);
  });

  it('runs the stream echo protocol over limited links, honouring backpressure', async () => {
    const sim = new Simulator({ seed: 3 });
    const a = sim.createHost({ uploadBps: 20e6, downloadBps: 50e6 });
    const b = sim.createHost({ uploadBps: 8e6, downloadBps: 30e6 });
    const payload = b.runtime.random.bytes(1 << 20);
    const done = (async () => {
      const server = await startEchoServer(a.runtime, { host: a.address, port: 6881 });
      return echoRoundTrip(b.runtime, server.listener.address, payload, 64 * 1024);
    })();
    await sim.run();
    const result = await done;
    assert.deepEqual(result.echoed, payload);
    assert.ok(result.backpressured > 0);
    // 1 MiB through b's 8 Mbit/s uplink takes at least ~1.05 s of virtual time.
    assert.ok(sim.now > (payload.byteLength * 8) / 8e6 * 1000, `finished at ${sim.now} ms`);
  });
});
