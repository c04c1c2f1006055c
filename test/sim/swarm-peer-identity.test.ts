/**
 * Peer identity (issue 13): a connection is with a peer id, not an address. We never keep
 * dialling ourselves, and two connections to one peer (each side dialled the other) become
 * one, the same one on both sides.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConstantLatency, Simulator } from '../../src/sim/index.js';
import type { SimHost } from '../../src/sim/host.js';
import { MemoryStorage } from '../../src/storage/memory-storage.js';
import { routeIncoming } from '../../src/swarm/incoming.js';
import { keepOfDuplicates } from '../../src/swarm/peer-identity.js';
import type { Swarm, SwarmEvent } from '../../src/swarm/swarm.js';
import { generatePeerId } from '../../src/wire/index.js';
import { makeFixture, seededStorage, simSwarm, type Fixture } from './swarm-fixture.js';

const PORT = 6881;
let f: Fixture;
before(async () => (f = await makeFixture(256 * 1024, 16 * 1024)));
after(() => f.cleanup());

/** A listening swarm on `host`; counts the connections its listener accepted. */
async function listening(sim: Simulator, host: SimHost, storage: MemoryStorage, listenHost: string, events: (SwarmEvent & { at: number })[] = []) {
  const peerId = generatePeerId(host.runtime.random);
  const swarm: Swarm = simSwarm(host, f, storage, { peerId, listenPort: PORT, listenAddress: { host: listenHost, port: PORT }, onEvent: (e) => events.push({ ...e, at: sim.now }) });
  let accepted = 0;
  const l = host.runtime.stream.listen({ host: host.address, port: PORT }, (s) => {
    accepted++;
    routeIncoming(host.runtime, peerId, s, () => swarm);
  });
  await sim.run({ until: sim.now + 1 });
  await l;
  await swarm.start();
  return { swarm, peerId, events, accepted: () => accepted };
}

describe('keepOfDuplicates', () => {
  const low = new Uint8Array(20).fill(1), high = new Uint8Array(20).fill(2);
  it('keeps the connection dialled by the side with the lower peer id, and both sides agree', () => {
    const ours = { incoming: false, name: 'we dialled' }, theirs = { incoming: true, name: 'they dialled' };
    // We are `low`: keep the one we dialled. The other side (`high`) sees the same TCP connections mirrored.
    assert.equal(keepOfDuplicates(low, high, ours, theirs).name, 'we dialled');
    assert.equal(keepOfDuplicates(low, high, theirs, ours).name, 'we dialled');
    const mirroredOurs = { incoming: true, name: 'we dialled' }, mirroredTheirs = { incoming: false, name: 'they dialled' };
    assert.equal(keepOfDuplicates(high, low, mirroredTheirs, mirroredOurs).name, 'we dialled');
  });

  it('keeps the older one when both were dialled the same way', () => {
    const a = { incoming: false, n: 1 }, b = { incoming: false, n: 2 };
    assert.equal(keepOfDuplicates(low, high, a, b).n, 1);
    assert.equal(keepOfDuplicates(high, low, a, b).n, 1);
  });
});

describe('peer identity on the simulator', () => {
  it('dials its own wildcard-bound address once, learns it is itself, and never again', async () => {
    const sim = new Simulator({ seed: 21, latency: new ConstantLatency(10), yieldMode: 'every-event' });
    const host = sim.createHost();
    const me = await listening(sim, host, await seededStorage(f), '0.0.0.0');
    me.swarm.addPeer({ host: host.address, port: PORT }, 'pex'); // as PEX or a tracker would tell us
    await sim.run({ until: sim.now + 600_000 });
    assert.equal(me.accepted(), 1, 'one dial reached our own listener');
    const reasons = me.events.flatMap((e) => (e.type === 'peer-disconnected' ? [e.reason] : []));
    assert.ok(reasons.includes('connected to ourselves'));
    me.swarm.addPeer({ host: host.address, port: PORT }, 'pex');
    await sim.run({ until: sim.now + 60_000 });
    assert.equal(me.accepted(), 1, 'told again, it is not dialled');
    await me.swarm.stop();
  });

  it('never dials its own concrete listen address', async () => {
    const sim = new Simulator({ seed: 22, latency: new ConstantLatency(10), yieldMode: 'every-event' });
    const host = sim.createHost();
    const me = await listening(sim, host, await seededStorage(f), host.address);
    me.swarm.addPeer({ host: host.address, port: PORT }, 'pex');
    await sim.run({ until: sim.now + 60_000 });
    assert.equal(me.accepted(), 0);
    await me.swarm.stop();
  });

  it('two peers that dial each other at once keep one connection, the same on both sides, and trade', async () => {
    const sim = new Simulator({ seed: 23, latency: new ConstantLatency(10), yieldMode: 'every-event' });
    const ha = sim.createHost(), hb = sim.createHost();
    const a = await listening(sim, ha, await seededStorage(f), ha.address);
    const b = await listening(sim, hb, new MemoryStorage(f.torrent), hb.address);
    a.swarm.addPeer({ host: hb.address, port: PORT });
    b.swarm.addPeer({ host: ha.address, port: PORT });
    // Both handshakes are done 30 ms after the dials, the duplicates closed 10 ms later.
    await sim.run({ until: sim.now + 50 });
    assert.equal(a.swarm.peers.size, 1, 'a keeps one connection');
    assert.equal(b.swarm.peers.size, 1, 'b keeps one connection');
    const pa = [...a.swarm.peers.values()][0], pb = [...b.swarm.peers.values()][0];
    assert.equal(pa.incoming, !pb.incoming, 'the same TCP connection: dialled by one, accepted by the other');
    assert.equal(pa.stream.local.port, pb.stream.remote.port);
    const dups = [...a.events, ...b.events].filter((e) => e.type === 'peer-disconnected' && e.reason === 'duplicate connection to the same peer id');
    assert.equal(dups.length, 2, 'each side closed the other connection once');
    await sim.run({ until: sim.now + 120_000 });
    assert.ok(b.events.some((e) => e.type === 'complete'), 'b downloaded from a');
    await a.swarm.stop();
    await b.swarm.stop();
  });
});
