import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Bitfield } from '../../src/wire/bitfield.js';
import { PeerProtocolError } from '../../src/wire/errors.js';
import { allowedFastSet } from '../../src/wire/fast-set.js';

describe('wire bitfield (BEP 3 order)', () => {
  it('puts piece 0 in the high bit of byte 0', () => {
    const b = new Bitfield(10);
    b.set(0);
    b.set(9);
    assert.deepEqual(b.bytes, Uint8Array.from([0x80, 0x40]));
    assert.equal(b.count, 2);
    assert.equal(b.has(9), true);
    assert.equal(b.has(10), false);
    assert.equal(b.set(9), false, 'already set');
    assert.equal(b.clear(9), true);
    assert.equal(b.count, 1);
  });

  it('accepts a peer bitfield of the exact length with zero spare bits', () => {
    const b = Bitfield.fromWire(Uint8Array.from([0xff, 0xc0]), 10);
    assert.equal(b.count, 10);
    assert.equal(b.complete, true);
  });

  it('rejects a peer bitfield of the wrong length', () => {
    for (const [bytes, n] of [[[0xff], 10], [[0xff, 0xc0, 0], 10], [[], 7]] as const) {
      assert.throws(() => Bitfield.fromWire(Uint8Array.from(bytes), n), (e: unknown) => e instanceof PeerProtocolError && e.violation === 'bad_bitfield');
    }
  });

  it('clears spare bits set past the last piece instead of refusing them, as libtorrent does', () => {
    const b = Bitfield.fromWire(Uint8Array.from([0xff, 0xff]), 10);
    assert.equal(b.count, 10);
    assert.deepEqual(b.bytes, Uint8Array.from([0xff, 0xc0]));
    assert.equal(Bitfield.fromWire(Uint8Array.from([0x01]), 7).count, 0);
  });

  it('builds a full bitfield with clear spare bits', () => {
    assert.deepEqual(Bitfield.full(10).bytes, Uint8Array.from([0xff, 0xc0]));
    assert.deepEqual(Bitfield.full(16).bytes, Uint8Array.from([0xff, 0xff]));
  });
});

describe('wire allowed-fast set (BEP 6)', () => {
  const infoHash = new Uint8Array(20).fill(0xaa);
  it('reproduces the BEP 6 test vectors', () => {
    assert.deepEqual(allowedFastSet(7, 1313, infoHash, '80.4.4.200'), [1059, 431, 808, 1217, 287, 376, 1188]);
    assert.deepEqual(allowedFastSet(9, 1313, infoHash, '80.4.4.200'), [1059, 431, 808, 1217, 287, 376, 1188, 353, 508]);
  });
  it('depends only on the /24 of the address', () => {
    assert.deepEqual(allowedFastSet(7, 1313, infoHash, '80.4.4.1'), allowedFastSet(7, 1313, infoHash, '80.4.4.200'));
  });
  it('caps k at the piece count and is empty for IPv6', () => {
    assert.deepEqual(allowedFastSet(10, 3, infoHash, '1.2.3.4').sort(), [0, 1, 2]);
    assert.deepEqual(allowedFastSet(10, 100, infoHash, '::1'), []);
  });
});
