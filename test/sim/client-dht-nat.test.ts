/**
 * The client's DHT node and BEP 43 (src/session/dht-nat.ts), on the simulator: a client whose
 * node nobody queries after it bootstrapped turns read-only once the grace period has passed
 * (the daemon and `shoal get` both get this from `createClient`), and the switch comes back
 * off when the DHT is turned off and on again (a fresh judgement for a fresh node). Also the
 * judging core on its own clock: a NAT type of 'open' keeps the node answering.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Dht } from '../../src/dht/dht.js';
import { Simulator } from '../../src/sim/index.js';
import { createClient } from '../../src/session/client.js';
import { DhtNatWatch, NAT_CHECK_INTERVAL_MS } from '../../src/session/dht-nat.js';
import { VirtualStorageFactory } from '../../src/session/storage-factory.js';
import type { NatType } from '../../src/nat/external-address.js';

async function settle<T>(sim: Simulator, p: Promise<T>): Promise<T> {
  let done = false;
  const watched = p.finally(() => (done = true));
  for (let i = 0; i < 1000 && !done; i++) await sim.run({ until: sim.now + 100 });
  return watched;
}

describe('the client DHT node and BEP 43', () => {
  it('a client node that nobody queries turns read-only after the grace period, and says so', async () => {
    const sim = new Simulator({ seed: 43, yieldMode: 'every-event' });
    const routerHost = sim.createHost();
    // The router keeps no liveness pings (bootstrap routers keep no table): a full node's ping
    // of its quiet neighbours (livenessPings) would be a query that reaches this client.
    const router = await settle(sim, Dht.start(routerHost.runtime, { bind: { host: routerHost.address, port: 6881 }, livenessPings: 0 }));
    const host = sim.createHost();
    const virtual = new VirtualStorageFactory({ seed: () => false });
    const changes: boolean[] = [];
    const client = await settle(sim, createClient(host.runtime, {
      stateDir: '/nonexistent', listen: { host: host.address, port: 6881 },
      storage: { open: (r) => virtual.open(r), close: () => virtual.close() },
      dht: { bootstrap: [`${routerHost.address}:6881`], rounds: 'external' },
      dhtReachability: { graceMs: 120_000, onReadOnly: (ro) => changes.push(ro) },
    }));
    const dht = await settle(sim, client.whenDht());
    assert.ok(dht, 'the node started');
    await settle(sim, client.whenBootstrapped());
    const queriesAtBootstrap = dht.node.stats.queriesReceived;
    assert.equal(dht.node.readOnly, false, 'a full node while the grace period runs');
    await sim.run({ until: sim.now + 120_000 + 2 * NAT_CHECK_INTERVAL_MS });
    assert.equal(dht.node.stats.queriesReceived, queriesAtBootstrap, 'nobody queried it');
    assert.equal(dht.node.readOnly, true, 'read-only once nobody reached it in the grace period');
    assert.deepEqual(changes, [true]);
    // Off and on: a new node, judged afresh (it answers until its own grace period has passed).
    client.setDhtEnabled(false);
    client.setDhtEnabled(true);
    const again = await settle(sim, client.whenDht());
    assert.ok(again && again !== dht);
    await settle(sim, client.whenBootstrapped());
    await sim.run({ until: sim.now + NAT_CHECK_INTERVAL_MS * 2 });
    assert.equal(again.node.readOnly, false);
    await settle(sim, client.close());
    router.close();
  });

  it('an open NAT type keeps the node answering; a vote that turns open brings it back', async () => {
    const sim = new Simulator({ seed: 44, yieldMode: 'every-event' });
    const clock = sim.createHost().runtime.clock;
    const readOnly: boolean[] = [];
    const node = { readOnly: false, stats: { queriesReceived: 0 }, setReadOnly: (on: boolean) => readOnly.push(on), adoptExternalHost: () => undefined };
    // A stand-in with the two calls the watch makes; the real node is exercised above.
    const fakeDht = { node, nodes: [node] } as unknown as Dht;
    let natType: NatType = 'open';
    const watch = new DhtNatWatch(clock, () => ({ natType }), { graceMs: 60_000 });
    watch.attach(fakeDht, Promise.resolve());
    await sim.run({ until: sim.now + 10 * NAT_CHECK_INTERVAL_MS });
    assert.deepEqual(readOnly, [], 'open: never read-only');
    natType = 'cone';
    await sim.run({ until: sim.now + 2 * NAT_CHECK_INTERVAL_MS });
    assert.deepEqual(readOnly, [true], 'behind a NAT with no query since bootstrap: read-only');
    natType = 'open';
    watch.onNatEvent({ type: 'nat-type', natType: 'open', previous: 'cone' });
    assert.deepEqual(readOnly, [true, false], 'a port mapping made it reachable: answering again at once');
    watch.detach();
    await sim.run({ until: sim.now + 10 * NAT_CHECK_INTERVAL_MS });
    assert.deepEqual(readOnly, [true, false], 'detached: no more judgements');
  });
});
