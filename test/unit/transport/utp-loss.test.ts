/**
 * uTP loss recovery on scripted packets and virtual time: a re-sent packet that is lost again
 * is re-sent once packets sent after it are selectively acked (no 500 ms timeout), and the
 * window is cut for loss at most once per `lossCutIntervalMs` (libtorrent's
 * utp_cwnd_reduce_timer) as well as once per window of packets.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UtpConnection } from '../../../src/transport/utp/connection.js';
import { decodePacket, ST_DATA, ST_STATE, type UtpPacket } from '../../../src/transport/utp/packet.js';
import type { UtpConnectionOptions } from '../../../src/transport/utp/options.js';

const MS = 1000;
const PEER_SEQ = 500;
const ack = (ackNr: number, selectiveAck?: Uint8Array): UtpPacket => ({
  type: ST_STATE, connectionId: 100, timestamp: 0, timestampDiff: 0, windowSize: 1 << 20, seqNr: PEER_SEQ, ackNr, payload: new Uint8Array(0), ...(selectiveAck ? { selectiveAck } : {}),
});

/** A selective ACK relative to `ackNr` with the bits of `seqs` set (bit 0 is ack_nr + 2). */
function sackOf(ackNr: number, seqs: number[]): Uint8Array {
  const mask = new Uint8Array(8);
  for (const s of seqs) {
    const i = s - ackNr - 2;
    mask[i >> 3] |= 1 << (i & 7);
  }
  return mask;
}

/** A connected initiator (our DATA starts at seq 2) driven by hand. */
function connected(options: Partial<UtpConnectionOptions> = {}) {
  const c = UtpConnection.connect(100, 0, options);
  const sent: UtpPacket[] = [];
  const poll = (now: number): void => {
    for (const b of c.poll(now).packets) sent.push(decodePacket(b));
  };
  poll(0);
  c.receive(ack(1), 20 * MS);
  poll(20 * MS);
  /** Queues and sends `n` full packets at `now`; returns their sequence numbers. */
  const send = (n: number, now: number): number[] => {
    const before = sent.length;
    c.write(new Uint8Array(n * 1400));
    poll(now);
    return sent.slice(before).filter((p) => p.type === ST_DATA).map((p) => p.seqNr);
  };
  return { c, sent, poll, send };
}

describe('uTP loss recovery', () => {
  it('re-sends a lost re-send once packets sent after it are selectively acked, before any timeout', () => {
    const { c, sent, poll, send } = connected();
    c.cc.cwnd = 30 * 1400;
    assert.deepEqual(send(10, 30 * MS), [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    // 3 is lost; 4, 5, 6 arrive: 3 is re-sent once (fast retransmit).
    c.receive(ack(2, sackOf(2, [4, 5, 6])), 80 * MS);
    poll(80 * MS);
    assert.equal(sent.at(-1)?.seqNr, 3);
    assert.equal(c.stats.fastRetransmits, 1);
    // Packets sent before the re-send arriving says nothing about it: no second re-send.
    c.receive(ack(2, sackOf(2, [4, 5, 6, 7, 8, 9, 10, 11])), 85 * MS);
    poll(85 * MS);
    assert.equal(sent.filter((p) => p.seqNr === 3).length, 2);
    // Three packets sent after the re-send arrive and 3 still has not: its re-send was lost too.
    assert.deepEqual(send(3, 90 * MS), [12, 13, 14]);
    c.receive(ack(2, sackOf(2, [4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14])), 140 * MS);
    poll(140 * MS);
    assert.equal(sent.filter((p) => p.seqNr === 3).length, 3);
    assert.equal(c.stats.lostResends, 1);
    assert.equal(c.stats.timeouts, 0);
    assert.equal(c.curWindow, 1400, 'only the second re-send is in flight');
  });

  it('cuts the window for loss at most once per lossCutIntervalMs (100 ms)', () => {
    const { c, poll, send } = connected();
    c.cc.cwnd = 40 * 1400;
    send(10, 30 * MS); // 2..11
    c.receive(ack(2, sackOf(2, [4, 5, 6])), 45 * MS); // 3 lost: cut
    poll(45 * MS);
    const afterFirst = c.cc.cwnd;
    assert.ok(afterFirst <= 20 * 1400 + 1 && afterFirst > 19 * 1400, `halved to ${afterFirst}`);
    send(10, 46 * MS); // 12..21, after the cut: a loss among them may cut again, but not before 145 ms
    c.receive(ack(11, sackOf(11, [13, 14, 15])), 100 * MS); // 12 lost, 55 ms after the cut
    poll(100 * MS);
    assert.equal(c.stats.fastRetransmits, 2);
    assert.ok(c.cc.cwnd >= afterFirst, `no second cut within 100 ms (${c.cc.cwnd})`);
    const before = c.cc.cwnd;
    c.receive(ack(15, sackOf(15, [17, 18, 19])), 150 * MS); // 16 lost, 105 ms after the cut
    poll(150 * MS);
    assert.equal(c.stats.fastRetransmits, 3);
    assert.ok(c.cc.cwnd < before * 0.6, `cut again after 100 ms (${before} -> ${c.cc.cwnd})`);
  });

  it('cuts once per window of packets even with lossCutIntervalMs 0 (BEP 29 behaviour)', () => {
    const { c, poll, send } = connected({ lossCutIntervalMs: 0 });
    c.cc.cwnd = 40 * 1400;
    send(10, 30 * MS);
    c.receive(ack(2, sackOf(2, [4, 5, 6])), 45 * MS);
    poll(45 * MS);
    const afterFirst = c.cc.cwnd;
    send(10, 46 * MS);
    c.receive(ack(11, sackOf(11, [13, 14, 15])), 100 * MS);
    poll(100 * MS);
    assert.ok(c.cc.cwnd < afterFirst * 0.6, `a loss among packets sent after the cut cuts again at once (${afterFirst} -> ${c.cc.cwnd})`);
  });
});
