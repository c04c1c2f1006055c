/**
 * A peer that sends and never reads (docs/limits.md, "Uploads"). With the fast extension each
 * cancel of a request we took draws a reject (BEP 6); a peer flooding request + cancel pairs
 * over a slow uplink had us queue 17 bytes for every 34 it sent, without end. Past
 * `maxUnsentBytes` it is disconnected.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import type { SwarmEvent } from '../../src/swarm/swarm.js';
import { encodeMessage, generatePeerId, MessageDecoder } from '../../src/wire/index.js';
import { handshakeBytes, makeFixture, seededStorage, simSwarm, type Fixture } from './swarm-fixture.js';

const PORT = 6881;
const BLOCK = 16 * 1024;
let f: Fixture;
before(async () => (f = await makeFixture(1024 * 1024, 64 * 1024)));
after(() => f.cleanup());

describe('a peer that does not read', () => {
  it('is disconnected once its unsent answers pass maxUnsentBytes', async () => {
    const limit = 64 * 1024;
    const sim = new Simulator({ seed: 5, latency: new ConstantLatency(5) });
    const seedHost = sim.createHost({ uploadBps: 80_000 }); // 10 kB/s: the answers pile up
    const client = sim.createHost();
    const events: SwarmEvent[] = [];
    const seeder = simSwarm(seedHost, f, await seededStorage(f), { maxUnsentBytes: limit, onEvent: (e) => events.push(e) });
    const seederId = generatePeerId(seedHost.runtime.random);
    const listening = seedHost.runtime.stream.listen({ host: seedHost.address, port: PORT }, (s) => routeIncoming(seedHost.runtime, seederId, s, () => seeder));
    await sim.run({ until: 1 });
    await listening;
    await seeder.start();

    let maxQueued = 0;
    const probe = (): void => {
      for (const p of seeder.peers.values()) maxQueued = Math.max(maxQueued, p.queuedUploadBytes);
      if (sim.now < 30_000) sim.schedule(10, probe);
    };
    probe();
    // 40,000 request + cancel pairs (1.4 MB): 680 kB of rejects, sent in 64 kB writes.
    const pair = Buffer.concat([{ type: 'request', index: 0, begin: 0, length: BLOCK } as const, { type: 'cancel', index: 0, begin: 0, length: BLOCK } as const].map(encodeMessage));
    const burst = Buffer.concat(Array.from({ length: 2000 }, () => pair));
    let flooded = 0;
    void client.runtime.stream.connect({ host: seedHost.address, port: PORT }).then((s) => {
      const decoder = new MessageDecoder({ maxMessageLength: 1 << 20 });
      let skip = 68;
      let started = false;
      s.onData((bytes) => {
        if (started) return; // from here on it reads nothing
        const cut = Math.min(skip, bytes.length);
        skip -= cut;
        if (cut < bytes.length) decoder.push(bytes.subarray(cut));
        for (let m = decoder.next(); m; m = decoder.next()) {
          if (m.type !== 'unchoke') continue;
          started = true;
          const flood = (): void => {
            if (flooded++ >= 20) return;
            s.write(burst);
            sim.schedule(50, flood);
          };
          flood();
        }
      });
      s.write(handshakeBytes(f.torrent.infoHashV1!, generatePeerId(client.runtime.random), [{ type: 'interested' }]));
    });
    await sim.run({ until: 30_000 });
    assert.ok(flooded > 1, 'the peer was unchoked and flooded');
    const gone = events.find((e) => e.type === 'peer-disconnected');
    assert.ok(gone && gone.type === 'peer-disconnected' && /does not read/.test(gone.reason), `disconnected for not reading: ${JSON.stringify(gone)}`);
    // One burst's answers past the limit at most (68 kB of input, 34 kB of rejects).
    assert.ok(maxQueued <= limit + burst.length / 2 + BLOCK, `at most ${maxQueued} bytes were queued for it`);
    await seeder.stop();
  });
});
