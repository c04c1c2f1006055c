/**
 * The overlay cores on real sockets: 20 nodes of each overlay on 127.0.0.1 through the
 * Node runtime (`runtime/node`), with periods shortened so the test takes seconds. A query
 * finds its item, which shows the simulator runs the very code that runs on a network.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { AddressTable } from '../../src/overlays/common/addresses.js';
import { OverlayCounters } from '../../src/overlays/common/counters.js';
import { idFromDigest, closerTo, cw } from '../../src/overlays/common/ring.js';
import type { OverlayFactory, OverlayNode, QueryResult, QueryTarget } from '../../src/overlays/types.js';
import { floodingOverlay } from '../../src/overlays/flooding/index.js';
import { randomWalkOverlay } from '../../src/overlays/random-walk/index.js';
import { superPeerOverlay } from '../../src/overlays/super-peer/index.js';
import { chordOverlay, type ChordNode } from '../../src/overlays/chord/index.js';
import { pastryOverlay, type PastryNode } from '../../src/overlays/pastry/index.js';

const N = 20;
const HOLDER = 7;
const ASKER = 13;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function target(name: string): QueryTarget {
  const keyword = new TextEncoder().encode(name);
  const digest = new Uint8Array(createHash('sha1').update(keyword).digest());
  return { keyword, digest, key48: idFromDigest(digest) };
}

async function onLoopback<N extends OverlayNode>(factory: OverlayFactory<N>, item: QueryTarget, check: (r: QueryResult, nodes: N[]) => void): Promise<void> {
  const addresses = new AddressTable();
  const counters = new OverlayCounters();
  const runtimes: NodeRuntime[] = [];
  const nodes: N[] = [];
  try {
    for (let i = 0; i < N; i++) {
      const rt = createNodeRuntime({ seed: 100 + i });
      runtimes.push(rt);
      const ep = await rt.udp.bind({ host: '127.0.0.1', port: 0 });
      const node = factory.create(rt, ep, { index: i, counters, addresses, capacity: i % 4 === 0 ? 10 : 1 });
      if (i === HOLDER) node.share(item.keyword);
      nodes.push(node);
    }
    nodes[0].join([]);
    for (let i = 1; i < N; i++) {
      await sleep(40);
      nodes[i].join([nodes[Math.floor(i / 2)].address, nodes[0].address]);
    }
    for (let t = 0; t < 100 && !nodes.every((n) => n.joined); t++) await sleep(100);
    assert.ok(nodes.every((n) => n.joined), 'every node joined');
    await sleep(1500); // a few maintenance rounds
    const result = await new Promise<QueryResult>((resolve) => nodes[ASKER].query(item, resolve));
    check(result, nodes);
    assert.equal(counters.malformed, 0);
    assert.ok(counters.queryMessages > 0 && counters.maintenanceMessages > 0);
  } finally {
    for (const n of nodes) n.stop();
    for (const rt of runtimes) rt.close();
  }
}

const holderAnswers = (r: QueryResult, nodes: OverlayNode[]): void => {
  assert.ok(r.found, 'found');
  assert.deepEqual(r.responder, nodes[HOLDER].address);
};

describe('overlays on real sockets (20 nodes each on 127.0.0.1)', () => {
  it('flooding finds the item', async () => {
    await onLoopback(floodingOverlay({ tickMs: 200 }), target('loopback-flood'), holderAnswers);
  });

  it('random walks find the item', async () => {
    await onLoopback(randomWalkOverlay({ tickMs: 200 }), target('loopback-walk'), holderAnswers);
  });

  it('a super-peer network finds the item', async () => {
    await onLoopback(superPeerOverlay({ tickMs: 200, minUptimeMs: 0 }), target('loopback-sp'), holderAnswers);
  });

  it('Chord reaches the key\'s successor', async () => {
    const item = target('loopback-chord');
    await onLoopback<ChordNode>(chordOverlay({ stabiliseMs: 200 }), item, (r, nodes) => {
      const owner = nodes.reduce((b, n) => (cw(item.key48, n.id) < cw(item.key48, b.id) ? n : b));
      assert.ok(r.found);
      assert.deepEqual(r.responder, owner.address);
    });
  });

  it('Pastry reaches the numerically closest node', async () => {
    const item = target('loopback-pastry');
    await onLoopback<PastryNode>(pastryOverlay({ tickMs: 200 }), item, (r, nodes) => {
      const owner = nodes.reduce((b, n) => (closerTo(item.key48, n.id, b.id) ? n : b));
      assert.ok(r.found);
      assert.deepEqual(r.responder, owner.address);
    });
  });
});
