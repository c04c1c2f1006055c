/**
 * The application-facing `Dht` on a small simulated network (200 nodes, fixed seed):
 * BEP 44 items, BEP 51 samples, read-only clients, restarts from saved state, and the
 * `shoal sim dht` scenario being deterministic.
 */
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Dht } from '../../src/dht/dht.js';

import { immutableTarget, mutableTarget } from '../../src/dht/items.js';
import { idToBytes } from '../../src/dht/node-id.js';
import { DhtSimNetwork } from '../../src/dht/sim/network.js';
import { fixedKeyPair, settle, startSimClient } from './dht-helpers.js';
import { runDhtSimulation } from '../../src/dht/sim/run.js';
import { encode } from '../../src/bencode/index.js';


describe('Dht on a simulated network', () => {
  let net: DhtSimNetwork;
  const client = async (options: Parameters<typeof Dht.start>[1] = {}): Promise<Dht> => {
    return startSimClient(net, { bootstrap: [net.addresses[0], net.addresses[1]], ...options });
  };

  before(async () => {
    net = await DhtSimNetwork.create({ nodes: 200, seed: 11, medianRttMs: 60 });
    net.bootstrapAll(20);
  });

  it('puts and gets immutable and mutable items between two clients', async () => {
    const a = await client();
    const b = await client();
    assert.ok((await settle(net, a.bootstrap())) > 0);
    assert.ok((await settle(net, b.bootstrap())) > 0);

    const imm = await settle(net, a.putImmutable('Hello World!'));
    assert.ok(imm.storedAt >= 6, `stored at ${imm.storedAt}`);
    assert.deepEqual(idToBytes(imm.target), idToBytes(immutableTarget(encode('Hello World!'))));
    const gotImm = await settle(net, b.get(idToBytes(imm.target)));
    assert.deepEqual(gotImm.item?.v, encode('Hello World!'));

    const keyPair = fixedKeyPair(1);
    const salt = new TextEncoder().encode('profile');
    const p1 = await settle(net, a.putMutable({ keyPair, value: 'v1', salt }));
    assert.equal(p1.seq, 1n);
    const p2 = await settle(net, a.putMutable({ keyPair, value: 'v2', salt }));
    assert.equal(p2.seq, 2n, 'the next seq follows the one found');
    const target = idToBytes(mutableTarget(keyPair.publicKey, salt));
    const got = await settle(net, b.get(target, { salt }));
    assert.deepEqual(got.item?.v, encode('v2'));
    assert.equal(got.item?.seq, 2n);
    const wrongSalt = await settle(net, b.get(target, { salt: new TextEncoder().encode('other') }));
    assert.equal(wrongSalt.item, undefined, 'a value whose signature does not check out is not returned');

    const stale = await settle(net, b.putMutable({ keyPair, value: 'v0', salt, seq: 3n, cas: 1n }));
    assert.equal(stale.storedAt, 0);
    assert.ok(stale.errors.some((e) => e.code === 301), 'cas mismatches are refused with 301');
    a.close();
    b.close();
  });

  it('announces, finds peers and samples info hashes (BEP 51)', async () => {
    const a = await client();
    const b = await client();
    await settle(net, a.bootstrap());
    await settle(net, b.bootstrap());
    const ih = new Uint8Array(20).fill(0x42);
    const ann = await settle(net, a.announce(ih, { port: 51413 }));
    assert.ok(ann.announcedTo >= 6);
    const seen: string[] = [];
    const r = await settle(net, b.getPeers(ih, { onPeers: (ps) => ps.forEach((p) => seen.push(`${p.host}:${p.port}`)) }));
    assert.ok(r.peers.some((p) => p.host === a.address.host && p.port === 51413));
    assert.ok(seen.includes(`${a.address.host}:51413`));
    const storing = r.closest[0];
    const sample = await settle(net, b.sampleInfohashes(storing.address));
    assert.ok(sample.samples.some((s) => Buffer.from(s).equals(Buffer.from(ih))));
    assert.ok(sample.num >= 1);
    a.close();
    b.close();
  });

  it('lets a read-only client look things up without entering routing tables (BEP 43)', async () => {
    const ro = await client({ readOnly: true });
    assert.ok((await settle(net, ro.bootstrap())) > 0);
    await settle(net, ro.findNode(new Uint8Array(20).fill(7)));
    const id = ro.node.nodeId;
    assert.equal(net.nodes.filter((n) => n.table.get(id) !== undefined).length, 0);
    ro.close();
  });

  it('restarts from saved state with the same id and no bootstrap node', async () => {
    const a = await client();
    await settle(net, a.bootstrap());
    const state = a.saveState();
    const id = Buffer.from(a.id).toString('hex');
    a.close();
    const again = await client({ state, bootstrap: [] });
    assert.equal(Buffer.from(again.id).toString('hex'), id);
    assert.ok((await settle(net, again.bootstrap())) >= 8);
    again.close();
  });

  it('runs the `shoal sim dht` scenario deterministically', async () => {
    const run = () => runDhtSimulation({ nodes: 400, lookups: 40, seed: 3 });
    const [x, y] = [await run(), await run()];
    assert.ok(x.success >= 0.95, `success ${x.success}`);
    assert.deepEqual({ ...x, wallMs: 0, peakRssMb: 0, phasesMs: {} }, { ...y, wallMs: 0, peakRssMb: 0, phasesMs: {} });
    assert.ok(x.departures > 0, 'churn happened');
  });
});
