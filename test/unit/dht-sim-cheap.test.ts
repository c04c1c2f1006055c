/**
 * Representational cuts for big simulations, each with the behaviour it must keep: queries
 * with only a hard timeout share one timer (each still fails exactly `timeoutMs` after it
 * was sent), `addressOf` hands the address object a query to an IPv4 contact goes to, and a
 * lookup tells ids apart by a hash and then by the id (two ids with one hash are both kept).
 * Virtual clocks only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Address } from '../../src/runtime/types.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { PackedContact } from '../../src/dht/compact.js';
import { DhtNode, type DhtSocket } from '../../src/dht/dht-node.js';
import { decodeKrpc, type KrpcResponse } from '../../src/dht/krpc.js';
import { encodeResponse } from '../../src/dht/krpc-encode.js';
import { randomId } from '../../src/dht/node-id.js';
import { Transactions, type QueryHandler } from '../../src/dht/rpc.js';
import { idKey, Traversal } from '../../src/dht/traversal.js';
import type { NodeId } from '../../src/dht/node-id.js';
import { TimerClock } from '../helpers/timer-clock.js';

/** Counts the timers armed on a `TimerClock`. */
class CountingClock extends TimerClock {
  armed = 0;
  override setTimer(ms: number, fn: () => void) {
    this.armed++;
    return super.setTimer(ms, fn);
  }
}

function recorder(log: string[], name: string, clock: TimerClock): QueryHandler {
  return {
    response: () => log.push(`${name} answered at ${clock.now()}`),
    error: () => log.push(`${name} error at ${clock.now()}`),
    timeout: () => log.push(`${name} timed out at ${clock.now()}`),
  };
}

const reply = (t: number): KrpcResponse => decodeKrpc(encodeResponse(Uint8Array.of(t >>> 8, t & 255), randomId(new SeededRandom(1)), {})) as KrpcResponse;
const peer = (i: number): Address => ({ host: `10.0.0.${i}`, port: 6881 });

describe('queries with only a hard timeout', () => {
  it('share one timer, and each fails exactly timeoutMs after it was sent', () => {
    const clock = new CountingClock();
    const rpc = new Transactions(clock, new SeededRandom(2), { timeoutMs: 1000 });
    const log: string[] = [];
    const keys: number[] = [];
    for (let i = 0; i < 12; i++) keys.push(rpc.open(peer(i), recorder(log, `q${i}`, clock)));
    assert.equal(clock.armed, 1, 'twelve pings at one instant arm one timer (before: twelve)');
    clock.advance(300);
    const late = rpc.open(peer(50), recorder(log, 'late', clock));
    // The first two are answered; the rest time out together at 1000, the late one at 1300.
    for (const i of [0, 1]) {
      const tx = rpc.take(Uint8Array.of(keys[i] >>> 8, keys[i] & 255), peer(i));
      assert.ok(tx !== undefined);
      rpc.settle(tx, reply(keys[i]));
    }
    clock.advance(699);
    assert.equal(log.filter((l) => l.includes('timed out')).length, 0);
    clock.advance(1);
    assert.deepEqual(log.slice(2), Array.from({ length: 10 }, (_, i) => `q${i + 2} timed out at 1000`));
    assert.equal(rpc.size, 1);
    clock.advance(299);
    assert.equal(rpc.size, 1);
    clock.advance(1);
    assert.equal(log.at(-1), 'late timed out at 1300');
    assert.equal(rpc.size, 0);
    assert.ok(late >= 0);
    assert.ok(clock.armed <= 3, `${clock.armed} timers for 13 queries`);
  });

  it('keeps the deadline of a query sent from a timeout handler, and of queries after a close', () => {
    const clock = new CountingClock();
    const rpc = new Transactions(clock, new SeededRandom(3), { timeoutMs: 500 });
    const log: string[] = [];
    rpc.open(peer(1), {
      ...recorder(log, 'first', clock),
      timeout: () => {
        log.push(`first timed out at ${clock.now()}`);
        rpc.open(peer(2), recorder(log, 'resent', clock));
      },
    });
    clock.advance(100);
    rpc.open(peer(3), recorder(log, 'second', clock));
    clock.advance(1000);
    assert.deepEqual(log, ['first timed out at 500', 'second timed out at 600', 'resent timed out at 1000']);
    rpc.open(peer(4), recorder(log, 'closed', clock));
    rpc.failAll();
    assert.equal(log.at(-1), 'closed timed out at 1100');
    rpc.open(peer(5), recorder(log, 'after', clock));
    clock.advance(500);
    assert.equal(log.at(-1), 'after timed out at 1600');
    assert.equal(rpc.size, 0);
  });
});

describe('queries with only a hard timeout, closing', () => {
  it('fails each query once when a timeout handler closes', () => {
    const clock = new TimerClock();
    const rpc = new Transactions(clock, new SeededRandom(4), { timeoutMs: 100 });
    let timeouts = 0;
    const h: QueryHandler = { response() {}, error() {}, timeout: () => {
      timeouts++;
      rpc.failAll();
    } };
    for (let i = 0; i < 3; i++) rpc.open(peer(i), h);
    clock.advance(100);
    assert.equal(timeouts, 3);
    assert.equal(rpc.size, 0);
  });
});

describe('queries with only a hard timeout, a throwing handler', () => {
  it('still times out the queries behind one whose timeout handler threw', () => {
    const clock = new TimerClock();
    const rpc = new Transactions(clock, new SeededRandom(5), { timeoutMs: 100 });
    const log: string[] = [];
    rpc.open(peer(1), { ...recorder(log, 'thrower', clock), timeout: () => { throw new Error('handler bug'); } });
    rpc.open(peer(2), recorder(log, 'second', clock));
    clock.advance(50);
    rpc.open(peer(3), recorder(log, 'third', clock));
    assert.throws(() => clock.advance(50), /handler bug/);
    clock.advance(100);
    assert.deepEqual(log, ['second timed out at 100', 'third timed out at 150']);
    assert.equal(rpc.size, 0);
  });
});

describe('addressOf', () => {
  it('gives the address object a query to an IPv4 contact goes to; undefined keeps the default', () => {
    const clock = new TimerClock();
    const sent: Address[] = [];
    const socket: DhtSocket = { address: { host: '10.0.0.1', port: 6881 }, send: (_d, to) => void sent.push(to) };
    const theirs: Address = { host: '10.0.0.2', port: 6881 };
    const addressOf = (ip: number, port: number): Address | undefined => (ip === 0x0a000002 && port === 6881 ? theirs : undefined);
    const node = new DhtNode({ clock, random: new SeededRandom(4) }, socket, { addressOf, maintenanceIntervalMs: 0 });
    const handler: QueryHandler = { response() {}, error() {}, timeout() {} };
    node.queryNode(new PackedContact(randomId(new SeededRandom(5)), 0x0a000002, null, 6881), { q: 'ping' }, handler);
    node.queryNode(new PackedContact(randomId(new SeededRandom(6)), 0x0a000003, null, 6881), { q: 'ping' }, handler);
    assert.equal(sent[0], theirs, 'the object addressOf gave');
    assert.deepEqual(sent[1], { host: '10.0.0.3', port: 6881 });
    node.close();
  });
});

describe('a lookup\'s seen ids', () => {
  it('keeps two ids with the same hash apart, and drops a repeat of either', () => {
    // Birthday search for two ids with one 30-bit key (about one pair expected in 50,000).
    const r = new SeededRandom(7);
    const byKey = new Map<number, NodeId>();
    let pair: [NodeId, NodeId] | undefined;
    for (let i = 0; i < 400_000 && pair === undefined; i++) {
      const id = randomId(r);
      const other = byKey.get(idKey(id));
      if (other !== undefined && other !== id) pair = [other, id];
      else byKey.set(idKey(id), id);
    }
    assert.ok(pair !== undefined, 'a colliding pair');
    const [a, b] = pair;
    const at = (id: NodeId, i: number) => ({ id, address: { host: `10.0.1.${i}`, port: 1 } });
    const t = new Traversal<null>({ target: a, seeds: [at(a, 1)], query: () => {}, onDone: () => {} });
    t.addContacts([at(b, 2), at(a, 3), at(b, 4)]);
    assert.deepEqual(t.list().map((c) => c.contact.id).sort(), [a, b].sort());
  });
});
