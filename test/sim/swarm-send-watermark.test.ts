/**
 * The send buffer watermark (uploads.ts, libtorrent's `send_buffer_watermark_factor`): a
 * seeder with a slow uplink reads a peer's requested blocks only while about half a second
 * of its rate is queued, so a cancel still reaches the requests behind them. Before, every
 * requested block (up to `maxQueuedUploadBytes`, 1 MiB) went onto the stream at once and a
 * cancelled block was sent anyway: a stolen or end-game block arrived twice.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import { sendWatermark, SEND_BUFFER_MIN } from '../../src/swarm/uploads.js';
import { encodeMessage, generatePeerId, MessageDecoder } from '../../src/wire/index.js';
import { handshakeBytes, makeFixture, seededStorage, simSwarm, type Fixture } from './swarm-fixture.js';

const PORT = 6881;
const BLOCK = 16 * 1024;
let f: Fixture;
before(async () => (f = await makeFixture(1024 * 1024, 64 * 1024)));
after(() => f.cleanup());

describe('send buffer watermark', () => {
  it('is half a second of the rate, at least two blocks, at most maxQueuedUploadBytes', () => {
    assert.equal(sendWatermark(1 << 20, 0), SEND_BUFFER_MIN);
    assert.equal(sendWatermark(1 << 20, 200_000), 100_000);
    assert.equal(sendWatermark(1 << 20, 10e6), 1 << 20);
  });

  it('a cancel reaches blocks a slow seeder has not queued yet, and every other request is served', async () => {
    const sim = new Simulator({ seed: 5, latency: new ConstantLatency(5), yieldMode: 'every-event' });
    const seedHost = sim.createHost({ uploadBps: 256e3 }); // 32 KB/s: two blocks a second
    const client = sim.createHost();
    const seeder = simSwarm(seedHost, f, await seededStorage(f));
    const seederId = generatePeerId(seedHost.runtime.random);
    const listening = seedHost.runtime.stream.listen({ host: seedHost.address, port: PORT }, (s) => routeIncoming(seedHost.runtime, seederId, s, () => seeder));
    await sim.run({ until: 1 });
    await listening;
    await seeder.start();

    const asked = 24, cancelled = 12; // blocks 0..11 wanted, 12..23 cancelled after the first block
    const got = new Set<number>();
    let sentCancels = false;
    const msg = (type: 'request' | 'cancel', b: number) => encodeMessage({ type, index: Math.floor(b / 4), begin: (b % 4) * BLOCK, length: BLOCK });
    void client.runtime.stream.connect({ host: seedHost.address, port: PORT }).then((s) => {
      const decoder = new MessageDecoder({ maxMessageLength: 1 << 20 });
      let skip = 68;
      s.onData((bytes) => {
        const cut = Math.min(skip, bytes.length);
        skip -= cut;
        if (cut < bytes.length) decoder.push(bytes.subarray(cut));
        const out: Uint8Array[] = [];
        for (let m = decoder.next(); m; m = decoder.next()) {
          if (m.type === 'unchoke' && got.size === 0 && !sentCancels) for (let b = 0; b < asked; b++) out.push(msg('request', b));
          if (m.type === 'piece') {
            got.add(m.index * 4 + m.begin / BLOCK);
            if (!sentCancels) {
              sentCancels = true;
              for (let b = asked - cancelled; b < asked; b++) out.push(msg('cancel', b));
            }
          }
        }
        if (out.length > 0) s.write(Buffer.concat(out));
      });
      s.write(handshakeBytes(f.torrent.infoHashV1!, generatePeerId(client.runtime.random), [{ type: 'interested' }]));
    });
    await sim.run({ until: 60_000 });
    for (let b = 0; b < asked - cancelled; b++) assert.ok(got.has(b), `block ${b} (not cancelled) was served`);
    const late = [...got].filter((b) => b >= asked - cancelled).length;
    // At most the watermark's two blocks were on the stream when the cancels came; the old
    // engine had queued all 24 and sent every cancelled one.
    assert.ok(late <= 2, `${late} of ${cancelled} cancelled blocks were sent anyway`);
    await seeder.stop();
  });
});
