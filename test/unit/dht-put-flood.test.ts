/**
 * BEP 44 put floods (hostile review, 2026-12-06). The item store keeps `items.maxItems` (700)
 * items and, when full, drops the least recently refreshed one, whoever stored it. One address
 * holding a token per target (a `get` per target hands it one) can put 700 made-up immutable
 * items within the rate limit (20 queries/s: about a minute with the gets) and so evict every
 * item other nodes stored here; repeated, it keeps this node from storing anyone else's.
 *
 * The store now caps what one source holds (`maxItemsPerSource`, a tenth of `maxItems`, per
 * IPv4 address or IPv6 /64): at its cap a source's put replaces its own oldest item.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Address, Clock, TimerHandle } from '../../src/runtime/types.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { DhtNode, type DhtSocket } from '../../src/dht/dht-node.js';
import { decodeKrpc, type KrpcMessage } from '../../src/dht/krpc.js';
import { encodeQuery, type QuerySpec } from '../../src/dht/krpc-encode.js';
import { immutableTarget } from '../../src/dht/items.js';
import { randomId, type NodeId } from '../../src/dht/node-id.js';

class ManualClock implements Clock {
  t = 0;
  now(): number {
    return this.t;
  }
  setTimer(): TimerHandle {
    return { cancel: () => undefined };
  }
}

class RecordingSocket implements DhtSocket {
  readonly address: Address = { host: '10.0.0.1', port: 6881 };
  sent: { msg: KrpcMessage; to: Address }[] = [];
  send(data: Uint8Array, to: Address): void {
    this.sent.push({ msg: decodeKrpc(data), to });
  }
}

const text = (s: string) => new TextEncoder().encode(s);

describe('BEP 44 put flood', () => {
  it('one address putting many items cannot evict the items other addresses stored', () => {
    const clock = new ManualClock();
    const socket = new RecordingSocket();
    const node = new DhtNode({ clock, random: new SeededRandom(5) }, socket, { maintenanceIntervalMs: 0, items: { maxItems: 50 } });
    const ids = new SeededRandom(6);
    let tid = 0;
    /** A query from `from`, 100 ms after the previous one (under the per-source rate limit); its answer. */
    const ask = (from: { id: NodeId; address: Address }, spec: QuerySpec): KrpcMessage | undefined => {
      clock.t += 100;
      socket.sent = [];
      node.receive(encodeQuery(tid++ & 0xffff, from.id, spec), from.address);
      return socket.sent.find((s) => s.to.host === from.address.host && s.msg.kind !== 'query')?.msg;
    };
    const put = (from: { id: NodeId; address: Address }, v: Uint8Array): void => {
      const target = immutableTarget(v);
      const got = ask(from, { q: 'get', target });
      assert.ok(got?.kind === 'response' && got.token !== undefined, 'a get hands out a token');
      const r = ask(from, { q: 'put', token: got.token, v });
      assert.equal(r?.kind, 'response', 'the put is accepted');
    };

    // Ten honest nodes store one item each.
    const honest = Array.from({ length: 10 }, (_, i) => ({ id: randomId(ids), address: { host: `10.1.0.${i + 1}`, port: 6881 } }));
    const values = honest.map((_, i) => text(`12:honest-${String(i).padStart(5, '0')}`));
    honest.forEach((h, i) => put(h, values[i]));
    // One address then puts 500 made-up items (ten times the store's size).
    const attacker = { id: randomId(ids), address: { host: '10.66.0.1', port: 6881 } };
    for (let n = 0; n < 500; n++) put(attacker, text(`11:junk-${String(n).padStart(6, '0')}`));

    const kept = values.filter((v) => node.items.get(immutableTarget(v), clock.t) !== undefined).length;
    assert.equal(kept, values.length, `${values.length - kept} of the honest items were evicted by one address's flood`);
    assert.equal(node.items.size, values.length + 5, 'the flooding address holds its cap (a tenth of 50), its newest items');
    assert.ok(node.items.get(immutableTarget(text('11:junk-000499')), clock.t) !== undefined);
  });
});
