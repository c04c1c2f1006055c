/**
 * uTP connections that open but never complete the BitTorrent handshake are held by the
 * session's incoming gate (src/swarm/incoming.ts), the same named limits as TCP's:
 * `maxPendingHandshakes`, `maxPendingPerIp`, `handshakeTimeoutMs`. Refused SYNs cost one
 * rate-limited RESET each and no STATE; the held ones are dropped at the deadline.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { IncomingGate } from '../../../src/swarm/incoming.js';
import { ST_DATA, ST_RESET, ST_STATE, ST_SYN } from '../../../src/transport/utp/packet.js';
import { SeededRandom } from '../../../src/runtime/random.js';
import type { Runtime } from '../../../src/runtime/types.js';
import { makeSocket } from './utp-socket-fakes.js';

const PARTIAL_HANDSHAKE = new TextEncoder().encode('\x13BitTorre'); // 10 of the 68 bytes, then silence

describe('uTP connections before the BitTorrent handshake', () => {
  it('are capped by the incoming gate (maxPendingHandshakes, maxPendingPerIp) and dropped after handshakeTimeoutMs', () => {
    const { clock, endpoint, socket } = makeSocket({ maxResetsPerSecond: 100 });
    // The gate reads only the clock and random of its runtime.
    const runtime = { clock, random: new SeededRandom(3) } as unknown as Runtime;
    const gate = new IncomingGate({ runtime, peerId: new Uint8Array(20), find: () => undefined, options: { maxPendingHandshakes: 8, maxPendingPerIp: 4, handshakeTimeoutMs: 10_000 } });
    socket.listen((s) => gate.offer(s));
    let id = 1000;
    for (const host of ['10.0.0.2', '10.0.0.3', '10.0.0.4']) {
      for (let port = 1; port <= 10; port++) {
        const from = { host, port };
        const cid = (id += 2);
        const before = endpoint.ofType(ST_STATE).length;
        endpoint.receive(from, { type: ST_SYN, connectionId: cid, seqNr: 10 });
        const state = endpoint.ofType(ST_STATE).slice(before).find((s) => s.to.port === port && s.to.host === host);
        if (state) endpoint.receive(from, { type: ST_DATA, connectionId: cid + 1, seqNr: 11, ackNr: (state.p.seqNr - 1) & 0xffff, payload: PARTIAL_HANDSHAKE });
      }
    }
    endpoint.endBurst();
    assert.equal(gate.pending, 8);
    assert.equal(socket.connectionCount, 8);
    assert.deepEqual(gate.refused, { banned: 0, pending_full: 16, pending_per_ip: 6, connections_full: 0, closing: 0 });
    assert.equal(endpoint.ofType(ST_STATE).filter((s) => s.to.host === '10.0.0.4').length, 0, 'no STATE to a refused SYN');
    assert.equal(endpoint.ofType(ST_RESET).length, 22, 'one RESET per refused SYN');
    clock.advance(10_000);
    endpoint.endBurst();
    assert.equal(gate.pending, 0);
    assert.equal(socket.connectionCount, 0, 'every connection stuck before its handshake is closed');
    endpoint.receive({ host: '10.0.0.4', port: 99 }, { type: ST_SYN, connectionId: 7, seqNr: 1 });
    assert.equal(gate.pending, 1, 'room again');
  });
});
