/**
 * Uploads follow the socket (issue 12, item 2): a peer that keeps the full `reqq` of
 * requests outstanding against a seeder with a slow uplink gets its blocks read from disk
 * only as the seeder's stream drains, so the bytes queued for it stay under
 * `maxQueuedUploadBytes` (the old engine read all 250 requested blocks, 4 MiB, at once).
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
before(async () => (f = await makeFixture(4 * 1024 * 1024, 64 * 1024)));
after(() => f.cleanup());

describe('upload backpressure on the simulator', () => {
  it('keeps the bytes queued for a greedy peer under maxQueuedUploadBytes and still serves every request', async () => {
    const budget = 256 * 1024;
    const total = 1000; // requests, 16 MiB in all, 250 outstanding at a time
    const sim = new Simulator({ seed: 9, latency: new ConstantLatency(5), yieldMode: 'every-event' });
    const seedHost = sim.createHost({ uploadBps: 8e6 }); // 1 MB/s
    const client = sim.createHost();
    const seeder = simSwarm(seedHost, f, await seededStorage(f), { maxQueuedUploadBytes: budget });
    const seederId = generatePeerId(seedHost.runtime.random);
    const listening = seedHost.runtime.stream.listen({ host: seedHost.address, port: PORT }, (s) => routeIncoming(seedHost.runtime, seederId, s, () => seeder));
    await sim.run({ until: 1 });
    await listening;
    await seeder.start();

    let sent = 0, received = 0, maxQueued = 0, doneAt = -1;
    const blocksPerPiece = f.torrent.pieceLength / BLOCK;
    const blockCount = f.torrent.pieceCount * blocksPerPiece;
    const request = (n: number) => {
      const b = n % blockCount;
      return encodeMessage({ type: 'request', index: Math.floor(b / blocksPerPiece), begin: (b % blocksPerPiece) * BLOCK, length: BLOCK });
    };
    const sample = () => {
      for (const p of seeder.peers.values()) maxQueued = Math.max(maxQueued, p.queuedUploadBytes);
    };
    const probe = () => {
      sample();
      if (doneAt < 0) sim.schedule(10, probe);
    };
    probe();
    void client.runtime.stream.connect({ host: seedHost.address, port: PORT }).then((s) => {
      const decoder = new MessageDecoder({ maxMessageLength: 1 << 20 });
      let skip = 68;
      s.onData((bytes) => {
        const cut = Math.min(skip, bytes.length);
        skip -= cut;
        if (cut < bytes.length) decoder.push(bytes.subarray(cut));
        const out: Uint8Array[] = [];
        for (let m = decoder.next(); m; m = decoder.next()) {
          if (m.type === 'unchoke' && sent === 0) while (sent < 250) out.push(request(sent++));
          if (m.type === 'piece') {
            received++;
            sample();
            if (sent < total) out.push(request(sent++));
            if (received === total) doneAt = sim.now;
          }
        }
        if (out.length > 0) s.write(Buffer.concat(out));
      });
      s.write(handshakeBytes(f.torrent.infoHashV1!, generatePeerId(client.runtime.random), [{ type: 'interested' }]));
    });
    await sim.run({ until: 60_000 });
    assert.equal(received, total, `every request served (${received} of ${total})`);
    assert.ok(maxQueued > budget / 2, `the budget was used (${maxQueued} bytes at most)`);
    // One block past the budget at most, plus message headers (13 bytes a block).
    assert.ok(maxQueued <= budget + BLOCK + 1024, `queued for the peer: at most ${maxQueued} bytes, budget ${budget}`);
    await seeder.stop();
  });
});
