/**
 * uTP path MTU probing (BEP 29 "MTU", mtu.ts) on scripted packets: DATA starts at
 * `packetSize`; after 32 full packets one is padded (an extension receivers skip) to the
 * ceiling; acked, new packets grow to it; lost, it is re-sent unpadded, the window is not
 * cut, and packets stay small. Over IPv6 the ceiling is 20 bytes lower.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { UtpConnection } from '../../../src/transport/utp/connection.js';
import { decodePacket, encodePacket, EXT_PADDING, ST_DATA, ST_STATE, ST_SYN, type UtpPacket } from '../../../src/transport/utp/packet.js';
import { UtpSocket } from '../../../src/transport/utp/socket.js';
import { SeededRandom } from '../../../src/runtime/random.js';
import type { Address, DatagramHandler, UdpEndpoint } from '../../../src/runtime/types.js';

const MS = 1000;
const ack = (ackNr: number, selectiveAck?: Uint8Array): UtpPacket => ({
  type: ST_STATE, connectionId: 100, timestamp: 0, timestampDiff: 0, windowSize: 1 << 20, seqNr: 500, ackNr, payload: new Uint8Array(0), ...(selectiveAck ? { selectiveAck } : {}),
});

/** A connected initiator (DATA from seq 2) with a large window, its datagrams kept raw. */
function connected() {
  const c = UtpConnection.connect(100, 0);
  const raw: Uint8Array[] = [];
  const poll = (now: number): void => void raw.push(...c.poll(now).packets);
  poll(0);
  c.receive(ack(1), 20 * MS);
  poll(20 * MS);
  c.cc.cwnd = 200 * 1500;
  return { c, raw, poll, data: () => raw.map((b) => ({ bytes: b.length, raw: b, p: decodePacket(b) })).filter((x) => x.p.type === ST_DATA) };
}

describe('uTP MTU probing', () => {
  it('pads the 33rd full packet to the ceiling, grows to it once acked, and keeps within it', () => {
    const { c, poll, data } = connected();
    c.write(new Uint8Array(40 * 1400));
    poll(30 * MS);
    const sent = data();
    assert.equal(sent.length, 40);
    assert.ok(sent.slice(0, 32).every((x) => x.bytes === 20 + 1400), 'the first 32 are plain 1400-byte packets');
    const probe = sent[32];
    assert.equal(probe.p.payload.length, 1400, 'a probe carries an ordinary payload');
    assert.equal(probe.bytes, 20 + 1446 + 6, 'padded to the 1472-byte datagram of a 1500-byte IPv4 path');
    assert.equal(probe.raw[20], EXT_PADDING, 'the padding is an extension behind an empty selective ACK (the decoder skipped it)');
    assert.equal(c.mtu.packetSize, 1400);
    c.receive(ack(sent[32].p.seqNr), 80 * MS);
    assert.equal(c.mtu.packetSize, 1446);
    c.write(new Uint8Array(3 * 1446));
    poll(81 * MS);
    const grown = data().slice(40);
    assert.deepEqual(grown.map((x) => x.p.payload.length), [1446, 1446, 1446]);
    assert.ok(grown.every((x) => x.bytes <= 1472));
  });

  it('re-sends a lost probe unpadded, does not cut the window for it, and stays at 1400', () => {
    const { c, poll, data } = connected();
    c.write(new Uint8Array(40 * 1400));
    poll(30 * MS);
    const probeSeq = data()[32].p.seqNr; // 34
    const cwnd = c.cc.cwnd;
    // Everything up to the probe arrives, the probe does not, three after it do.
    const above = [probeSeq + 1, probeSeq + 2, probeSeq + 3];
    const mask = new Uint8Array(4);
    for (const s of above) mask[(s - (probeSeq - 1) - 2) >> 3] |= 1 << ((s - (probeSeq - 1) - 2) & 7);
    c.receive(ack(probeSeq - 1, mask), 80 * MS);
    poll(80 * MS);
    const resent = data().filter((x) => x.p.seqNr === probeSeq);
    assert.equal(resent.length, 2);
    assert.ok(resent[1].bytes <= 20 + 1400 + 6, `the re-send is not padded (${resent[1].bytes} bytes)`);
    assert.ok(c.cc.cwnd >= cwnd, 'a lost probe does not cut the window');
    assert.equal(c.mtu.packetSize, 1400);
    assert.equal(c.mtu.ceiling, 1445);
  });

  it('never pads when maxPacketSize is not above packetSize', () => {
    const c = UtpConnection.connect(100, 0, { maxPacketSize: 1400 });
    const raw: Uint8Array[] = [...c.poll(0).packets];
    c.receive(ack(1), 20 * MS);
    c.cc.cwnd = 200 * 1500;
    c.write(new Uint8Array(100 * 1400));
    raw.push(...c.poll(30 * MS).packets);
    assert.ok(raw.every((b) => b.length <= 20 + 1400));
  });

  it('lowers the ceiling by 20 bytes for an IPv6 peer', () => {
    const endpoint: UdpEndpoint & { handler?: DatagramHandler } = {
      address: { host: '::1', port: 6881 },
      send: () => {},
      onMessage(h) {
        endpoint.handler = h;
      },
      close: () => {},
    };
    const socket = new UtpSocket({ clock: { now: () => 0, setTimer: () => ({ cancel: () => {} }) }, random: new SeededRandom(1) }, endpoint);
    const accepted: { conn: UtpConnection }[] = [];
    socket.listen((s) => accepted.push(s));
    const syn = (from: Address): void => endpoint.handler!(encodePacket({ type: ST_SYN, connectionId: 9, timestamp: 0, timestampDiff: 0, windowSize: 1 << 20, seqNr: 1, ackNr: 0, payload: new Uint8Array(0) }), from);
    syn({ host: 'fd00::2', port: 1 });
    syn({ host: '10.0.0.2', port: 1 });
    assert.deepEqual(accepted.map((s) => s.conn.mtu.ceiling), [1426, 1446]);
  });

  it('encodes padding as extensions a decoder skips, after a selective ACK', () => {
    const bytes = encodePacket({ ...ack(7, Uint8Array.of(1, 0, 0, 0)), padding: 300 });
    assert.equal(bytes.length, 20 + 6 + 2 + 255 + 2 + 45);
    assert.equal(bytes[20], EXT_PADDING, 'the selective ACK points at the padding');
    const p = decodePacket(bytes);
    assert.deepEqual([...p.selectiveAck!], [1, 0, 0, 0]);
    assert.equal(p.payload.length, 0);
  });
});
