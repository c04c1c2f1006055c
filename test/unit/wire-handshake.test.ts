import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/runtime/random.js';
import {
  HANDSHAKE_LENGTH, PEER_ID_PREFIX, RESERVED_DHT, RESERVED_EXTENSION_PROTOCOL, RESERVED_FAST, RESERVED_V2_UPGRADE,
  decodeHandshake, decodeHandshakeHeader, encodeHandshake, featuresOf, generatePeerId, hasReservedBit, makeReserved, setReservedBit,
} from '../../src/wire/handshake.js';
import { PeerProtocolError } from '../../src/wire/errors.js';

const bytes = (n: number, v: number) => new Uint8Array(n).fill(v);

describe('wire handshake (BEP 3)', () => {
  it('encodes the 68-byte layout: pstrlen, pstr, reserved, info hash, peer id', () => {
    const h = { reserved: makeReserved({ fast: true }), infoHash: bytes(20, 0xaa), peerId: bytes(20, 0xbb) };
    const b = encodeHandshake(h);
    assert.equal(b.length, HANDSHAKE_LENGTH);
    assert.equal(b[0], 19);
    assert.equal(Buffer.from(b.subarray(1, 20)).toString('latin1'), 'BitTorrent protocol');
    assert.deepEqual(b.subarray(20, 28), Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0x04]));
    assert.deepEqual(b.subarray(28, 48), h.infoHash);
    assert.deepEqual(b.subarray(48, 68), h.peerId);
    assert.deepEqual(decodeHandshake(b), h);
  });

  it('exposes the info hash from the first 48 bytes, before the peer id arrives', () => {
    const b = encodeHandshake({ reserved: bytes(8, 0), infoHash: bytes(20, 7), peerId: bytes(20, 9) });
    assert.deepEqual(decodeHandshakeHeader(b.subarray(0, 48)).infoHash, bytes(20, 7));
  });

  it('rejects another protocol string or length with a PeerProtocolError', () => {
    const b = encodeHandshake({ reserved: bytes(8, 0), infoHash: bytes(20, 7), peerId: bytes(20, 9) });
    const wrongLength = b.slice();
    wrongLength[0] = 18;
    const wrongText = b.slice();
    wrongText[5] ^= 0x20;
    for (const x of [wrongLength, wrongText, b.subarray(0, 47), b.subarray(0, 67)]) {
      assert.throws(() => decodeHandshake(x), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'bad_handshake');
    }
  });

  it('refuses to encode fields of the wrong size (a bug of ours, not the peer)', () => {
    assert.throws(() => encodeHandshake({ reserved: bytes(8, 0), infoHash: bytes(32, 0), peerId: bytes(20, 0) }), RangeError);
  });

  it('sets and reads the reserved bits of BEP 10, 6, 5 and 52', () => {
    assert.deepEqual(RESERVED_EXTENSION_PROTOCOL, { byte: 5, mask: 0x10 });
    assert.deepEqual(RESERVED_FAST, { byte: 7, mask: 0x04 });
    assert.deepEqual(RESERVED_DHT, { byte: 7, mask: 0x01 });
    assert.deepEqual(RESERVED_V2_UPGRADE, { byte: 7, mask: 0x10 });
    const r = makeReserved({ extensionProtocol: true, fast: true, dht: true, v2Upgrade: true });
    assert.deepEqual(r, Uint8Array.from([0, 0, 0, 0, 0, 0x10, 0, 0x15]));
    assert.deepEqual(featuresOf(r), { extensionProtocol: true, fast: true, dht: true, v2Upgrade: true });
    setReservedBit(r, RESERVED_FAST, false);
    assert.equal(hasReservedBit(r, RESERVED_FAST), false);
    assert.equal(hasReservedBit(r, RESERVED_DHT), true);
  });

  it('generates Azureus-style peer ids from the seeded random source', () => {
    const a = generatePeerId(new SeededRandom(1));
    const b = generatePeerId(new SeededRandom(1));
    const c = generatePeerId(new SeededRandom(2));
    assert.equal(a.length, 20);
    assert.equal(Buffer.from(a.subarray(0, 8)).toString('latin1'), PEER_ID_PREFIX);
    assert.match(Buffer.from(a.subarray(8)).toString('latin1'), /^[0-9A-Za-z]{12}$/);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.throws(() => generatePeerId(new SeededRandom(1), 'x'.repeat(21)), RangeError);
  });
});
