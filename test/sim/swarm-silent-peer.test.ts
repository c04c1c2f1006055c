/**
 * A peer that announces every piece, unchokes us and never sends a block (a Sybil, or a
 * broken client): while it has sent nothing it may hold two of our requests (probation),
 * and once its requests have timed out it is dropped after `silentPeerTimeoutMs`.
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
before(async () => (f = await makeFixture(256 * 1024, 16 * 1024)));
after(() => f.cleanup());

/** A seed's storage whose reads never finish: it announces everything and sends nothing. */
class NeverReads extends MemoryStorage {
  override readBlock(): Promise<Uint8Array> {
    return new Promise(() => undefined);
  }
}

async function run(silentPeerTimeoutMs: number | undefined): Promise<{ events: (SwarmEvent & { at: number })[]; maxOutstanding: number }> {
  const sim = new Simulator({ seed: 3, latency: new ConstantLatency(20), yieldMode: 'every-event' });
  const liarHost = sim.createHost();
  const us = sim.createHost();
  const seeded = await seededStorage(f);
  const lying = new NeverReads(f.torrent);
  for (let p = 0; p < f.torrent.pieceCount; p++) {
    await lying.writeBlock(p, 0, await seeded.readBlock(p, 0, f.torrent.layout.pieceSize(p)));
    await lying.verifyPiece(p);
  }
  const liar = simSwarm(liarHost, f, lying);
  const liarId = generatePeerId(liarHost.runtime.random);
  const listening = liarHost.runtime.stream.listen({ host: liarHost.address, port: 6881 }, (s) => routeIncoming(liarHost.runtime, liarId, s, () => liar));
  await sim.run({ until: 1 });
  await listening;
  await liar.start();
  const events: (SwarmEvent & { at: number })[] = [];
  const leecher = simSwarm(us, f, new MemoryStorage(f.torrent), { onEvent: (e) => events.push({ ...e, at: sim.now }), ...(silentPeerTimeoutMs === undefined ? {} : { silentPeerTimeoutMs }) });
  await leecher.start();
  leecher.addPeer({ host: liarHost.address, port: 6881 });
  let maxOutstanding = 0;
  for (let t = 0; t < 150; t++) {
    await sim.run({ until: sim.now + 1000 });
    for (const p of leecher.peers.values()) maxOutstanding = Math.max(maxOutstanding, p.conn.outstandingRequests.size);
  }
  await leecher.stop();
  await liar.stop();
  return { events, maxOutstanding };
}

describe('a peer that never delivers', () => {
  it('holds at most two requests and is dropped once past silentPeerTimeoutMs', async () => {
    const { events, maxOutstanding } = await run(undefined);
    assert.ok(maxOutstanding > 0 && maxOutstanding <= 2, `outstanding requests ${maxOutstanding}`);
    const drop = events.find((e) => e.type === 'peer-disconnected' && e.reason === 'never delivered a block it was asked for');
    assert.ok(drop, 'dropped');
    assert.ok(drop.at >= 60_000 && drop.at < 100_000, `dropped at ${drop.at} ms (default 60 s, checked each tick after the request timeout)`);
  });

  it('is kept with silentPeerTimeoutMs: Infinity', async () => {
    const { events } = await run(Infinity);
    assert.ok(!events.some((e) => e.type === 'peer-disconnected' && e.reason === 'never delivered a block it was asked for'));
  });
});
