/**
 * What a lookup waits for under churn: the grace for a slow node runs from when *it* went
 * slow, a young node adapts its soft timeout after 8 answers, and housekeeping pings quiet
 * nodes so a departed one leaves our replies. Virtual clocks only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Address } from '../../src/runtime/types.js';
import { SeededRandom } from '../../src/runtime/random.js';
import type { Contact } from '../../src/dht/compact.js';
import { DhtNode } from '../../src/dht/dht-node.js';
import { decodeKrpc, type KrpcResponse } from '../../src/dht/krpc.js';
import { encodeQuery, encodeResponse } from '../../src/dht/krpc-encode.js';
import { findNodeLookup, type FindNodeResult, type LookupHost } from '../../src/dht/lookups.js';
import { maintain } from '../../src/dht/maintenance.js';
import { compareDistance, randomId, type NodeId } from '../../src/dht/node-id.js';
import { Transactions, type QueryHandler } from '../../src/dht/rpc.js';
import { TimerClock } from '../helpers/timer-clock.js';
import { RecordingDhtSocket } from '../helpers/recording-dht-socket.js';

/** A lookup host over a fake network: queries are recorded for the test to answer by hand. */
function lookupWorld(clock: TimerClock, graceMs: number) {
  const r = new SeededRandom(3);
  const target = randomId(r);
  const contacts: Contact[] = Array.from({ length: 3 }, (_, i) => ({ id: randomId(r), address: { host: `10.1.0.${i}`, port: 1 } }));
  contacts.sort((a, b) => compareDistance(a.id, b.id, target));
  const asked = new Map<NodeId, QueryHandler>();
  const host: LookupHost = {
    nodeId: randomId(r), k: 2, alpha: 3, dataAlpha: 3, family: 4, random: r,
    seeds: () => contacts,
    queryNode: (c, _spec, handler) => void asked.set(c.id, handler),
    acceptContact: () => true,
    now: () => clock.now(),
    setTimer: (ms, fn) => clock.setTimer(ms, fn),
    lookupStallGraceMs: () => graceMs,
  };
  const answer = (c: Contact): void => asked.get(c.id)!.response(decodeKrpc(encodeResponse(Uint8Array.of(0, 1), c.id, {})) as KrpcResponse, 50);
  return { target, contacts, host, asked, answer };
}

describe('a lookup under churn', () => {
  it('stops waiting for a slow node a grace after it went slow, not a grace after the lookup stalled', () => {
    const clock = new TimerClock({ maxFires: 1000 });
    const { target, contacts: [dead, b, c], host, asked, answer } = lookupWorld(clock, 300);
    const out: { r?: FindNodeResult } = {};
    findNodeLookup(host, target, (res) => (out.r = res));
    assert.equal(asked.size, 2, 'the k = 2 closest');
    clock.advance(100);
    asked.get(dead.id)!.slow!(); // the closest node is gone: slow at 100 ms, and the third is asked
    assert.equal(asked.size, 3);
    clock.advance(250);
    answer(b); // the others answer late, at 350 ms: only the slow node is left to wait for
    answer(c);
    assert.equal(out.r, undefined, 'the slow node among the k closest is waited for');
    clock.advance(49);
    assert.equal(out.r, undefined);
    clock.advance(1); // 100 + 300 ms (before: 350 + 300)
    const r = out.r as FindNodeResult | undefined;
    assert.ok(r !== undefined);
    assert.equal(r.stats.durationMs, 400);
    assert.deepEqual(r.closest.map((x) => x.id), [b.id, c.id]);
  });

  it('gives up on the slow node its timer was for even when whole-millisecond timers fire early', () => {
    const clock = new TimerClock({ wholeMs: true, maxFires: 1000 });
    const { target, contacts: [dead, b, c], host, asked, answer } = lookupWorld(clock, 300);
    const out: { r?: FindNodeResult } = {};
    findNodeLookup(host, target, (res) => (out.r = res));
    clock.advance(100.5);
    asked.get(dead.id)!.slow!(); // slow at 100.5: its grace ends at 400.5, the timer fires at 400
    clock.advance(249.5);
    answer(b);
    answer(c);
    clock.advance(100);
    assert.ok(out.r !== undefined, 'ended, instead of re-arming a timer of no delay');
    assert.ok(clock.fired < 5, `${clock.fired} timers fired`);
  });

  it('uses a slow node\'s answer that comes within its grace', () => {
    const clock = new TimerClock({ maxFires: 1000 });
    const { target, contacts: [slow, b, c], host, asked, answer } = lookupWorld(clock, 300);
    const out: { r?: FindNodeResult } = {};
    findNodeLookup(host, target, (res) => (out.r = res));
    clock.advance(100);
    asked.get(slow.id)!.slow!();
    answer(b);
    answer(c);
    clock.advance(299);
    answer(slow);
    assert.deepEqual(out.r?.closest.map((x) => x.id), [slow.id, b.id]);
  });
});

describe('the adaptive soft timeout', () => {
  it('adapts after a new node\'s first 8 answers instead of keeping the ceiling until 32', () => {
    const clock = new TimerClock({ maxFires: 1000 });
    const tx = new Transactions(clock, new SeededRandom(1));
    const to: Address = { host: '10.2.0.1', port: 1 };
    const handler: QueryHandler = { response() {}, error() {}, timeout() {}, slow() {} };
    for (let i = 0; i < 8; i++) {
      assert.equal(tx.softTimeoutMs, 500, 'the ceiling until the first estimate');
      const key = tx.open(to, handler);
      clock.advance(160);
      const pending = tx.take(Uint8Array.of(key >> 8, key & 0xff), to);
      assert.ok(pending !== undefined);
      tx.settle(pending, decodeKrpc(encodeResponse(Uint8Array.of(key >> 8, key & 0xff), randomId(new SeededRandom(i)), {})) as KrpcResponse);
    }
    assert.equal(tx.softTimeoutMs, 200, '1.25 x the largest of 8 RTTs of 160 ms');
    tx.close();
  });
});

describe('staleness repair', () => {
  it('pings at most livenessPings quiet nodes a tick, and a departed one leaves its replies', () => {
    const clock = new TimerClock({ maxFires: 1000 });
    const socket = new RecordingDhtSocket();
    const node = new DhtNode({ clock, random: new SeededRandom(42) }, socket, { maintenanceIntervalMs: 0, livenessPings: 2 });
    const r = new SeededRandom(7);
    const peers = Array.from({ length: 4 }, (_, i) => ({ id: randomId(r), address: { host: `10.9.0.${i}`, port: 7000 } }));
    for (const p of peers) node.table.responded(p.id, p.address, 0, 50);
    clock.advance(59_000);
    maintain(node, clock.now());
    assert.equal(socket.sent.length, 0, 'nobody is quiet for a minute yet');
    clock.advance(2_000);
    maintain(node, clock.now());
    const pings = socket.sent.filter((s) => s.msg.kind === 'query' && s.msg.q === 'ping');
    assert.equal(pings.length, 2, 'two of the four quiet nodes');
    // The first answers (so our own network is up), the second has left.
    const [alive, gone] = pings.map((s) => peers.find((p) => p.address.host === s.to.host)!);
    const t = pings[0].msg.kind === 'query' ? pings[0].msg.t : Uint8Array.of();
    node.receive(encodeResponse(t, alive.id, {}), alive.address);
    clock.advance(5_000);
    assert.equal(node.table.get(gone.id)?.failures, 1);
    socket.sent = [];
    const asker = { id: randomId(r), address: { host: '10.9.1.1', port: 7000 } };
    node.receive(encodeQuery(Uint8Array.of(9, 9), asker.id, { q: 'find_node', target: gone.id }), asker.address);
    const reply = socket.sent.find((s) => s.to.host === asker.address.host && s.msg.kind === 'response');
    assert.ok(reply !== undefined && reply.msg.kind === 'response');
    const named = (reply.msg.nodes ?? []).map((c) => c.id);
    assert.ok(named.includes(alive.id));
    assert.ok(!named.includes(gone.id), 'the node that failed its ping is not handed out');
  });
});

describe('staleness repair on a lossy path', () => {
  it('pings a node that failed once again: an answer brings it back into replies, silence removes it', () => {
    const clock = new TimerClock({ maxFires: 1000 });
    const socket = new RecordingDhtSocket();
    const node = new DhtNode({ clock, random: new SeededRandom(42) }, socket, { maintenanceIntervalMs: 0, livenessPings: 8 });
    const r = new SeededRandom(8);
    const [lossy, gone, other] = Array.from({ length: 3 }, (_, i) => ({ id: randomId(r), address: { host: `10.9.2.${i}`, port: 7000 } }));
    for (const p of [lossy, gone, other]) node.table.responded(p.id, p.address, 0, 50);
    const pingTo = (p: { address: Address }) => socket.sent.find((s) => s.to.host === p.address.host && s.msg.kind === 'query');
    const answer = (p: { id: NodeId; address: Address }) => {
      const q = pingTo(p);
      assert.ok(q !== undefined && q.msg.kind === 'query', `pinged ${p.address.host}`);
      node.receive(encodeResponse(q.msg.t, p.id, {}), p.address);
    };
    clock.advance(61_000);
    maintain(node, clock.now());
    answer(other); // something arrives: our own network is up
    clock.advance(5_000); // the pings to `lossy` (its answer lost) and `gone` time out
    assert.equal(node.table.get(lossy.id)?.failures, 1);
    assert.equal(node.table.get(gone.id)?.failures, 1);
    socket.sent = [];
    clock.advance(60_000);
    maintain(node, clock.now());
    answer(lossy);
    answer(other);
    clock.advance(5_000);
    assert.equal(node.table.get(lossy.id)?.failures, 0, 'answered: a good node again');
    assert.equal(node.table.get(gone.id), undefined, 'a second failure: removed');
  });
});
