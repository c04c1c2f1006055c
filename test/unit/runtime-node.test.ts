import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import { NetworkError } from '../../src/runtime/types.js';
import { runPingClient, startPingServer } from '../helpers/ping-pong.js';
import { echoRoundTrip, startEchoServer } from '../helpers/echo.js';

const LOOPBACK = { host: '127.0.0.1', port: 0 };

describe('node runtime', () => {
  const rt = createNodeRuntime({ seed: 1234 });
  after(() => rt.close());

  it('runs the UDP ping-pong protocol over 127.0.0.1 with port 0', async () => {
    const server = await startPingServer(rt, LOOPBACK);
    assert.equal(server.address.host, '127.0.0.1');
    assert.ok(server.address.port > 0, 'port 0 was replaced by a real port');
    const result = await runPingClient(rt, LOOPBACK, server.address, { count: 20, timeoutMs: 1000, retries: 3 });
    assert.equal(result.pongs, 20);
    assert.equal(result.failed, 0);
    assert.equal(server.answered(), 20 + result.resends);
    for (const rtt of result.rtts) assert.ok(rtt >= 0);
    server.close();
  });

  it('runs the UDP ping-pong protocol over IPv6 ::1', async (t) => {
    const bind = { host: '::1', port: 0 };
    let server;
    try {
      server = await startPingServer(rt, bind);
    } catch (err) {
      t.skip(`no IPv6 loopback here: ${(err as Error).message}`);
      return;
    }
    assert.equal(server.address.host, '::1');
    const result = await runPingClient(rt, bind, server.address, { count: 5, timeoutMs: 1000, retries: 3 });
    assert.equal(result.pongs, 5);
    server.close();
  });

  it('runs the stream echo protocol, honouring backpressure, over 127.0.0.1', async () => {
    const server = await startEchoServer(rt, LOOPBACK);
    // More than Linux's largest socket buffers (4 MiB send + 32 MiB receive) can hold, so
    // writing it in one synchronous loop must make `write` say "wait" at least once.
    const payload = rt.random.bytes(40 << 20);
    const result = await echoRoundTrip(rt, server.listener.address, payload, 256 * 1024);
    assert.equal(result.echoed.byteLength, payload.byteLength);
    assert.deepEqual(result.echoed, payload);
    assert.ok(result.backpressured > 0, '40 MiB written in one go exceeds the kernel buffers');
    assert.equal(server.accepted(), 1);
    server.listener.close();
  });

  it('rejects a connect to a port nobody listens on with ECONNREFUSED', async () => {
    const listener = await rt.stream.listen(LOOPBACK, () => {});
    const addr = listener.address;
    listener.close();
    await assert.rejects(rt.stream.connect(addr), (err: unknown) => {
      assert.ok(err instanceof NetworkError);
      assert.equal(err.code, 'ECONNREFUSED');
      return true;
    });
  });

  it('rejects binding a UDP port that is in use with EADDRINUSE', async () => {
    const a = await rt.udp.bind(LOOPBACK);
    await assert.rejects(rt.udp.bind(a.address), (err: unknown) => err instanceof NetworkError && err.code === 'EADDRINUSE');
    a.close();
  });

  it('closes a stream with an error on the other side when one side destroys it', async () => {
    let serverSide: Promise<Error | undefined> | undefined;
    const listener = await rt.stream.listen(LOOPBACK, (s) => {
      serverSide = new Promise((resolve) => s.onClose(resolve));
      s.onData(() => {});
      s.destroy(new Error('test abort'));
    });
    const client = await rt.stream.connect(listener.address);
    const closed = new Promise<Error | undefined>((resolve) => client.onClose(resolve));
    client.onData(() => {});
    client.onEnd(() => client.end());
    await closed;
    assert.ok(serverSide !== undefined);
    const serverError = await serverSide;
    assert.equal(serverError?.message, 'test abort');
    listener.close();
  });

  it('fires timers in order and never fires a cancelled one', async () => {
    const fired: string[] = [];
    const cancelled = rt.clock.setTimer(5, () => fired.push('cancelled'));
    await new Promise<void>((resolve) => {
      rt.clock.setTimer(10, () => fired.push('a'));
      rt.clock.setTimer(20, () => {
        fired.push('b');
        resolve();
      });
      cancelled.cancel();
      cancelled.cancel();
    });
    assert.deepEqual(fired, ['a', 'b']);
  });

  it('has a monotonic clock', () => {
    const a = rt.clock.now();
    const b = rt.clock.now();
    assert.ok(b >= a);
  });

  it('replays its random stream from a given seed', () => {
    const x = createNodeRuntime({ seed: 99 });
    const y = createNodeRuntime({ seed: 99 });
    assert.deepEqual(x.random.bytes(32), y.random.bytes(32));
    assert.equal(x.seed, 99);
    const z = createNodeRuntime();
    assert.ok(Number.isInteger(z.seed), 'an unseeded runtime reports the seed it drew');
  });

  it('close() releases every endpoint and listener it opened', async () => {
    const own = createNodeRuntime();
    const ep = await own.udp.bind(LOOPBACK);
    const listener = await own.stream.listen(LOOPBACK, () => {});
    own.close();
    await assert.rejects(rt.stream.connect(listener.address), (err: unknown) => err instanceof NetworkError && err.code === 'ECONNREFUSED');
    const again = await rt.udp.bind(ep.address);
    again.close();
  });
});
