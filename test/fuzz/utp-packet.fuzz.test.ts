/**
 * Fuzzing the BEP 29 uTP packet codec with a fixed seed: random and mutated datagrams may only
 * ever raise `UtpPacketError`; every encoded packet decodes back to itself.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodePacket, encodePacket, looksLikeUtp, UtpPacketError, PACKET_LIMITS, type UtpPacket, type UtpPacketType } from '../../src/transport/utp/packet.js';
import { assertMutants, assertOnly, byteMutation } from './mutations.js';

const SEED = 29_2009;
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const packet: fc.Arbitrary<UtpPacket> = fc
  .record({
    type: fc.constantFrom<UtpPacketType>(0, 1, 2, 3, 4),
    connectionId: u16,
    timestamp: u32,
    timestampDiff: u32,
    windowSize: u32,
    seqNr: u16,
    ackNr: u16,
    sackWords: fc.integer({ min: 0, max: 8 }),
    sackSeed: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    payload: fc.uint8Array({ minLength: 1, maxLength: 64 }),
  })
  .map(({ sackWords, sackSeed, payload, ...h }) => {
    const p: UtpPacket = { ...h, payload: h.type === 0 ? payload : new Uint8Array(0) };
    if (sackWords > 0) p.selectiveAck = sackSeed.slice(0, sackWords * 4);
    return p;
  });

function onlyPacketErrors(data: Uint8Array): void {
  try {
    decodePacket(data);
  } catch (e) {
    assertOnly(e, UtpPacketError, () => Buffer.from(data).toString('hex'));
  }
}

/** Past edge cases, kept so they stay rejected with a typed error. */
const CORPUS = [
  '41000001', // short
  '5100000000000000000000000000000000000000', // type 5
  '4200000000000000000000000000000000000000', // version 2
  '0100000000000000000000000000000000000000', // DATA without payload
  '21000000000000000000000000000000000000ff', // a bare STATE header (valid)
  '2101000000000000000000000000000000000000', // sack extension header missing
  '21010000000000000000000000000000000000000003aabbcc', // sack of 3 bytes (libtorrent sends these; valid)
  '2101' + '00'.repeat(18) + '0000', // sack of 0 bytes
  '210100000000000000000000000000000000000000ff', // sack runs past the end
  '2102000000000000000000000000000000000000020000', // unknown extension chain into another unknown
  '21010000000000000000000000000000000000000104aabbccdd0004aabbccdd', // two sacks
].map((h) => Uint8Array.from(Buffer.from(h, 'hex')));

describe('uTP packet fuzzing', () => {
  it('decodes what it encodes', () => {
    fc.assert(fc.property(packet, (p) => {
      const bytes = encodePacket(p);
      assert.ok(looksLikeUtp(bytes));
      const q = decodePacket(bytes);
      assert.deepEqual({ ...q, payload: [...q.payload], selectiveAck: q.selectiveAck && [...q.selectiveAck] }, { ...p, payload: [...p.payload], selectiveAck: p.selectiveAck && [...p.selectiveAck] });
    }), { seed: SEED, numRuns: 3000 });
  });

  it('raises only UtpPacketError on random bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 120 }), (b) => onlyPacketErrors(b)), { seed: SEED, numRuns: 5000 });
  });

  it('raises only UtpPacketError on mutated valid packets and the corpus', () => {
    for (const c of CORPUS) onlyPacketErrors(c);
    const mutations = byteMutation({ splice: fc.uint8Array({ maxLength: 12 }), maxDuplicate: 16, set: [0, 1, 2, 4, 0x21, 0x41, 0xff] });
    fc.assert(fc.property(packet, (p) => {
      assertMutants(encodePacket(p), mutations, (m) => onlyPacketErrors(m), { seed: SEED, numRuns: 5 });
    }), { seed: SEED, numRuns: 400 });
  });

  it('rejects a selective ACK longer than maxSelectiveAckBytes and a chain longer than maxExtensions', () => {
    const big = encodePacket({ type: 2, connectionId: 1, timestamp: 0, timestampDiff: 0, windowSize: 0, seqNr: 0, ackNr: 0, payload: new Uint8Array(0), selectiveAck: new Uint8Array(PACKET_LIMITS.maxSelectiveAckBytes + 4) });
    assert.throws(() => decodePacket(big), UtpPacketError);
    assert.doesNotThrow(() => decodePacket(big, { ...PACKET_LIMITS, maxSelectiveAckBytes: 256 }));
    // A chain of 9 empty unknown extensions (type 2), one more than the default limit.
    const chain = new Uint8Array(20 + 9 * 2);
    chain[0] = 0x21;
    chain[1] = 2;
    for (let i = 0; i < 9; i++) { chain[20 + 2 * i] = i < 8 ? 2 : 0; chain[21 + 2 * i] = 0; }
    assert.throws(() => decodePacket(chain), /more than 8 extensions/);
    assert.equal(decodePacket(chain, { ...PACKET_LIMITS, maxExtensions: 9 }).type, 2);
  });

  it('accepts the short selective ACKs libtorrent sends (1 byte) and rejects an empty one', () => {
    const oneByte = Uint8Array.from(Buffer.from('2101f3133b066eac3a527698000ff5107d5f84a300010f', 'hex'));
    assert.deepEqual([...(decodePacket(oneByte).selectiveAck ?? [])], [0x0f]);
    assert.throws(() => decodePacket(Uint8Array.from(Buffer.from('2101' + '00'.repeat(18) + '0000', 'hex'))), /0 bytes/);
  });

  it('tells uTP from DHT and other datagrams by the first byte', () => {
    const dht = new TextEncoder().encode('d1:ad2:id20:xxxxxxxxxxxxxxxxxxxxe1:q4:ping1:t2:aa1:y1:qe');
    assert.equal(looksLikeUtp(dht), false);
    assert.equal(looksLikeUtp(CORPUS[1]), false);
    assert.equal(looksLikeUtp(CORPUS[4]), true);
  });
});
