/**
 * BEP 44 item lifetime on a simulated network (200 nodes, virtual time): stored items
 * expire two hours after their last put; items a node keeps are put again every hour and
 * survive; a kept mutable item that someone replaced with a newer seq stops being republished.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Dht } from '../../src/dht/dht.js';
import { mutableTarget } from '../../src/dht/items.js';
import { idToBytes, type NodeId } from '../../src/dht/node-id.js';
import type { DhtEvent } from '../../src/dht/options.js';
import { DhtSimNetwork } from '../../src/dht/sim/network.js';
import { fixedKeyPair, settle, startSimClient } from './dht-helpers.js';

const HOUR = 3600_000;


describe('BEP 44 expiry and republishing', () => {
  let net: DhtSimNetwork;
  const events: DhtEvent[] = [];
  const client = async (): Promise<Dht> => {
    const d = await startSimClient(net, { bootstrap: [net.addresses[0]], onEvent: (e) => events.push(e) });
    assert.ok((await settle(net, d.bootstrap())) > 0);
    return d;
  };
  /** Simulated nodes that hold `target` now. */
  const holders = (target: NodeId): number => net.nodes.filter((n) => n.items.has(target, net.sim.now)).length;

  before(async () => {
    net = await DhtSimNetwork.create({ nodes: 200, seed: 5, medianRttMs: 60 });
    net.bootstrapAll(20);
  });

  it('keeps items we keep and lets the others expire', async () => {
    const a = await client();
    const b = await client();
    const kept = await settle(net, a.putImmutable('kept for hours'));
    const dropped = await settle(net, a.putImmutable('put once', { keep: false }));
    const keyPair = fixedKeyPair(11);
    const mutable = await settle(net, a.putMutable({ keyPair, value: 'mine' }));
    for (const r of [kept, dropped, mutable]) assert.ok(r.storedAt >= 6, `stored at ${r.storedAt}`);
    assert.ok(holders(dropped.target) >= 6);

    net.sim.runForSync(5 * HOUR);

    assert.equal(holders(dropped.target), 0, 'an item nobody put again for 2 hours is gone from every node');
    assert.ok(holders(kept.target) >= 6, `the kept immutable item is still stored (${holders(kept.target)} nodes)`);
    assert.ok(holders(mutable.target) >= 6, 'the kept mutable item is still stored');
    const republished = events.filter((e) => e.type === 'item-republished' && Buffer.from(e.target).equals(Buffer.from(idToBytes(kept.target))));
    assert.ok(republished.length >= 4, `republished ${republished.length} times in 5 hours`);
    assert.equal((await settle(net, b.get(idToBytes(dropped.target)))).item, undefined);
    assert.deepEqual((await settle(net, b.get(idToBytes(kept.target)))).item?.v, kept.item.v);
    const m = await settle(net, b.get(idToBytes(mutable.target)));
    assert.equal(m.item?.seq, 1n);

    assert.ok(a.forget(idToBytes(kept.target)));
    net.sim.runForSync(3 * HOUR);
    assert.equal(holders(kept.target), 0, 'once forgotten, the item expires');
    a.close();
    b.close();
  });

  it('stops republishing a mutable item someone replaced with a newer seq', async () => {
    const a = await client();
    const b = await client();
    const keyPair = fixedKeyPair(12);
    const target = mutableTarget(keyPair.publicKey);
    const first = await settle(net, a.putMutable({ keyPair, value: 'old' }));
    assert.equal(first.seq, 1n);
    const newer = await settle(net, b.putMutable({ keyPair, value: 'new' }));
    assert.equal(newer.seq, 2n);
    assert.ok(a.node.republisher.has(target));
    net.sim.runForSync(1.5 * HOUR);
    assert.ok(!a.node.republisher.has(target), 'a newer seq was found, so a stopped keeping its own');
    assert.ok(events.some((e) => e.type === 'item-republished' && e.superseded && Buffer.from(e.target).equals(Buffer.from(idToBytes(target)))));
    const got = await settle(net, a.get(idToBytes(target)));
    assert.equal(got.item?.seq, 2n, 'the old value was not put back over the new one');
    a.close();
    b.close();
  });
});
