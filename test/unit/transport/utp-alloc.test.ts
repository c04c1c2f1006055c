/**
 * uTP's per-packet costs (BEP 29 DATA on the send path): a DATA packet is encoded once, its
 * payload copied from the send queue straight into a datagram carved from a shared slab (no
 * ArrayBuffer per packet), re-sends carry the same bytes, and the header encoder agrees
 * with `encodePacket` byte for byte. The send ledger counts lost packets so a poll looks for
 * re-sends only when some are owed.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UtpConnection } from '../../../src/transport/utp/connection.js';
import { allocDatagram } from '../../../src/transport/utp/datagrams.js';
import { decodePacket, encodeHeader, encodePacket, headerLength, ST_DATA, ST_STATE, type UtpPacket } from '../../../src/transport/utp/packet.js';
import { SeededRandom } from '../../../src/runtime/random.js';

const MS = 1000;
const ack = (ackNr: number, selectiveAck?: Uint8Array): UtpPacket => ({
  type: ST_STATE, connectionId: 100, timestamp: 0, timestampDiff: 0, windowSize: 1 << 20, seqNr: 500, ackNr, payload: new Uint8Array(0), ...(selectiveAck ? { selectiveAck } : {}),
});

function connected() {
  const c = UtpConnection.connect(100, 0);
  c.poll(0);
  c.receive(ack(1), 20 * MS);
  c.poll(20 * MS);
  c.cc.cwnd = 200 * 1500;
  return c;
}

describe('uTP per-packet allocation', () => {
  it('carves DATA datagrams from a shared slab, each with the bytes written', () => {
    const c = connected();
    const data = new SeededRandom(1).bytes(10 * 1400);
    c.write(data);
    const out = c.poll(30 * MS).packets;
    assert.equal(out.length, 10);
    // Old code: one fresh ArrayBuffer per datagram (and another per payload).
    assert.ok(out.slice(1).some((d) => d.buffer === out[0].buffer), 'datagrams share an ArrayBuffer');
    const got = out.map((d) => decodePacket(d)).filter((p) => p.type === ST_DATA);
    assert.deepEqual(Buffer.concat(got.map((p) => p.payload)), Buffer.from(data));
  });

  it('re-sends a lost packet with the bytes first sent', () => {
    const c = connected();
    const data = new SeededRandom(2).bytes(6 * 1400);
    c.write(data);
    const first = c.poll(30 * MS).packets.map((d) => decodePacket(d));
    // Packet seq 2 lost: 3..7 selectively acked (bit i is ack_nr + 2 + i).
    c.receive(ack(1, new Uint8Array([0b11111, 0, 0, 0])), 40 * MS);
    const again = c.poll(40 * MS).packets.map((d) => decodePacket(d)).filter((p) => p.type === ST_DATA);
    assert.equal(again.length, 1);
    assert.equal(again[0].seqNr, 2);
    assert.deepEqual(Buffer.from(again[0].payload), Buffer.from(first[0].payload));
    assert.deepEqual(Buffer.from(again[0].payload), Buffer.from(data.subarray(0, 1400)));
  });

  it('never hands out the same bytes twice', () => {
    const a = allocDatagram(1471).fill(1);
    const b = allocDatagram(1471).fill(2);
    const big = allocDatagram(9000).fill(3);
    assert.ok(a.every((x) => x === 1) && b.every((x) => x === 2) && big.every((x) => x === 3));
    assert.equal(a.length, 1471);
    assert.equal(big.length, 9000);
  });

  it('encodes headers as encodePacket does, with selective ACKs and padding', () => {
    const payload = new SeededRandom(3).bytes(300);
    const cases: Partial<UtpPacket>[] = [{}, { selectiveAck: new Uint8Array([1, 2, 3, 4]) }, { padding: 3 }, { padding: 700 }, { selectiveAck: new Uint8Array(8).fill(9), padding: 40 }];
    for (const extra of cases) {
      const p: UtpPacket = { type: ST_DATA, connectionId: 0xbeef, timestamp: 0xfedcba98, timestampDiff: 123456, windowSize: 1 << 20, seqNr: 65535, ackNr: 7, payload, ...extra };
      const whole = encodePacket(p);
      const out = new Uint8Array(headerLength(p) + payload.length);
      out.set(payload, encodeHeader(p, out));
      assert.deepEqual(out, whole);
      assert.deepEqual(Buffer.from(decodePacket(out).payload), Buffer.from(payload));
    }
  });
});

describe('uTP send ledger', () => {
  it('owes re-sends only for packets marked lost and not yet re-sent or acked', () => {
    const c = connected();
    c.write(new Uint8Array(8 * 1400));
    c.poll(30 * MS);
    // 3..9 selectively acked: 2 is lost (and re-sent on the next poll).
    c.receive(ack(1, new Uint8Array([0b1111111, 0, 0, 0])), 40 * MS);
    const ledger = (c as unknown as { outbuf: { lostCount: number } }).outbuf; // private: the count under test
    assert.equal(ledger.lostCount, 1);
    c.poll(40 * MS);
    assert.equal(ledger.lostCount, 0);
    // A timeout marks everything in flight lost; the cumulative ack of all settles them.
    c.poll(2000 * MS);
    assert.equal(c.stats.timeouts, 1);
    assert.equal(ledger.lostCount, 0, "the one packet in flight, lost by the timeout, went again");
    c.receive(ack(9), 2010 * MS);
    assert.equal(ledger.lostCount, 0);
    assert.equal(c.curWindow, 0);
  });
});
