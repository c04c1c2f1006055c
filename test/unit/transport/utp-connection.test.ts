/**
 * The uTP connection core (BEP 29) on scripted packets and virtual time: handshake ids,
 * exact timeout and retransmit times, fast retransmit, windows, keep-alive, FIN and RESET.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UtpConnection } from '../../../src/transport/utp/connection.js';
import { decodePacket, encodePacket, ST_DATA, ST_FIN, ST_RESET, ST_STATE, ST_SYN, type UtpPacket } from '../../../src/transport/utp/packet.js';
import { SeededRandom } from '../../../src/runtime/random.js';
import { Pair } from './utp-pair.js';

const MS = 1000;
const pattern = (n: number, seed = 7): Uint8Array => {
  const r = new SeededRandom(seed);
  return r.bytes(n);
};
const pkt = (over: Partial<UtpPacket>): UtpPacket => ({ type: ST_STATE, connectionId: 0, timestamp: 0, timestampDiff: 0, windowSize: 1 << 20, seqNr: 0, ackNr: 0, payload: new Uint8Array(0), ...over });

/** A connected initiator driven by hand: the acceptor's seq is 500, its STATE arrived at 20 ms. */
function connectedByHand(): { c: UtpConnection; sent: UtpPacket[]; poll: (now: number) => ReturnType<UtpConnection['poll']> } {
  const c = UtpConnection.connect(100, 0);
  const sent: UtpPacket[] = [];
  const poll = (now: number) => {
    const out = c.poll(now);
    for (const b of out.packets) sent.push(decodePacket(b));
    return out;
  };
  poll(0);
  c.receive(pkt({ connectionId: 100, seqNr: 500, ackNr: 1 }), 20 * MS);
  poll(20 * MS);
  return { c, sent, poll };
}

describe('uTP connection', () => {
  it('opens with a SYN on the receive id and answers on id + 1, as BEP 29 says', () => {
    const pair = new Pair(10 * MS);
    pair.poll('a');
    pair.run(100 * MS);
    const [syn, synAck] = pair.log;
    assert.equal(syn.p.type, ST_SYN);
    assert.equal(syn.p.connectionId, 0x1234);
    assert.equal(syn.p.seqNr, 1);
    assert.equal(synAck.p.type, ST_STATE);
    assert.equal(synAck.p.connectionId, 0x1234);
    assert.equal(synAck.p.ackNr, 1);
    assert.equal(synAck.p.seqNr, 1000);
    assert.equal(pair.conn('b').recvId, 0x1235);
    assert.equal(pair.conn('b').sendId, 0x1234);
    assert.equal(pair.a.sendId, 0x1235);
    assert.deepEqual(pair.events.a, [{ type: 'connected' }]);
    assert.deepEqual(pair.events.b, [{ type: 'connected' }]);
    // The first DATA from the acceptor reuses the STATE's seq_nr.
    pair.write('b', Uint8Array.of(1, 2, 3));
    pair.run(200 * MS);
    assert.equal(pair.log.at(-2)?.p.seqNr, 1000);
    assert.deepEqual([...pair.bytes('a')], [1, 2, 3]);
  });

  it('re-sends the SYN at 1 s and 3 s and fails with timeout at exactly 7 s', () => {
    const c = UtpConnection.connect(7, 0);
    let out = c.poll(0);
    assert.equal(out.packets.length, 1);
    assert.equal(out.nextDeadline, 1000 * MS);
    out = c.poll(999 * MS);
    assert.equal(out.packets.length, 0);
    out = c.poll(1000 * MS);
    assert.equal(decodePacket(out.packets[0]).type, ST_SYN);
    assert.equal(out.nextDeadline, 3000 * MS);
    out = c.poll(3000 * MS);
    assert.equal(decodePacket(out.packets[0]).type, ST_SYN);
    assert.equal(out.nextDeadline, 7000 * MS);
    out = c.poll(6999 * MS);
    assert.deepEqual(out.events, []);
    out = c.poll(7000 * MS);
    assert.deepEqual(out.events, [{ type: 'closed', reason: 'timeout' }]);
    assert.equal(out.packets.length, 0);
    assert.equal(out.nextDeadline, undefined);
  });

  it('reports refused when the SYN is answered by a FIN acking it (libtorrent turning the connection away), not on a FIN acking nothing sent', () => {
    const c = UtpConnection.connect(7, 0);
    c.poll(0);
    c.receive(pkt({ type: ST_FIN, connectionId: 7, seqNr: 0xca30, ackNr: 2 }), 5 * MS);
    assert.deepEqual(c.poll(5 * MS).events, [], 'a FIN acking seq 2 (never sent) is ignored');
    assert.equal(c.state, 'syn-sent');
    c.receive(pkt({ type: ST_FIN, connectionId: 7, seqNr: 0xca30, ackNr: 1 }), 6 * MS);
    assert.deepEqual(c.poll(6 * MS).events, [{ type: 'closed', reason: 'refused' }]);
  });

  it('acks the FIN that refuses its SYN, once (unacked, libtorrent re-sends it)', () => {
    const c = UtpConnection.connect(7, 0);
    c.poll(0);
    c.receive(pkt({ type: ST_FIN, connectionId: 7, seqNr: 0xca30, ackNr: 1 }), 6 * MS);
    const out = c.poll(6 * MS);
    assert.deepEqual(out.events, [{ type: 'closed', reason: 'refused' }]);
    assert.equal(out.packets.length, 1);
    const ack = decodePacket(out.packets[0]);
    assert.deepEqual([ack.type, ack.connectionId, ack.ackNr], [ST_STATE, 8, 0xca30], 'a STATE on the send id acking the FIN');
    assert.equal(c.poll(7 * MS).packets.length, 0, 'once');
  });

  it('reports refused when the SYN is answered by a RESET', () => {
    const c = UtpConnection.connect(7, 0);
    c.poll(0);
    c.receive(pkt({ type: ST_RESET, connectionId: 7 }), 5 * MS);
    assert.deepEqual(c.poll(5 * MS).events, [{ type: 'closed', reason: 'refused' }]);
  });

  it('re-sends an unacked DATA packet at the RTO (500 ms floor after a 20 ms RTT) and doubles it after', () => {
    const { c, sent, poll } = connectedByHand();
    assert.equal(c.rtt.rttMs, 20);
    assert.equal(c.rtt.rtoMs, 500); // max(20 + 4 * 10, 500)
    c.write(Uint8Array.of(9));
    let out = poll(100 * MS);
    const data = sent.at(-1);
    assert.equal(data?.type, ST_DATA);
    assert.equal(data?.seqNr, 2);
    assert.equal(data?.ackNr, 500 - 1);
    assert.equal(out.nextDeadline, 600 * MS);
    out = poll(599 * MS);
    assert.equal(out.packets.length, 0);
    out = poll(600 * MS);
    assert.equal(out.packets.length, 1);
    assert.equal(sent.at(-1)?.seqNr, 2);
    assert.equal(c.stats.timeouts, 1);
    assert.equal(c.cc.cwnd, c.options.packetSize); // one packet after a timeout
    assert.equal(out.nextDeadline, 1600 * MS);
  });

  it('re-sends at exactly the deadline it returned, even where now - start >= rto rounds short', () => {
    // A start time at which (start + 500 ms) - start < 500 ms in floating point: the old check
    // missed its own deadline, re-armed for 0 ms, and a virtual clock never moved on.
    const t0 = 1073259038.4803082;
    const start = t0 + 100 * MS;
    assert.ok(start + 500 * MS - start < 500 * MS, 'the rounding case this test needs');
    const c = UtpConnection.connect(100, t0);
    c.poll(t0);
    c.receive(pkt({ connectionId: 100, seqNr: 500, ackNr: 1 }), t0 + 20 * MS);
    c.poll(t0 + 20 * MS);
    assert.equal(c.rtt.rtoMs, 500);
    c.write(Uint8Array.of(9));
    const deadline = c.poll(start).nextDeadline!;
    assert.equal(deadline, start + 500 * MS);
    const out = c.poll(deadline);
    assert.equal(c.stats.timeouts, 1, 'the timer fired at its deadline');
    assert.equal(out.packets.length, 1);
    assert.ok(out.nextDeadline! > deadline, 'the next deadline lies ahead');
  });

  it('gives up with timeout after maxRetransmits consecutive timeouts', () => {
    const { c, poll } = connectedByHand();
    c.write(Uint8Array.of(1));
    let t = 100 * MS;
    poll(t);
    const closes: number[] = [];
    for (let i = 0; i < 10 && c.state !== 'closed'; i++) {
      const out = poll(t);
      if (out.events.some((e) => e.type === 'closed' && e.reason === 'timeout')) closes.push(t);
      t = out.nextDeadline ?? t;
    }
    // 500, 1000, 2000, 4000, 8000 ms re-sends, then the 6th timeout (16 s later) closes.
    assert.deepEqual(closes, [(100 + 500 + 1000 + 2000 + 4000 + 8000 + 16000) * MS]);
    assert.equal(c.stats.retransmits, 5);
  });

  it('fast-retransmits a lost packet after 3 duplicate ACKs, before the timer, and halves the window (no delay samples)', () => {
    const { c, sent, poll } = connectedByHand();
    c.cc.cwnd = 10 * 1400;
    c.write(pattern(5 * 1400));
    poll(30 * MS);
    assert.deepEqual(sent.slice(-5).map((p) => p.seqNr), [2, 3, 4, 5, 6]);
    const before = c.cc.cwnd;
    for (let i = 0; i < 2; i++) c.receive(pkt({ seqNr: 500, ackNr: 1 }), (40 + i) * MS);
    assert.equal(poll(42 * MS).packets.length, 0);
    c.receive(pkt({ seqNr: 500, ackNr: 1 }), 43 * MS);
    const out = poll(43 * MS);
    assert.equal(out.packets.length, 1);
    assert.equal(sent.at(-1)?.seqNr, 2);
    assert.equal(c.stats.fastRetransmits, 1);
    assert.equal(c.cc.cwnd, before / 2);
  });

  it('treats a hole with 3 packets selectively acked past it as lost', () => {
    const { c, sent, poll } = connectedByHand();
    c.cc.cwnd = 10 * 1400;
    c.write(pattern(5 * 1400));
    poll(30 * MS);
    // ack_nr 2 (packet 2 arrived), packet 3 missing, 4, 5, 6 arrived: bits 0..2 for 4..6.
    c.receive(pkt({ seqNr: 500, ackNr: 2, selectiveAck: Uint8Array.of(0b111, 0, 0, 0) }), 45 * MS);
    poll(45 * MS);
    assert.equal(sent.at(-1)?.seqNr, 3);
    assert.equal(c.stats.fastRetransmits, 1);
    assert.equal(c.curWindow, 1400); // only the re-sent packet is in flight
  });

  it('ignores a packet acking a sequence number never sent', () => {
    const { c, poll } = connectedByHand();
    c.write(Uint8Array.of(1));
    poll(30 * MS);
    c.receive(pkt({ seqNr: 500, ackNr: 40 }), 40 * MS);
    assert.equal(c.curWindow, 1);
    c.receive(pkt({ seqNr: 500, ackNr: 2 }), 41 * MS);
    assert.equal(c.curWindow, 0);
  });

  it('sends a keep-alive STATE acking ack_nr - 1 after 29 s of silence and closes after 120 s without input', () => {
    const { c, sent, poll } = connectedByHand();
    let out = poll(20 * MS);
    assert.equal(out.nextDeadline, 29_000 * MS); // the SYN at 0 was the last packet sent
    out = poll(29_000 * MS);
    assert.equal(out.packets.length, 1);
    assert.equal(sent.at(-1)?.type, ST_STATE);
    assert.equal(sent.at(-1)?.ackNr, 499 - 1);
    const keepalives: number[] = [29_000];
    for (let t = out.nextDeadline ?? 0; c.state !== 'closed'; t = out.nextDeadline ?? t) {
      out = poll(t);
      if (out.packets.length > 0) keepalives.push(t / MS);
      else assert.deepEqual(out.events, [{ type: 'closed', reason: 'timeout' }]);
      if (out.events.length > 0) assert.equal(t, (20 + 120_000) * MS);
    }
    assert.deepEqual(keepalives, [29_000, 58_000, 87_000, 116_000]);
    assert.equal(c.state, 'closed');
  });

  it('holds at most maxOutOfOrderPackets and recvBufferBytes out of order, and advertises what is left', () => {
    const c = UtpConnection.accept(pkt({ type: ST_SYN, connectionId: 50, seqNr: 1 }), 900, 0, { maxOutOfOrderPackets: 4, recvBufferBytes: 3000 });
    c.poll(0);
    const data = (seq: number, n = 1000) => pkt({ type: ST_DATA, connectionId: 51, seqNr: seq, ackNr: 899, payload: new Uint8Array(n) });
    c.receive(data(6), 1); // 5 ahead of ack_nr 1: past the limit of 4
    c.receive(data(3), 2);
    c.receive(data(4), 3);
    c.receive(data(5, 1001), 4); // would hold 3001 bytes
    const out = c.poll(5);
    const ack = decodePacket(out.packets[0]);
    assert.equal(ack.ackNr, 1);
    assert.equal(ack.windowSize, 1000);
    assert.deepEqual([...(ack.selectiveAck ?? [])], [0b11, 0, 0, 0]);
    c.receive(data(2), 6);
    const events = c.poll(7).events;
    assert.deepEqual(events.map((e) => e.type), ['data', 'data', 'data']);
    assert.equal(decodePacket(c.poll(8).packets[0] ?? encodePacket(pkt({}))).type, ST_STATE);
  });

  it('transfers both ways and closes with fin once both FINs are acked', () => {
    const pair = new Pair(5 * MS);
    pair.poll('a');
    pair.run(50 * MS);
    const x = pattern(300_000, 1);
    const y = pattern(200_000, 2);
    pair.send('a', x, true);
    pair.send('b', y, true);
    pair.run(60_000 * MS);
    assert.deepEqual(pair.bytes('b'), x);
    assert.deepEqual(pair.bytes('a'), y);
    assert.deepEqual(pair.events.a.filter((e) => e.type !== 'data' && e.type !== 'drained'), [{ type: 'connected' }, { type: 'end' }, { type: 'closed', reason: 'fin' }]);
    assert.deepEqual(pair.events.b.filter((e) => e.type !== 'data' && e.type !== 'drained'), [{ type: 'connected' }, { type: 'end' }, { type: 'closed', reason: 'fin' }]);
    assert.ok(pair.log.some((l) => l.p.type === ST_FIN));
  });

  it('delivers 4 MiB byte for byte through 5% loss and reordering (fixed seed)', () => {
    const pair = new Pair(20 * MS);
    const r = new SeededRandom(42);
    pair.filter = () => (r.next() < 0.05 ? 'drop' : r.int(15 * MS));
    pair.poll('a');
    const x = pattern(4 << 20, 3);
    pair.run(1);
    pair.send('a', x, true);
    pair.run(600_000 * MS);
    assert.equal(pair.bytes('b').length, x.length);
    assert.deepEqual(pair.bytes('b'), x);
    assert.ok(pair.a.stats.fastRetransmits > 0);
  });

  it('destroy sends a RESET and the peer closes with reset', () => {
    const pair = new Pair(5 * MS);
    pair.poll('a');
    pair.run(50 * MS);
    pair.a.destroy();
    pair.poll('a');
    pair.run(100 * MS);
    assert.equal(pair.log.at(-1)?.p.type, ST_RESET);
    assert.deepEqual(pair.events.a.at(-1), { type: 'closed', reason: 'destroyed' });
    assert.deepEqual(pair.events.b.at(-1), { type: 'closed', reason: 'reset' });
  });
});
