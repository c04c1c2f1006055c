/**
 * The uTP socket against hostile datagrams (BEP 29 leaves these to implementations): SYN
 * floods fill at most `maxHalfOpen` slots that expire after `halfOpenTimeoutMs` without a
 * RESET; packets for unknown connections get at most `maxResetsPerSecond` RESETs, one per
 * (address, id) per second, never more bytes than they came with; SYNs colliding with live
 * connections are ignored; a listener's refusal costs one RESET and no STATE.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ST_DATA, ST_FIN, ST_RESET, ST_STATE, ST_SYN } from '../../../src/transport/utp/packet.js';
import type { UtpStream } from '../../../src/transport/utp/stream.js';
import type { Address } from '../../../src/runtime/types.js';
import { makeSocket } from './utp-socket-fakes.js';

const from = (port: number, host = '10.0.0.2'): Address => ({ host, port });

describe('uTP socket against hostile peers', () => {
  it('a SYN flood from many ports and ids holds at most maxHalfOpen connections, which expire after halfOpenTimeoutMs without a RESET', () => {
    const { clock, endpoint, socket } = makeSocket({ maxHalfOpen: 64, halfOpenTimeoutMs: 10_000, maxResetsPerSecond: 20 });
    const closed: (Error | undefined)[] = [];
    socket.listen((s) => s.onClose((e) => closed.push(e)));
    for (let i = 0; i < 200; i++) endpoint.receive(from(20_000 + i), { type: ST_SYN, connectionId: (i * 7919) & 0xffff, seqNr: i });
    assert.equal(socket.halfOpenCount, 64);
    assert.equal(endpoint.ofType(ST_STATE).length, 64, 'one STATE per accepted SYN');
    assert.equal(socket.stats.refusedSyns, 136);
    assert.equal(endpoint.ofType(ST_RESET).length, 20, 'refusals answered within maxResetsPerSecond');
    assert.equal(socket.stats.resetsSuppressed, 116);
    const sentBefore = endpoint.sent.length;
    clock.advance(10_000);
    assert.equal(socket.halfOpenCount, 0);
    assert.equal(socket.connectionCount, 0);
    assert.equal(socket.stats.halfOpenExpired, 64);
    assert.equal(closed.length, 64, 'each expired stream is closed');
    assert.equal(endpoint.sent.length, sentBefore, 'expiry sends nothing to the (maybe spoofed) sources');
    endpoint.receive(from(30_000), { type: ST_SYN, connectionId: 5, seqNr: 1 });
    assert.equal(socket.halfOpenCount, 1, 'a new SYN is accepted again');
  });

  it('a connection that sends DATA is no longer half-open and does not expire', () => {
    const { clock, endpoint, socket } = makeSocket({ halfOpenTimeoutMs: 10_000 });
    const got: Uint8Array[] = [];
    socket.listen((s) => s.onData((d) => got.push(d)));
    endpoint.receive(from(1), { type: ST_SYN, connectionId: 100, seqNr: 50 });
    const ourSeq = endpoint.ofType(ST_STATE)[0].p.seqNr;
    endpoint.receive(from(1), { type: ST_DATA, connectionId: 101, seqNr: 51, ackNr: (ourSeq - 1) & 0xffff, payload: new Uint8Array([1, 2, 3]) });
    endpoint.endBurst();
    assert.equal(got.length, 1);
    clock.advance(10_000);
    assert.equal(socket.connectionCount, 1);
    assert.equal(socket.stats.halfOpenExpired, 0);
  });

  it('DATA, STATE and FIN for unknown connections: one RESET per (address, id) per second, at most maxResetsPerSecond, never more bytes than received', () => {
    const { clock, endpoint, socket } = makeSocket({ maxResetsPerSecond: 20 });
    socket.listen(() => undefined);
    let inBytes = 0;
    const junk = new Uint8Array(1);
    for (let i = 0; i < 1000; i++) {
      endpoint.receive(from(4000), { type: ST_DATA, connectionId: 777, seqNr: i, payload: junk });
      inBytes += 21;
    }
    assert.equal(endpoint.ofType(ST_RESET).length, 1, 'one RESET for a stream of packets of one unknown connection');
    for (let i = 0; i < 1000; i++) {
      endpoint.receive(from(5000 + i), { type: [ST_DATA, ST_STATE, ST_FIN][i % 3] as 0 | 1 | 2, connectionId: i, seqNr: i, payload: i % 3 === 0 ? junk : new Uint8Array(0) });
      inBytes += i % 3 === 0 ? 21 : 20;
    }
    assert.equal(endpoint.ofType(ST_RESET).length, 20, 'the bucket holds maxResetsPerSecond');
    clock.advance(1000);
    endpoint.receive(from(4000), { type: ST_DATA, connectionId: 777, seqNr: 1, payload: junk });
    for (let i = 0; i < 100; i++) endpoint.receive(from(9000 + i), { type: ST_FIN, connectionId: i });
    inBytes += 21 + 100 * 20;
    const resets = endpoint.ofType(ST_RESET);
    assert.equal(resets.length, 40, 'a second later the bucket is full again, no more');
    assert.equal(resets[20].to.port, 4000, 'the known offender gets its next RESET after a second');
    assert.ok(resets.reduce((n, r) => n + r.bytes, 0) <= inBytes);
    assert.equal(socket.connectionCount, 0);
    assert.equal(socket.stats.resetsSent + socket.stats.resetsSuppressed, 2101);
  });

  it('a RESET for an unknown connection gets no reply', () => {
    const { endpoint, socket } = makeSocket();
    for (let i = 0; i < 50; i++) endpoint.receive(from(6000 + i), { type: ST_RESET, connectionId: i });
    assert.equal(endpoint.sent.length, 0);
    assert.equal(socket.stats.resetsSent, 0);
  });

  it('ignores a SYN whose ids collide with a connection past its opening (forged or stale) and keeps the connection', () => {
    const { endpoint, socket } = makeSocket();
    const got: Uint8Array[] = [];
    socket.listen((s) => s.onData((d) => got.push(d)));
    endpoint.receive(from(1), { type: ST_SYN, connectionId: 200, seqNr: 10 });
    const ourSeq = endpoint.ofType(ST_STATE)[0].p.seqNr;
    endpoint.receive(from(1), { type: ST_DATA, connectionId: 201, seqNr: 11, ackNr: (ourSeq - 1) & 0xffff, payload: new Uint8Array([9]) });
    endpoint.endBurst();
    const sent = endpoint.sent.length;
    endpoint.receive(from(1), { type: ST_SYN, connectionId: 200, seqNr: 4000 });
    endpoint.endBurst();
    assert.equal(endpoint.sent.length, sent, 'nothing answers the colliding SYN');
    assert.equal(socket.stats.ignoredSyns, 1);
    endpoint.receive(from(1), { type: ST_DATA, connectionId: 201, seqNr: 12, ackNr: (ourSeq - 1) & 0xffff, payload: new Uint8Array([8]) });
    endpoint.endBurst();
    assert.deepEqual(got.map((d) => [...d]), [[9], [8]], 'the live connection still delivers in order');
  });

  it('answers a re-sent SYN of a connection still waiting for its first DATA with the STATE again', () => {
    const { endpoint, socket } = makeSocket();
    socket.listen(() => undefined);
    endpoint.receive(from(1), { type: ST_SYN, connectionId: 300, seqNr: 10 });
    endpoint.receive(from(1), { type: ST_SYN, connectionId: 300, seqNr: 10 });
    endpoint.endBurst();
    const states = endpoint.ofType(ST_STATE);
    assert.equal(states.length, 2);
    assert.equal(states[1].p.seqNr, states[0].p.seqNr);
    assert.equal(socket.connectionCount, 1);
  });

  it('ignores a SYN colliding with our own outgoing connection to that address', async () => {
    const { endpoint, socket } = makeSocket();
    socket.listen(() => undefined);
    const pending = socket.connect(from(1));
    const syn = endpoint.ofType(ST_SYN)[0].p;
    endpoint.receive(from(1), { type: ST_STATE, connectionId: syn.connectionId, seqNr: 900, ackNr: syn.seqNr });
    endpoint.endBurst();
    const stream: UtpStream = await pending;
    const sent = endpoint.sent.length;
    // Their SYN with id X is keyed X + 1: our receive id.
    endpoint.receive(from(1), { type: ST_SYN, connectionId: (syn.connectionId - 1) & 0xffff, seqNr: 1 });
    endpoint.endBurst();
    assert.equal(endpoint.sent.length, sent);
    assert.equal(socket.stats.ignoredSyns, 1);
    assert.equal(stream.closed, false);
    assert.equal(socket.connectionCount, 1);
  });

  it('a SYN reusing the ids of a connection lingering after its FIN opens a new connection', () => {
    const { endpoint, socket } = makeSocket({ finLingerMs: 10_000 });
    const streams: UtpStream[] = [];
    socket.listen((s) => {
      streams.push(s);
      s.onEnd(() => s.end());
    });
    endpoint.receive(from(1), { type: ST_SYN, connectionId: 600, seqNr: 10 });
    const ourSeq = endpoint.ofType(ST_STATE)[0].p.seqNr;
    endpoint.receive(from(1), { type: ST_FIN, connectionId: 601, seqNr: 11, ackNr: (ourSeq - 1) & 0xffff });
    endpoint.endBurst();
    endpoint.endBurst();
    assert.ok(endpoint.ofType(ST_FIN).length === 1, 'our FIN answers theirs');
    endpoint.receive(from(1), { type: ST_STATE, connectionId: 601, seqNr: 12, ackNr: ourSeq });
    endpoint.endBurst();
    assert.equal(streams[0].closed, true);
    assert.equal(socket.connectionCount, 0, 'closed by FIN, lingering');
    const states = endpoint.ofType(ST_STATE).length;
    endpoint.receive(from(1), { type: ST_SYN, connectionId: 600, seqNr: 500 });
    assert.equal(streams.length, 2, 'the new SYN is accepted');
    assert.equal(socket.connectionCount, 1);
    assert.equal(endpoint.ofType(ST_STATE).length, states + 1);
    assert.equal(endpoint.ofType(ST_STATE).at(-1)!.p.ackNr, 500);
  });

  it('a connection the listener refuses at once gets one RESET and no STATE', () => {
    const { endpoint, socket } = makeSocket();
    socket.listen((s) => s.destroy());
    endpoint.receive(from(1), { type: ST_SYN, connectionId: 400, seqNr: 10 });
    endpoint.endBurst();
    assert.deepEqual(endpoint.sent.map((s) => s.p.type), [ST_RESET]);
    assert.equal(endpoint.sent[0].p.connectionId, 400, 'on the id the initiator receives on');
    assert.equal(socket.connectionCount, 0);
    assert.equal(socket.stats.refusedSyns, 1);
  });

  it('malformed datagrams (huge selective ACK, long extension chain) are counted and never answered', () => {
    const { endpoint, socket } = makeSocket();
    socket.listen(() => undefined);
    const header = (ext: number): number[] => [0x01, ext, 0, 9, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0];
    const hugeSack = Uint8Array.from([...header(1), 0, 255, ...new Array<number>(255).fill(0xff), 42]);
    const chain = Uint8Array.from([...header(2), ...Array.from({ length: 40 }, (_, i) => [i < 39 ? 2 : 0, 0]).flat(), 42]);
    const pastEnd = Uint8Array.from([...header(2), 0, 200, 1, 2, 3]);
    for (const d of [hugeSack, chain, pastEnd]) endpoint.handler!(d, from(1));
    assert.equal(socket.stats.malformed, 3);
    assert.equal(endpoint.sent.length, 0);
  });
  it('a SYN flood from 200 addresses holds at most maxHalfOpen connections too', () => {
    const { endpoint, socket } = makeSocket({ maxHalfOpen: 64 });
    socket.listen(() => undefined);
    for (let i = 0; i < 200; i++) endpoint.receive(from(40_000, `10.1.${i >> 8}.${i & 255}`), { type: ST_SYN, connectionId: i, seqNr: 1 });
    assert.equal(socket.halfOpenCount, 64);
    assert.equal(socket.stats.refusedSyns, 136);
  });

  it('a dial refused by a FIN acking the SYN acks that FIN once and fails as refused', async () => {
    const { endpoint, socket } = makeSocket();
    const remote = from(7000, '10.0.0.9');
    const dial = socket.connect(remote);
    const [syn] = endpoint.ofType(ST_SYN);
    endpoint.receive(remote, { type: ST_FIN, connectionId: syn.p.connectionId, seqNr: 0x4242, ackNr: syn.p.seqNr });
    await assert.rejects(dial);
    const acks = endpoint.ofType(ST_STATE);
    assert.equal(acks.length, 1);
    assert.deepEqual([acks[0].p.connectionId, acks[0].p.ackNr], [syn.p.connectionId + 1, 0x4242]);
  });
});
