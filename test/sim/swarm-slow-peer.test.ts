/**
 * Slow peers are not banned (issue 13): a seeder uploading at 500 B/s sends each 16 KiB
 * block in about 33 s, past our 30 s request timeout. The timed-out requests go back to the
 * picker for other peers but stay owed by this one (it is not asked for them again); the
 * late blocks still arrive and are taken without a violation, each once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import type { SwarmEvent } from '../../src/swarm/swarm.js';
import { generatePeerId } from '../../src/wire/index.js';
import { makeFixture, seededStorage, simSwarm, type Fixture } from './swarm-fixture.js';

let f: Fixture;
before(async () => (f = await makeFixture(512 * 1024, 16 * 1024)));
after(() => f.cleanup());

describe('a slow peer', () => {
  it('is not dropped when its blocks arrive after the request timeout, and the download completes', async () => {
    const sim = new Simulator({ seed: 12, latency: new ConstantLatency(20), yieldMode: 'every-event' });
    const slow = sim.createHost({ uploadBps: 4000 }); // 500 B/s
    const us = sim.createHost();
    const seeder = simSwarm(slow, f, await seededStorage(f));
    const seederId = generatePeerId(slow.runtime.random);
    const listening = slow.runtime.stream.listen({ host: slow.address, port: 6881 }, (s) => routeIncoming(slow.runtime, seederId, s, () => seeder));
    await sim.run({ until: 1 });
    await listening;
    await seeder.start();
    const events: (SwarmEvent & { at: number })[] = [];
    const leecher = simSwarm(us, f, new MemoryStorage(f.torrent), { onEvent: (e) => events.push({ ...e, at: sim.now }) });
    await leecher.start();
    leecher.addPeer({ host: slow.address, port: 6881 });
    await sim.run({ until: 3_600_000 });
    const complete = events.find((e) => e.type === 'complete');
    assert.ok(complete, 'the download completed');
    assert.ok(complete.at > 60_000, `the blocks were slow (${complete.at} ms)`);
    const drops = events.filter((e) => e.type === 'peer-banned' || (e.type === 'peer-disconnected' && e.reason !== 'both sides are seeds'));
    assert.deepEqual(drops, [], 'never banned or dropped (once complete, both sides are seeds and part)');
    const stats = leecher.stats();
    assert.equal(stats.have, f.torrent.pieceCount);
    assert.equal(stats.downloaded, f.torrent.length, 'each block counted once');
    // Timed-out requests stay owed by the peer and are offered to others, not asked of it again:
    // with no other peer, no block comes twice.
    assert.equal(stats.wasted, 0, 'no copy was asked of the same peer twice');
    await leecher.stop();
    await seeder.stop();
  });
});
