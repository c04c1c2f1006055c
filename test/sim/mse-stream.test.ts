import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ByteStream } from '../../src/runtime/types.js';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import { MseError, negotiateMse, req2Hash, type MseResult } from '../../src/transport/mse/index.js';

const SKEY = new Uint8Array(20).fill(3);
const findSkey = (r: Uint8Array) => (Buffer.compare(r, req2Hash(SKEY)) === 0 ? SKEY : undefined);

function setup(seed: number) {
  const sim = new Simulator({ yieldMode: 'every-event', seed, latency: new ConstantLatency(20) });
  return { sim, a: sim.createHost(), b: sim.createHost() };
}

describe('MSE over simulated streams', () => {
  it('both sides establish RC4 at the expected round trips and carry bytes both ways in order', async () => {
    const { sim, a, b } = setup(1);
    const got = { a: [] as number[], b: [] as number[] };
    let serverDone = -1;
    let clientDone = -1;
    const big = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) & 255);
    const run = (async () => {
      const server = new Promise<MseResult>((resolve, reject) => {
        void b.runtime.stream.listen({ host: b.address, port: 6881 }, (s) => {
          negotiateMse(b.runtime.clock, s, { role: 'receiver', random: b.runtime.random, findSkey, accept: ['rc4', 'plaintext'] }).then((r) => {
            serverDone = sim.now;
            resolve(r);
          }, reject);
        });
      });
      const raw = await a.runtime.stream.connect({ host: b.address, port: 6881 });
      assert.equal(sim.now, 40);
      const client = await negotiateMse(a.runtime.clock, raw, { role: 'initiator', random: a.runtime.random, skey: SKEY, provide: ['rc4'], initialPayload: Uint8Array.from([1, 2, 3]) });
      clientDone = sim.now;
      const s = await server;
      assert.deepEqual(s.payload, Uint8Array.from([1, 2, 3]));
      assert.equal(client.method, 'rc4');
      s.stream.onData((d) => { for (const x of d) got.b.push(x); });
      client.stream.onData((d) => { for (const x of d) got.a.push(x); });
      client.stream.writev([big.subarray(0, 1000), big.subarray(1000)]);
      s.stream.write(big.subarray(0, 5000));
    })();
    await sim.run();
    await run;
    // Ya leaves at 40 and arrives at 60 (with the ACK); Yb at 80; step 3 at 100; step 4 at 120.
    assert.equal(serverDone, 100);
    assert.equal(clientDone, 120);
    assert.equal(got.b.length, big.length);
    assert.ok(got.b.every((x, i) => x === big[i]));
    assert.deepEqual(got.a, [...big.subarray(0, 5000)]);
  });

  it('an initiator facing a silent listener gives up at exactly the handshake deadline', async () => {
    const { sim, a, b } = setup(2);
    let failedAt = -1;
    let error: unknown;
    const run = (async () => {
      await b.runtime.stream.listen({ host: b.address, port: 6881 }, (s: ByteStream) => s.onData(() => {}));
      const raw = await a.runtime.stream.connect({ host: b.address, port: 6881 });
      await negotiateMse(a.runtime.clock, raw, { role: 'initiator', random: a.runtime.random, skey: SKEY, provide: ['rc4'], handshakeTimeoutMs: 7000 }).catch((e: unknown) => {
        failedAt = sim.now;
        error = e;
      });
    })();
    await sim.run();
    await run;
    assert.equal(failedAt, 40 + 7000);
    assert.ok(error instanceof MseError && error.violation === 'timeout');
  });

  it('an initiator facing a plaintext-only peer that hangs up gets a closed error (the cue to fall back)', async () => {
    const { sim, a, b } = setup(3);
    let error: unknown;
    const run = (async () => {
      await b.runtime.stream.listen({ host: b.address, port: 6881 }, (s: ByteStream) => s.onData(() => s.destroy()));
      const raw = await a.runtime.stream.connect({ host: b.address, port: 6881 });
      await negotiateMse(a.runtime.clock, raw, { role: 'initiator', random: a.runtime.random, skey: SKEY, provide: ['rc4'] }).catch((e: unknown) => (error = e));
    })();
    await sim.run();
    await run;
    assert.ok(error instanceof MseError && error.violation === 'closed', String(error));
  });
});
