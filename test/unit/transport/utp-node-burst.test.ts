/**
 * The Node UDP endpoint's `afterReads` (src/runtime/node/udp.ts), which uTP acks on: a burst
 * is everything queued in the kernel, not libuv's 32-datagram read batch, up to
 * MAX_BURST_TURNS batches. Real loopback sockets; the burst is queued by synchronous sends
 * before the receiver's event loop reads anything, so what one turn reads is fixed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { NodeUdp, LIBUV_READ_BATCH, MAX_BURST_TURNS } from '../../../src/runtime/node/udp.js';
import { ResourceTracker } from '../../../src/runtime/node/resources.js';
import type { UdpEndpoint } from '../../../src/runtime/types.js';

/** Sends `n` datagrams to `to` in one synchronous run; resolves after the receiver's afterReads ran `rounds` times. */
async function burst(n: number, rounds = 1): Promise<number[]> {
  const tracker = new ResourceTracker();
  const receiver: UdpEndpoint = await new NodeUdp(tracker).bind({ host: '127.0.0.1', port: 0 }, { bufferBytes: 1 << 20 });
  const sender = dgram.createSocket('udp4');
  sender.bind(0, '127.0.0.1');
  await once(sender, 'listening');
  let received = 0;
  const seenAtCallback: number[] = [];
  let pending = false;
  const done = new Promise<void>((resolve) => {
    receiver.onMessage(() => {
      received++;
      if (pending) return;
      pending = true;
      receiver.afterReads!(() => {
        pending = false;
        seenAtCallback.push(received);
        if (seenAtCallback.length === rounds) resolve();
      });
    });
  });
  const payload = Buffer.alloc(64);
  for (let i = 0; i < n; i++) sender.send(payload, receiver.address.port, '127.0.0.1');
  await done;
  sender.close();
  receiver.close();
  return seenAtCallback;
}

describe('Node UDP endpoint: afterReads', () => {
  it('waits out a burst of 100 queued datagrams (four libuv batches) before running', async () => {
    // Before: it ran after the first turn, 32 datagrams in (libuv's batch), and uTP acked every 32.
    assert.deepEqual(await burst(100), [100]);
  });

  it('runs after MAX_BURST_TURNS full batches even while more are queued', async () => {
    const cap = LIBUV_READ_BATCH * MAX_BURST_TURNS;
    assert.deepEqual(await burst(cap + 40, 2), [cap, cap + 40]);
  });

  it('runs after the turn when a burst is shorter than one batch', async () => {
    assert.deepEqual(await burst(5), [5]);
  });
});
