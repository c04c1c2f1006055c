import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ByteStream } from '../../src/runtime/types.js';
import { ConstantLatency, Simulator, type SimHost } from '../../src/sim/index.js';
import { IncomingStream, MseError, negotiateMse, req2Hash, type EncryptionPolicy, type MseResult } from '../../src/transport/mse/index.js';

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

describe('IncomingStream: an accepted connection told apart by its first bytes', () => {
  const OTHER = new Uint8Array(20).fill(4);
  const btHandshake = (infoHash: Uint8Array) => Uint8Array.from([19, ...Buffer.from('BitTorrent protocol'), 0, 0, 0, 0, 0, 0, 0, 0, ...infoHash, ...new Uint8Array(20).fill(9)]);
  const findBoth = (r: Uint8Array) => [SKEY, OTHER].find((h) => Buffer.compare(r, req2Hash(h)) === 0);

  /** b accepts through an IncomingStream with `policy`; a sends `send(raw stream)`; returns what b's reader saw. */
  async function accept(seed: number, policy: EncryptionPolicy, send: (raw: ByteStream, a: SimHost) => Promise<void>) {
    const { sim, a, b } = setup(seed);
    const seen = { bytes: [] as number[], closed: false, error: undefined as Error | undefined, stream: undefined as IncomingStream | undefined };
    const run = (async () => {
      await b.runtime.stream.listen({ host: b.address, port: 6881 }, (raw) => {
        const s = new IncomingStream(raw, { clock: b.runtime.clock, random: b.runtime.random, encryption: { policy }, findSkey: findBoth });
        seen.stream = s;
        s.onData((d) => { for (const x of d) seen.bytes.push(x); });
        s.onClose((e) => {
          seen.closed = true;
          seen.error = e;
        });
      });
      await send(await a.runtime.stream.connect({ host: b.address, port: 6881 }), a);
    })();
    await sim.run({ until: 60_000 });
    await run;
    return seen;
  }

  it('passes a plaintext BT handshake through untouched under prefer', async () => {
    const hs = btHandshake(SKEY);
    const seen = await accept(4, 'prefer', async (raw) => void raw.write(hs));
    assert.deepEqual(seen.bytes, [...hs]);
    assert.equal(seen.stream?.encrypted, false);
    assert.equal(seen.closed, false);
  });

  it('refuses a plaintext BT handshake under require', async () => {
    const seen = await accept(5, 'require', async (raw) => void raw.write(btHandshake(SKEY)));
    assert.deepEqual(seen.bytes, []);
    assert.ok(seen.error instanceof MseError && seen.error.violation === 'refused');
  });

  it('decrypts an MSE connection and hands on the BT handshake from its initial payload', async () => {
    const hs = btHandshake(SKEY);
    const seen = await accept(6, 'prefer', async (raw, a) => {
      await negotiateMse(a.runtime.clock, raw, { role: 'initiator', random: a.runtime.random, skey: SKEY, provide: ['rc4'], initialPayload: hs });
    });
    assert.deepEqual(seen.bytes, [...hs]);
    assert.equal(seen.stream?.method, 'rc4');
  });

  it('closes an MSE connection whose BT handshake names another torrent than its SKEY (skey_mismatch)', async () => {
    const seen = await accept(7, 'prefer', async (raw, a) => {
      await negotiateMse(a.runtime.clock, raw, { role: 'initiator', random: a.runtime.random, skey: SKEY, provide: ['rc4'], initialPayload: btHandshake(OTHER) });
    });
    assert.ok(seen.error instanceof MseError && seen.error.violation === 'skey_mismatch', String(seen.error));
    assert.ok(seen.bytes.length < 28, 'nothing past the info hash was handed on');
  });
});
