/**
 * Datagrams captured from Transmission 3.00's libutp (test/interop/utp-transmission.test.ts,
 * tcpdump on the namespace's veth) decode as BEP 29 says, with libutp's own habits: its SYN
 * and its SYN's STATE reply carry extension 2 (8 bytes of "extension bits", all zero), which
 * is skipped by its length; its first seq_nr is random, not 1.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodePacket, looksLikeUtp, ST_STATE, ST_SYN } from '../../../src/transport/utp/packet.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
/** Transmission dialling: ST_SYN, conn_id 39400, seq_nr 40282, wnd 262144, extension 2. */
const LIBUTP_SYN = hex('410299e8a9e1463700000000000400009d5a000000080000000000000000');
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
});
