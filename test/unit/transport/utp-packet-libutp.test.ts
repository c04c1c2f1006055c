/**
 * Datagrams captured from Transmission 3.00's libutp (test/interop/utp-transmission.test.ts,
 * tcpdump on the namespace's veth) decode as BEP 29 says, with libutp's own habits: its SYN
 * and its SYN's STATE reply carry extension 2 (8 bytes of "extension bits", all zero), which
 * is skipped by its length; its first seq_nr is random, not 1. And libutp takes a packet whose
 * first extension type is 3 or more for a version 0 packet: it dropped our MTU probes (padding
 * extension 0x7f first) and answered each with a 23-byte version 0 RESET.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket, encodePacket, EXT_PADDING, EXT_SELECTIVE_ACK, looksLikeUtp, ST_DATA, ST_STATE, ST_SYN, UtpPacketError } from '../../../src/transport/utp/packet.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
/** Transmission dialling: ST_SYN, conn_id 39400, seq_nr 40282, wnd 262144, extension 2. */
const LIBUTP_SYN = hex('410299e8a9e1463700000000000400009d5a000000080000000000000000');
/** What Transmission sent back for a probe led by the padding extension: a version 0 RESET, 23 bytes. */
const LIBUTP_V0_RESET = hex('017f3177000000000000000000000000000003548bf600');
/** Transmission accepting our SYN (conn_id 13105, seq_nr 1): ST_STATE with extension 2, wnd 3670016. */
const LIBUTP_SYN_ACK = hex('21023331e19cecfc00000000003800005d63000100080000000000000000');

describe('uTP packets from libutp (Transmission 3.00)', () => {
  it('decodes its SYN with the 8-byte extension-bits extension', () => {
    assert.ok(looksLikeUtp(LIBUTP_SYN));
    const p = decodePacket(LIBUTP_SYN);
    assert.equal(p.type, ST_SYN);
    assert.equal(p.connectionId, 39400);
    assert.equal(p.seqNr, 40282);
    assert.equal(p.windowSize, 262144);
    assert.equal(p.payload.length, 0);
    assert.equal(p.selectiveAck, undefined);
  });

  it('decodes its STATE answering our SYN, also with extension 2', () => {
    const p = decodePacket(LIBUTP_SYN_ACK);
    assert.equal(p.type, ST_STATE);
    assert.equal(p.connectionId, 13105);
    assert.equal(p.ackNr, 1);
    assert.equal(p.seqNr, 23907);
    assert.equal(p.windowSize, 3670016);
    assert.equal(p.payload.length, 0);
  });

  it('an MTU probe without a selective ACK is led by an empty one, in the same bytes, so libutp reads it as version 1', () => {
    for (const padding of [1, 5, 6, 44, 255, 300, 700]) {
      const base = { type: ST_DATA, connectionId: 9, timestamp: 1, timestampDiff: 0, windowSize: 1 << 20, seqNr: 5, ackNr: 4, payload: new Uint8Array(1400).fill(7) } as const;
      const before = 20 + Math.ceil(padding / 255) * 2 + padding + 1400; // the size the probe asked for
      const bytes = encodePacket({ ...base, padding });
      assert.equal(bytes.length, before, `padding ${padding}: same datagram size`);
      assert.equal(bytes[1], EXT_SELECTIVE_ACK, 'first extension type < 3');
      const p = decodePacket(bytes);
      assert.ok(p.selectiveAck && p.selectiveAck.every((b) => b === 0), 'the selective ACK acks nothing');
      assert.equal(p.payload.length, 1400);
      assert.ok(p.payload.every((b) => b === 7));
      if (bytes.length - 1400 - 20 >= 8) assert.equal(bytes[20], EXT_PADDING);
    }
  });

  it('a version 0 RESET from libutp is a malformed datagram, not a RESET of ours', () => {
    assert.throws(() => decodePacket(LIBUTP_V0_RESET), UtpPacketError);
  });
});
