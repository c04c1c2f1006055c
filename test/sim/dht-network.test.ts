/**
 * The DHT at scale on the simulator: 5,000 nodes running the real node code over virtual
 * UDP (lognormal RTTs, median 100 ms), fixed seed. Outcomes are checked against ground
 * truth computed from every node's id; nothing here asserts on wall-clock time.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DhtSimNetwork } from '../../src/dht/sim/network.js';
import { announceAll, checkClosest, lookupPeers } from '../../src/dht/sim/scenario.js';

const NODES = 5000;

describe('a 5,000-node simulated DHT', () => {
  let net: DhtSimNetwork;

  before(async () => {
    net = await DhtSimNetwork.create({ nodes: NODES, seed: 5 });
    net.bootstrapAll(20);
    net.refreshAll(20_000);
  });

  it('bootstraps every node into the routing tables of others', () => {
    assert.equal(net.ready.reduce((a, b) => a + b, 0), NODES);
    const sizes = net.nodes.map((n) => n.table.size).sort((a, b) => a - b);
    assert.ok(sizes[0] >= 8, `smallest routing table has ${sizes[0]} nodes`);
    // Every node is known by the nodes closest to it.
    const truth = net.groundTruth();
    let known = 0;
    const byId = new Map(net.nodes.map((n) => [n.nodeId, n]));
    for (const n of net.nodes.slice(0, 500)) {
      const neighbours = truth.closest(n.nodeId, 9).filter((id) => id !== n.nodeId).slice(0, 4);
      if (neighbours.some((id) => byId.get(id)?.table.get(n.nodeId))) known++;
    }
    assert.ok(known >= 495, `${known}/500 nodes known by a neighbour`);
  });

  it('finds the true k closest nodes for at least 99% of random targets', () => {
    const r = checkClosest(net, 1000, { spacingMs: 20 });
    assert.ok(r.exact / r.lookups >= 0.99, `${r.exact}/${r.lookups} lookups returned the true 8 closest`);
  });

  it('finds an announced peer with get_peers', () => {
    const announced = announceAll(net, 100, (i) => net.online(i));
    for (const a of announced) assert.ok(a.announcedTo >= 6, `announce reached ${a.announcedTo} nodes`);
    const found = lookupPeers(net, announced, (i) => net.online(i), 50);
    const ok = found.filter((f) => f.found).length;
    assert.equal(ok, announced.length, `${ok}/${announced.length} lookups found the announcer`);
  });

  it('still finds the true k closest live nodes for at least 95% of targets after 30% leave at once', () => {
    const gone = new Set<number>();
    while (gone.size < NODES * 0.3) gone.add(net.sim.random.int(NODES));
    for (const i of gone) net.hosts[i].goOffline();
    const r = checkClosest(net, 500, { spacingMs: 50 });
    assert.ok(r.exact / r.lookups >= 0.95, `${r.exact}/${r.lookups} lookups returned the true 8 closest live nodes`);
  });
});
