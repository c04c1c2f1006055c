/**
 * The DHT hooks the NAT code uses: read-only switched on and off at run time (BEP 43, decided
 * by src/nat/dht-reachability.ts), each reply's BEP 42 `ip` handed out with its port, and an
 * external address decided by the session's vote adopted for a BEP 42 compliant id.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Address } from '../../src/runtime/types.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { DhtNode } from '../../src/dht/dht-node.js';
import type { DhtNodeOptions } from '../../src/dht/options.js';
import { encodeQuery, encodeResponse } from '../../src/dht/krpc-encode.js';
import { idToBytes, randomId } from '../../src/dht/node-id.js';
import { isCompliantNodeId } from '../../src/dht/bep42.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { RecordingDhtSocket } from '../helpers/recording-dht-socket.js';

function setup(options: DhtNodeOptions = {}) {
  const socket = new RecordingDhtSocket();
  const node = new DhtNode({ clock: new FakeClock(), random: new SeededRandom(5) }, socket, { maintenanceIntervalMs: 0, ...options });
  const other = { id: randomId(new SeededRandom(6)), address: { host: '10.9.0.1', port: 7001 } };
  return { node, socket, other };
}

describe('DHT hooks for NAT traversal', () => {
  it('setReadOnly(true) stops answers and flags queries ro; setReadOnly(false) undoes both', () => {
    const { node, socket, other } = setup();
    node.setReadOnly(true);
    node.receive(encodeQuery(Uint8Array.of(1), other.id, { q: 'ping' }), other.address);
    assert.deepEqual(socket.sent.filter((s) => s.msg.kind === 'response'), []);
    node.query(other.address, { q: 'ping' });
    assert.ok(socket.sent.some((s) => s.msg.kind === 'query' && s.msg.ro));
    socket.sent = [];
    node.setReadOnly(false);
    node.receive(encodeQuery(Uint8Array.of(2), other.id, { q: 'ping' }), other.address);
    assert.equal(socket.sent.filter((s) => s.msg.kind === 'response').length, 1);
    node.query(other.address, { q: 'ping' });
    assert.ok(socket.sent.some((s) => s.msg.kind === 'query' && !s.msg.ro));
  });

  it('hands each reply\'s ip field, port included, to onIpReport', () => {
    const reports: [Address, Address][] = [];
    const { node, socket, other } = setup({ onIpReport: (from, seen) => reports.push([from, seen]) });
    node.query(other.address, { q: 'ping' });
    const q = socket.sent.find((s) => s.msg.kind === 'query');
    assert.ok(q);
    node.receive(encodeResponse(q.msg.t, other.id, {}, { host: '172.16.4.4', port: 40123 }), other.address);
    assert.deepEqual(reports, [[other.address, { host: '172.16.4.4', port: 40123 }]]);
  });

  it('adopts a BEP 42 compliant id for an external address the session decided (a private one needs none)', () => {
    // 198.18.0.0/15 (RFC 2544 benchmarking): not exempt from BEP 42 like 10/8 or 172.16/12, and no one's real address.
    const { node } = setup();
    const before = idToBytes(node.nodeId);
    node.adoptExternalHost('172.16.4.4');
    assert.deepEqual(idToBytes(node.nodeId), before, 'BEP 42 exempts private addresses');
    assert.equal(isCompliantNodeId(node.nodeId, '198.18.4.4'), false);
    node.adoptExternalHost('198.18.4.4');
    assert.notDeepEqual(idToBytes(node.nodeId), before);
    assert.equal(isCompliantNodeId(node.nodeId, '198.18.4.4'), true);
  });
});
