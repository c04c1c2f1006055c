/**
 * BEP 32 dual stack on loopback (127.0.0.x and ::1, real UDP): four Shoal nodes, each with
 * an IPv4 and an IPv6 node sharing one id. Separate routing tables per family; `want`
 * answered from the other family's table; peers announced on both families found on both,
 * each family's get_peers returning only its own family's peers.
 * Skipped when the machine has no ::1.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Dht } from '../../src/dht/dht.js';
import { getPeersLookup, type GetPeersResult } from '../../src/dht/lookups.js';
import type { KrpcResponse } from '../../src/dht/krpc.js';
import { familyOf } from '../../src/dht/compact.js';
import { idFromBytes, idToBytes } from '../../src/dht/node-id.js';

async function hasIPv6Loopback(): Promise<boolean> {
  const s = createSocket('udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '::1', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

const v6 = await hasIPv6Loopback();

describe('BEP 32 dual-stack DHT on loopback', { skip: v6 ? false : 'no ::1 on this machine', timeout: 60_000 }, () => {
  let rt: NodeRuntime;
  const dhts: Dht[] = [];

  before(async () => {
    rt = createNodeRuntime();
    for (let i = 0; i < 4; i++) {
      const first = dhts[0];
      const bootstrap = first === undefined ? [] : [first.address, first.address6!];
      dhts.push(await Dht.start(rt, { bind: { host: `127.0.0.${60 + i}`, port: 0 }, bind6: { host: '::1', port: 0 }, bootstrap }));
    }
    for (const d of dhts.slice(1)) assert.ok((await d.bootstrap()) > 0);
    // The first node learns of the others from their queries; a second round fills every table.
    for (const d of dhts) await d.bootstrap();
  });

  after(() => {
    for (const d of dhts) d.close();
    rt?.close();
  });

  it('keeps one routing table per family, sharing one id', () => {
    for (const d of dhts) {
      const v4 = [...d.node.table.nodes()];
      const v6nodes = [...d.node6!.table.nodes()];
      assert.ok(v4.length >= 3 && v6nodes.length >= 3, `tables: ${v4.length} IPv4, ${v6nodes.length} IPv6`);
      assert.ok(v4.every((n) => familyOf(n.address.host) === 4));
      assert.ok(v6nodes.every((n) => n.address.host === '::1'));
      assert.equal(d.node6!.nodeId, d.node.nodeId);
    }
  });

  it('answers want n4 / n6 with nodes and nodes6 from the two tables', async () => {
    const ask = (want: ('n4' | 'n6')[]) => new Promise<KrpcResponse>((resolve, reject) => {
      dhts[1].node.query(dhts[0].address, { q: 'find_node', target: dhts[2].node.nodeId, want }, { response: resolve, error: reject, timeout: () => reject(new Error('timeout')) });
    });
    const both = await ask(['n4', 'n6']);
    assert.ok((both.nodes ?? []).length >= 2 && (both.nodes ?? []).every((c) => familyOf(c.address.host) === 4));
    assert.ok((both.nodes6 ?? []).length >= 2 && (both.nodes6 ?? []).every((c) => c.address.host === '::1'));
    assert.ok((both.nodes6 ?? []).some((c) => c.address.port === dhts[2].address6!.port), 'the target node is named by its IPv6 address');
    const only6 = await ask(['n6']);
    assert.equal(only6.nodes, undefined);
    assert.ok((only6.nodes6 ?? []).length >= 2);
    const plain = await ask([]);
    assert.ok((plain.nodes ?? []).length >= 2 && plain.nodes6 === undefined, 'no want: the family the query came over');
  });

  it('announces on both families and finds the peer on both', async () => {
    const ih = Uint8Array.from({ length: 20 }, (_, i) => 7 * i + 3);
    const a = await dhts[1].announce(ih, { port: 6001 });
    assert.ok(a.announcedTo >= 4, `announced to ${a.announcedTo}`);
    const r = await dhts[3].getPeers(ih);
    const found = r.peers.map((p) => `${p.host}:${p.port}`);
    assert.ok(found.includes(`${dhts[1].address.host}:6001`), `IPv4 peer among ${found.join(', ')}`);
    assert.ok(found.includes('::1:6001'), `IPv6 peer among ${found.join(', ')}`);
    const six = await new Promise<GetPeersResult>((resolve) => getPeersLookup(dhts[2].node6!, idFromBytes(ih), { onDone: resolve }));
    assert.ok(six.peers.length > 0 && six.peers.every((p) => p.host === '::1'), 'get_peers over IPv6 returns IPv6 peers only');
  });

  it('joins the IPv6 network through an IPv4 bootstrap node (want n6)', async () => {
    const late = await Dht.start(rt, { bind: { host: '127.0.0.70', port: 0 }, bind6: { host: '::1', port: 0 }, bootstrap: [dhts[0].address] });
    dhts.push(late);
    await late.bootstrap();
    const v6nodes = [...late.node6!.table.nodes()];
    assert.ok(v6nodes.length >= 3 && v6nodes.every((n) => n.address.host === '::1'), `IPv6 table: ${v6nodes.length} nodes`);
  });

  it('puts and gets a BEP 44 item on both families', async () => {
    // Each family has at most four other nodes: more than four stores or copies means both families.
    const put = await dhts[0].putImmutable('dual stack', { keep: false });
    assert.ok(put.storedAt > 4, `stored by ${put.storedAt} nodes`);
    const got = await dhts[3].get(idToBytes(put.target));
    assert.ok(got.item !== undefined && got.copies > 4, `copies across both families: ${got.copies}`);
  });
});
