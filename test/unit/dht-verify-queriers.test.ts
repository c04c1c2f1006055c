/**
 * Nodes that query us are verified with a ping (src/dht/verify-queriers.ts): at most
 * MAX_VERIFY_PINGS at once (a defence limit: queriers cannot make us send more), one per
 * address (compared by value: real datagrams bring a new address object each), and an
 * answer or a timeout frees its place. Virtual clock only.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Address } from '../../src/runtime/types.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { DhtNode } from '../../src/dht/dht-node.js';
import { encodeQuery, encodeResponse } from '../../src/dht/krpc-encode.js';
import { randomId, type NodeId } from '../../src/dht/node-id.js';
import { MAX_VERIFY_PINGS } from '../../src/dht/verify-queriers.js';
import { TimerClock } from '../helpers/timer-clock.js';
import { RecordingDhtSocket } from '../helpers/recording-dht-socket.js';

describe('verifying queriers', () => {
  it('pings at most MAX_VERIFY_PINGS new queriers at once, one per address, and frees a place on an answer or a timeout', () => {
    const clock = new TimerClock({ maxFires: 1000 });
    const socket = new RecordingDhtSocket();
    const node = new DhtNode({ clock, random: new SeededRandom(42) }, socket, { maintenanceIntervalMs: 0, rateLimit: false });
    const r = new SeededRandom(9);
    const ids: NodeId[] = Array.from({ length: 24 }, () => randomId(r));
    const at = (i: number): Address => ({ host: `10.7.0.${i}`, port: 7000 }); // a new object each time, as from a real socket
    const query = (i: number): void => node.receive(encodeQuery(i, ids[i], { q: 'find_node', target: randomId(r) }), at(i));
    const pings = () => socket.sent.filter((s) => s.msg.kind === 'query' && s.msg.q === 'ping');
    for (let i = 0; i < 20; i++) query(i);
    assert.equal(pings().length, MAX_VERIFY_PINGS);
    assert.equal(node.verifying?.length, MAX_VERIFY_PINGS);
    query(3); // the same address again, while its ping is out
    query(20); // a new one, with no place free
    assert.equal(pings().length, MAX_VERIFY_PINGS);
    // Querier 0 answers its ping: one place frees, and the next new querier is pinged.
    const first = pings()[0];
    assert.equal(first.to.host, '10.7.0.0');
    node.receive(encodeResponse(first.msg.t, ids[0], {}), at(0));
    assert.equal(node.verifying?.length, MAX_VERIFY_PINGS - 1);
    query(21);
    assert.equal(pings().length, MAX_VERIFY_PINGS + 1);
    assert.equal(pings().at(-1)?.to.host, '10.7.0.21');
    // The rest never answer: their timeouts empty the list.
    clock.advance(10_000);
    assert.equal(node.verifying, null);
    query(22);
    assert.equal(pings().at(-1)?.to.host, '10.7.0.22');
  });
});
