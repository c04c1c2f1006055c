/**
 * A BitTyrant client (choker policy 'tyrant') among regular Shoal clients on the simulator
 * (fixed seed, virtual time): mid-download it unchokes more peers than the regular 8 slots
 * plus one optimistic, at a smaller share each, because reciprocating peers got cheaper
 * (u_p lowered by γ after r rounds); and it still finishes. Each peer it unchokes is sent
 * no more than its u_p (BitTyrant's per-connection cap).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Simulator } from '../../src/sim/simulator.js';
import { SimClient } from '../../src/sim/scenarios/sim-client.js';
import { simTorrent } from '../../src/sim/scenarios/torrent.js';
import { startTrackerServer } from '../../src/tracker/server.js';
import type { SwarmOptions } from '../../src/swarm/swarm.js';
import { uploadCap } from '../../src/swarm/uploads.js';

const UP = 1e6; // bits/s: the 1 Mbit/s class of Piatek et al.

/** The rate meter's window: a block let out at once by a fresh bucket shows as this much over the cap. */
const BURST_SLACK = (16 * 1024) / 5;

/** Each run once, shared by the tests. */
const runs = new Map<boolean, ReturnType<typeof simulate>>();
function run(tyrant: boolean): ReturnType<typeof simulate> {
  if (!runs.has(tyrant)) runs.set(tyrant, simulate(tyrant));
  return runs.get(tyrant)!;
}

async function simulate(tyrant: boolean): Promise<{ unchokedAt: number[]; completed: boolean; capped: number; overCap: string[] }> {
  const sim = new Simulator({ seed: 3, yieldMode: 'microtasks' });
  const torrent = simTorrent(4 * 1024 * 1024, 64 * 1024);
  const trackerHost = sim.createHost();
  const trackerStarting = startTrackerServer({ runtime: trackerHost.runtime, udp: { host: trackerHost.address, port: 6969 }, intervalSeconds: 300, maxNumwant: 200 });
  const trackerUrl = `udp://${trackerHost.address}:6969`;
  const origin = new SimClient({ host: sim.createHost({ uploadBps: 5e6, downloadBps: 5e6 }), torrent, seed: true, trackerUrl });
  const originStarting = origin.start();
  await sim.runFor(1);
  const tracker = await trackerStarting;
  await originStarting;
  const clients: SimClient[] = [];
  for (let i = 0; i < 16; i++) {
    const probe = i === 0;
    const swarm: Partial<SwarmOptions> = probe && tyrant ? { choker: { policy: 'tyrant', tyrant: { uploadCapacity: UP / 8 } } } : {};
    const c = new SimClient({ host: sim.createHost(probe ? { uploadBps: UP, downloadBps: 3e6 } : { uploadBps: 384e3, downloadBps: 1.5e6 }), torrent, trackerUrl, swarm });
    clients.push(c);
    void c.start();
  }
  const probe = clients[0];
  const unchokedAt: number[] = [];
  let completed = false;
  let capped = 0;
  const overCap: string[] = [];
  for (let t = 0; t < 60 && !completed; t++) {
    await sim.runFor(10_000);
    const unchoked = [...probe.swarm.peers.values()].filter((p) => p.conn.peerInterested && !p.conn.amChoking);
    // Less the demand slots a regular client opens while its upload finds no request waiting
    // (choker.ts; 0 for the tyrant): the 8 fixed slots and the optimistic one are what it is compared with.
    unchokedAt.push(unchoked.length - probe.swarm.choker.openDemandSlots);
    completed = probe.swarm.stats().complete;
    if (completed) break;
    for (const p of unchoked) {
      const cap = uploadCap(p);
      if (cap === undefined) continue;
      capped++;
      // Sampled mid-round: the cap may have been set up to 10 s ago, the meter looks back 5 s.
      const rate = p.upload.rate(sim.now);
      if (rate > cap * 1.2 + BURST_SLACK) overCap.push(`${p.key}: ${rate.toFixed(0)} B/s, cap ${cap.toFixed(0)}`);
    }
  }
  for (const c of [origin, ...clients]) c.stop();
  tracker.core.stop();
  await sim.runFor(5_000);
  return { unchokedAt, completed, capped, overCap };
}

describe("a BitTyrant client ('tyrant' choker) in a swarm of Shoal clients", () => {
  it('unchokes more peers than 8 regular slots and an optimistic one, and finishes', async () => {
    const regular = await run(false);
    const tyrant = await run(true);
    assert.ok(regular.completed && tyrant.completed);
    assert.ok(Math.max(...regular.unchokedAt) <= 9, `regular: ${regular.unchokedAt}`);
    assert.ok(Math.max(...tyrant.unchokedAt) > 9, `tyrant: ${tyrant.unchokedAt}`);
  });

  it('gives each peer it unchokes while downloading at most its u_p (a per-connection cap), a regular client none', async () => {
    const regular = await run(false);
    const tyrant = await run(true);
    assert.equal(regular.capped, 0);
    assert.ok(tyrant.capped >= 20, `capped peers sampled: ${tyrant.capped}`);
    assert.deepEqual(tyrant.overCap, []);
  });
});
