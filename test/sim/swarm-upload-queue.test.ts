/**
 * The upload queue follows the rate to the peer (swarm/uploads.ts, `UPLOAD_QUEUE_SECONDS`):
 * a seeder on a 128 kbit/s uplink hands its stream about one block ahead, so the requests
 * behind it still sit in the connection, where a cancel reaches them. Before, all 8 requested
 * blocks (128 KiB, 8 s of this uplink) went into the stream at once: a downloader that got
 * them sooner from a faster peer and cancelled here received them all again.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import { encodeMessage, generatePeerId, MessageDecoder } from '../../src/wire/index.js';
import { handshakeBytes, makeFixture, seededStorage, simSwarm, type Fixture } from './swarm-fixture.js';

const PORT = 6881;
const BLOCK = 16 * 1024;
let f: Fixture;
before(async () => (f = await makeFixture(1024 * 1024, 64 * 1024)));
after(() => f.cleanup());

describe('the upload queue on a slow uplink', () => {
  it('holds back requests a cancel can still reach, and serves the rest without a stall', async () => {
    const sim = new Simulator({ seed: 4, latency: new ConstantLatency(20), yieldMode: 'every-event' });
    const seedHost = sim.createHost({ uploadBps: 128e3 }); // 16 KB/s: a block a second
    const client = sim.createHost();
    const seeder = simSwarm(seedHost, f, await seededStorage(f));
    const seederId = generatePeerId(seedHost.runtime.random);
    const listening = seedHost.runtime.stream.listen({ host: seedHost.address, port: PORT }, (s) => routeIncoming(seedHost.runtime, seederId, s, () => seeder));
    await sim.run({ until: 1 });
    await listening;
    await seeder.start();

    const pieces: { index: number; begin: number; at: number }[] = [];
    const ref = (n: number) => ({ index: Math.floor(n / 4), begin: (n % 4) * BLOCK, length: BLOCK });
    void client.runtime.stream.connect({ host: seedHost.address, port: PORT }).then((s) => {
      const decoder = new MessageDecoder({ maxMessageLength: 1 << 20 });
      let skip = 68;
      let asked = false;
      s.onData((bytes) => {
        const cut = Math.min(skip, bytes.length);
        skip -= cut;
        if (cut < bytes.length) decoder.push(bytes.subarray(cut));
        for (let m = decoder.next(); m; m = decoder.next()) {
          if (m.type === 'unchoke' && !asked) {
            asked = true;
            s.write(Buffer.concat(Array.from({ length: 8 }, (_, n) => encodeMessage({ type: 'request', ...ref(n) }))));
            // 3 s later (3 blocks' time) the last four are cancelled: got elsewhere meanwhile.
            sim.schedule(3_000, () => s.write(Buffer.concat([4, 5, 6, 7].map((n) => encodeMessage({ type: 'cancel', ...ref(n) })))));
          }
          if (m.type === 'piece') pieces.push({ index: m.index, begin: m.begin, at: sim.now });
        }
      });
      s.write(handshakeBytes(f.torrent.infoHashV1!, generatePeerId(client.runtime.random), [{ type: 'interested' }]));
    });
    await sim.run({ until: 30_000 });
    const got = pieces.map((p) => p.index * 4 + p.begin / BLOCK);
    assert.deepEqual(got, [0, 1, 2, 3], `the cancelled blocks were never sent (got ${got.join(', ')})`);
    // No stall: the four blocks take about 4 s of the 16 KB/s uplink, not seconds more.
    assert.ok(pieces[3].at - pieces[0].at < 4_500, `blocks 2-4 followed the first at the link's pace (${pieces.map((p) => p.at).join(', ')} ms)`);
    await seeder.stop();
  });
});
