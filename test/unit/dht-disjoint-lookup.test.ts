import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Address } from '../../src/runtime/types.js';
import { SeededRandom } from '../../src/runtime/random.js';
import type { Contact } from '../../src/dht/compact.js';
import type { KrpcResponse } from '../../src/dht/krpc.js';
import type { QuerySpec } from '../../src/dht/krpc-encode.js';
import type { QueryHandler } from '../../src/dht/rpc.js';
import { getPeersLookup, type LookupHost } from '../../src/dht/lookups.js';
import { disjointGetPeers } from '../../src/dht/disjoint-lookup.js';
import { idFromBytes, type NodeId } from '../../src/dht/node-id.js';

/** An id that is all zero but for byte `at` set to `v` (the target is all zero). */
const id = (at: number, v: number): NodeId => {
  const b = new Uint8Array(20);
  b[at] = v;
  return idFromBytes(b);
};
const contact = (i: NodeId, n: number): Contact => ({ id: i, address: { host: `10.0.0.${n}`, port: 6881 } });

const target = idFromBytes(new Uint8Array(20));
const sybils = Array.from({ length: 10 }, (_, j) => contact(id(19, j + 1), 100 + j));
const holder = contact(id(0, 0x10), 50);
const seedA = contact(id(0, 0x80), 1);
const seedB = contact(id(0, 0x81), 2);
const PEER: Address = { host: '10.0.9.9', port: 6881 };

/** seedA names the Sybils and the holder; seedB only the holder and one Sybil; Sybils name Sybils; the holder has the value. */
function answer(c: Contact): { nodes: Contact[]; values?: Address[] } {
  if (c.id === seedA.id) return { nodes: [...sybils.slice(0, 8), holder] };
  if (c.id === seedB.id) return { nodes: [holder, sybils[0]] };
  if (c.id === holder.id) return { nodes: [], values: [PEER] };
  return { nodes: sybils };
}

/** A host whose queries are answered from `answer` when the test drains the queue. */
function fakeHost(): { host: LookupHost; asked: NodeId[]; drain: () => void } {
  const queue: (() => void)[] = [];
  const asked: NodeId[] = [];
  const host: LookupHost = {
    nodeId: id(0, 0xff), k: 8, alpha: 4, dataAlpha: 8, family: 4, random: new SeededRandom(1),
    seeds: () => [seedA, seedB],
    queryNode: (c: Contact, _spec: QuerySpec, h: QueryHandler) => {
      asked.push(c.id);
      queue.push(() => {
        const a = answer(c);
        const msg: KrpcResponse = { kind: 'response', t: new Uint8Array(2), id: c.id, nodes: a.nodes, values: a.values, token: Uint8Array.of(1) };
        h.response(msg, 10);
      });
    },
    acceptContact: (c) => c.id !== id(0, 0xff),
    now: () => 0,
  };
  return { host, asked, drain: () => { while (queue.length > 0) queue.shift()?.(); } };
}

describe('S/Kademlia disjoint lookups', () => {
  it('a plain lookup whose closest are all Sybils never asks the honest holder', () => {
    const f = fakeHost();
    let peers: readonly Address[] | undefined;
    getPeersLookup(f.host, target, { onDone: (r) => (peers = r.peers) });
    f.drain();
    assert.deepEqual(peers, [], 'eclipsed');
    assert.ok(!f.asked.includes(holder.id), 'the holder was pushed out of the k closest by Sybils');
  });

  it('two disjoint paths: the one the Sybils did not reach finds the value; no node is asked twice', () => {
    const f = fakeHost();
    let result: { peers: readonly Address[]; paths: number } | undefined;
    disjointGetPeers(f.host, target, 2, { onDone: (r) => (result = { peers: r.peers, paths: r.paths.length }) });
    f.drain();
    assert.deepEqual(result, { peers: [PEER], paths: 2 });
    assert.equal(new Set(f.asked).size, f.asked.length, `asked: ${f.asked.length}, distinct: ${new Set(f.asked).size}`);
  });

  it('rejects path counts outside 1..16', () => {
    const f = fakeHost();
    assert.throws(() => disjointGetPeers(f.host, target, 0, { onDone: () => undefined }), RangeError);
    assert.throws(() => disjointGetPeers(f.host, target, 17, { onDone: () => undefined }), RangeError);
  });
});
