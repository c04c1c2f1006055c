/**
 * The send buffer watermark (send-watermark.ts, libtorrent's `send_buffer_watermark_factor`):
 * a seeder reads a peer's requested blocks only while about half a second of the rate they
 * leave at is queued (at least one block), so a cancel still reaches the requests behind
 * them. Before, every requested block (up to `maxQueuedUploadBytes`, 1 MiB) went onto the
 * stream at once and a cancelled block was sent anyway: a stolen or end-game block arrived
 * twice. A held-back peer is served again as its blocks leave the link (the stream's
 * `whenSent`), so a fast peer still gets line rate.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ByteStream } from '../../src/runtime/types.js';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import type { SimHost } from '../../src/sim/index.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import type { SwarmOptions } from '../../src/swarm/swarm.js';
import { sendWatermark, SEND_BUFFER_MIN } from '../../src/swarm/send-watermark.js';
import { encodeMessage, generatePeerId, MessageDecoder } from '../../src/wire/index.js';
import { handshakeBytes, makeFixture, seededStorage, simSwarm, type Fixture } from './swarm-fixture.js';

const PORT = 6881;
const BLOCK = 16 * 1024;
/** A piece message: 13 bytes of header, then the block. */
const PIECE_MESSAGE = BLOCK + 13;
let f: Fixture;
before(async () => (f = await makeFixture(1024 * 1024, 64 * 1024))); // 16 pieces, 64 blocks
after(() => f.cleanup());

interface Served {
  /** Blocks received (index * 4 + begin / BLOCK), in order. */
  readonly got: number[];
  /** When each arrived, virtual ms. */
  readonly at: number[];
  /** When the requests went out. */
  requestedAt: number;
  /** The most the seeder had queued towards the client (reads, outbox and stream), sampled at each arrival. */
  peakQueued: number;
}

/**
 * A seeder on a host with `uploadBps` and a scripted client that asks for `asked` blocks at
 * once when unchoked; `cancelFrom`: after the first block arrives, it cancels blocks from
 * there on. Runs to `untilMs` of virtual time.
 */
async function serve(o: { uploadBps: number; asked: number; cancelFrom?: number; untilMs: number; swarm?: Partial<SwarmOptions> }): Promise<Served & { sim: Simulator; seedHost: SimHost }> {
  const sim = new Simulator({ seed: 5, latency: new ConstantLatency(5), yieldMode: 'every-event' });
  const seedHost = sim.createHost({ uploadBps: o.uploadBps });
  const client = sim.createHost();
  const seeder = simSwarm(seedHost, f, await seededStorage(f), o.swarm);
  const seederId = generatePeerId(seedHost.runtime.random);
  const listening = seedHost.runtime.stream.listen({ host: seedHost.address, port: PORT }, (s) => routeIncoming(seedHost.runtime, seederId, s, () => seeder));
  await sim.run({ until: 1 });
  await listening;
  await seeder.start();

  const served: Served = { got: [], at: [], requestedAt: -1, peakQueued: 0 };
  let cancelled = false;
  const msg = (type: 'request' | 'cancel', b: number) => encodeMessage({ type, index: Math.floor(b / 4), begin: (b % 4) * BLOCK, length: BLOCK });
  void client.runtime.stream.connect({ host: seedHost.address, port: PORT }).then((s: ByteStream) => {
    const decoder = new MessageDecoder({ maxMessageLength: 1 << 20 });
    let skip = 68; // the seeder's handshake
    s.onData((bytes) => {
      const cut = Math.min(skip, bytes.length);
      skip -= cut;
      if (cut < bytes.length) decoder.push(bytes.subarray(cut));
      for (const p of seeder.peers.values()) served.peakQueued = Math.max(served.peakQueued, p.queuedUploadBytes);
      const out: Uint8Array[] = [];
      for (let m = decoder.next(); m; m = decoder.next()) {
        if (m.type === 'unchoke' && served.requestedAt < 0) {
          served.requestedAt = sim.now;
          for (let b = 0; b < o.asked; b++) out.push(msg('request', b));
        }
        if (m.type === 'piece') {
          served.got.push(m.index * 4 + m.begin / BLOCK);
          served.at.push(sim.now);
          if (o.cancelFrom !== undefined && !cancelled) {
            cancelled = true;
            for (let b = o.cancelFrom; b < o.asked; b++) out.push(msg('cancel', b));
          }
        }
      }
      if (out.length > 0) s.write(Buffer.concat(out));
    });
    s.write(handshakeBytes(f.torrent.infoHashV1!, generatePeerId(client.runtime.random), [{ type: 'interested' }]));
  });
  await sim.run({ until: o.untilMs });
  await seeder.stop();
  return { ...served, sim, seedHost };
}

describe('send buffer watermark', () => {
  it('is half a second of the rate, at least one block, at most maxQueuedUploadBytes', () => {
    assert.equal(SEND_BUFFER_MIN, BLOCK);
    assert.equal(sendWatermark(1 << 20, 0), SEND_BUFFER_MIN);
    assert.equal(sendWatermark(1 << 20, 200_000), 100_000);
    assert.equal(sendWatermark(1 << 20, 10e6), 1 << 20);
  });

  it('a cancel reaches blocks a slow seeder has not queued yet, and every other request is served', async () => {
    // 256 kbit/s: two blocks a second. Blocks 0..11 wanted, 12..23 cancelled after the first block.
    const r = await serve({ uploadBps: 256e3, asked: 24, cancelFrom: 12, untilMs: 60_000 });
    for (let b = 0; b < 12; b++) assert.ok(r.got.includes(b), `block ${b} (not cancelled) was served`);
    const late = r.got.filter((b) => b >= 12).length;
    // The old engine had queued all 24 and sent every cancelled one.
    assert.equal(late, 0, `${late} of 12 cancelled blocks were sent anyway`);
    assert.ok(r.peakQueued < 2 * BLOCK, `${r.peakQueued} bytes queued to a peer taking 32 KB/s: one block and a few small messages at most`);
  });

  it('serves a fast peer at line rate, its queue growing with the rate it is served at', async () => {
    // 20 Mbit/s: 64 blocks in about 0.42 s. Each block waits for the one before it to leave.
    const r = await serve({ uploadBps: 20e6, asked: 64, untilMs: 10_000 });
    assert.equal(r.got.length, 64);
    const lineMs = (64 * (PIECE_MESSAGE + 40) * 8 * 1000) / 20e6; // 40: the simulator's TCP/IP overhead per segment
    const tookMs = r.at[63] - r.requestedAt;
    assert.ok(tookMs <= lineMs * 1.05 + 10, `64 blocks took ${tookMs.toFixed(1)} ms of virtual time; the link needs ${lineMs.toFixed(1)} ms plus a round trip`);
    // Half a second of ~2.5 MB/s is more than the least watermark: the queue grew past one block.
    assert.ok(r.peakQueued > 4 * PIECE_MESSAGE, `at most ${r.peakQueued} bytes were queued`);
  });

  it('never queues more than maxQueuedUploadBytes, however fast the peer', async () => {
    const cap = 4 * BLOCK;
    const r = await serve({ uploadBps: 100e6, asked: 64, untilMs: 10_000, swarm: { maxQueuedUploadBytes: cap } });
    assert.equal(r.got.length, 64);
    // A block is read while less than the budget is queued and it fits: at most the budget plus headers.
    assert.ok(r.peakQueued <= cap + 4 * 13, `${r.peakQueued} bytes queued against a budget of ${cap}`);
  });
});

describe('simulated stream: whenSent', () => {
  async function pair(sim: Simulator, a: SimHost, b: SimHost): Promise<ByteStream> {
    await b.runtime.stream.listen({ host: b.address, port: 80 }, (s) => s.onData(() => undefined));
    return a.runtime.stream.connect({ host: b.address, port: 80 });
  }

  it('calls the waiter once, when the segment on the link has left, and only while bytes are queued', async () => {
    const sim = new Simulator({ seed: 1, latency: new ConstantLatency(5), yieldMode: 'every-event' });
    const a = sim.createHost({ uploadBps: 8e6 }); // 1 MB/s: 16 KiB in about 16.4 ms
    const b = sim.createHost();
    const connecting = pair(sim, a, b);
    await sim.run({ until: 100 });
    const s = await connecting;
    assert.equal(s.whenSent!(() => assert.fail('nothing was queued')), false);

    const calls: number[] = [];
    const start = sim.now;
    s.write(new Uint8Array(BLOCK)); // alone on the link: its departure needs no event of its own
    assert.equal(s.whenSent!(() => calls.push(sim.now - start)), true);
    await sim.run({ until: 200 });
    assert.equal(calls.length, 1, 'called once');
    const departMs = ((BLOCK + 40) * 8 * 1000) / 8e6;
    assert.ok(Math.abs(calls[0] - departMs) < 0.01, `called ${calls[0]} ms after the write; the segment left after ${departMs} ms`);
    assert.equal(s.bufferedBytes, 0);

    s.write(new Uint8Array(BLOCK));
    assert.equal(s.whenSent!(() => calls.push(-1)), true);
    s.destroy();
    await sim.run({ until: 300 });
    assert.equal(calls.length, 1, 'a closed stream calls no waiter');
  });
});
