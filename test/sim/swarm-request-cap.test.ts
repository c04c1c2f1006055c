/**
 * The swarm-wide cap on bytes requested (`SwarmOptions.maxRequestedBytes`, issue 13): each
 * peer's queue follows its own rate, so 200 fast seeders would otherwise get 200 queues
 * (16 blocks each at least) of requests at once. With the cap, the blocks requested from all
 * peers together never exceed it, the budget is shared (many seeders send blocks, not the
 * first few to connect), and the download completes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import type { Swarm } from '../../src/swarm/swarm.js';
import { generatePeerId } from '../../src/wire/index.js';
import { makeFixture, seededStorage, simSwarm, type Fixture } from './swarm-fixture.js';

const SEEDERS = 200;
const PORT = 6881;
const BLOCK = 16 * 1024;
let f: Fixture;
before(async () => (f = await makeFixture(8 * 1024 * 1024, 64 * 1024)));
after(() => f.cleanup());

/** Blocks our connections are waiting for, all peers together (what is on the wire). */
function outstanding(s: Swarm): number {
  let n = 0;
  for (const p of s.peers.values()) n += p.conn.outstandingRequests.size;
  return n;
}

async function download(maxRequestedBytes: number | undefined) {
  const sim = new Simulator({ seed: 7, latency: new ConstantLatency(25) });
  const storage = await seededStorage(f); // read only: shared by every seeder
  const seeders: Swarm[] = [];
  const addresses: string[] = [];
  for (let k = 0; k < SEEDERS; k++) {
    const host = sim.createHost({ uploadBps: 2_000_000 });
    const seeder = simSwarm(host, f, storage);
    const id = generatePeerId(host.runtime.random);
    void host.runtime.stream.listen({ host: host.address, port: PORT }, (s) => routeIncoming(host.runtime, id, s, () => seeder));
    seeders.push(seeder);
    addresses.push(host.address);
  }
  await sim.run({ until: 1 });
  for (const s of seeders) await s.start();
  const us = sim.createHost();
  let completeAt: number | undefined;
  const leecher = simSwarm(us, f, new MemoryStorage(f.torrent), {
    maxPeers: SEEDERS + 10,
    maxHalfOpen: SEEDERS,
    ...(maxRequestedBytes !== undefined ? { maxRequestedBytes } : {}),
    onEvent: (e) => {
      if (e.type === 'complete') completeAt ??= sim.now;
    },
  });
  await leecher.start();
  for (const host of addresses) leecher.addPeer({ host, port: PORT });
  let peak = 0, endGamePeak = 0;
  const senders = new Set<string>();
  for (let t = 0; t < 120_000 && completeAt === undefined; t += 20) {
    await sim.run({ until: sim.now + 20 });
    // End game adds one duplicate per idle peer, and cancelled copies are answered later: apart.
    if (leecher.picker?.inEndGame || leecher.picker?.done) endGamePeak = Math.max(endGamePeak, outstanding(leecher));
    else if (!leecher.picker?.done) peak = Math.max(peak, outstanding(leecher));
    for (const p of leecher.peers.values()) if (p.conn.counters.payloadReceived > 0) senders.add(p.key);
  }
  const connected = leecher.peers.size;
  await leecher.stop();
  for (const s of seeders) await s.stop();
  return { peak, endGamePeak, senders: senders.size, completeAt, connected };
}

describe('swarm-wide cap on bytes requested', () => {
  it('keeps 200 fast seeders to the cap in all, shares it among them, and completes', async () => {
    const cap = 2 * 1024 * 1024; // 128 blocks; 200 seeders x 16 blocks would be 3200
    const r = await download(cap);
    assert.ok(r.completeAt !== undefined, 'the download completed');
    assert.ok(r.connected >= 150, `most seeders connected (${r.connected})`);
    assert.ok(r.peak <= cap / BLOCK, `at most ${cap / BLOCK} blocks outstanding at once, saw ${r.peak}`);
    assert.ok(r.peak >= cap / BLOCK / 2, `the cap was reached, not undercut (${r.peak} blocks)`);
    assert.ok(r.endGamePeak <= cap / BLOCK + r.connected, `end game: the cap plus one duplicate per peer at most (${r.endGamePeak})`);
    assert.ok(r.senders >= 100, `the budget was shared: ${r.senders} of ${SEEDERS} seeders sent blocks`);
  });
});
