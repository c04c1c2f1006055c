import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RING_SIZE, addPow2, closerTo, cw, digit, gap, idFromDigest, inHalfOpen, inOpen, sharedPrefix } from '../../src/overlays/common/ring.js';
import { AddressTable, parseKey } from '../../src/overlays/common/addresses.js';
import { ByteReader, ByteWriter, OverlayMessageError } from '../../src/overlays/common/binary.js';
import { ChordRouting } from '../../src/overlays/chord/routing.js';
import { LeafSet } from '../../src/overlays/pastry/leaf-set.js';
import { RoutingTable } from '../../src/overlays/pastry/routing-table.js';
import { SeededRandom } from '../../src/runtime/random.js';

const big = (x: number): bigint => BigInt(x);

describe('48-bit ring arithmetic', () => {
  it('measures clockwise and shortest distances, wrapping at 2^48', () => {
    assert.equal(cw(10, 20), 10);
    assert.equal(cw(20, 10), RING_SIZE - 10);
    assert.equal(gap(20, 10), 10);
    assert.equal(addPow2(RING_SIZE - 1, 0), 0);
    assert.ok(inHalfOpen(5, 1, 5) && !inHalfOpen(1, 1, 5) && inHalfOpen(0, RING_SIZE - 2, 3));
    assert.ok(inOpen(3, 1, 5) && !inOpen(5, 1, 5) && inOpen(9, 7, 7) && !inOpen(7, 7, 7));
  });

  it('takes digits and shared prefixes exactly like big-integer arithmetic', () => {
    const r = new SeededRandom(1);
    for (let n = 0; n < 2000; n++) {
      const a = r.int(2 ** 24) * 2 ** 24 + r.int(2 ** 24);
      const c = n % 3 === 0 ? a : r.int(2 ** 24) * 2 ** 24 + r.int(2 ** 24);
      for (const b of [1, 2, 4, 8]) {
        let shared = 0;
        for (let i = 0; i < 48 / b; i++) {
          const shift = big(48 - b * (i + 1));
          const da = Number((big(a) >> shift) & big((1 << b) - 1));
          assert.equal(digit(a, i, b), da);
          if (shared === i && da === Number((big(c) >> shift) & big((1 << b) - 1))) shared++;
        }
        assert.equal(sharedPrefix(a, c, b), shared);
      }
    }
  });

  it('reads ids from digests and breaks closeness ties deterministically', () => {
    assert.equal(idFromDigest(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1])), RING_SIZE - 1);
    assert.ok(closerTo(100, 99, 102));
    assert.ok(closerTo(100, 98, 102) !== closerTo(100, 102, 98));
  });
});

describe('overlay byte codecs', () => {
  it('round-trips integers and rejects reads past the end', () => {
    const w = new ByteWriter(13).u8(7).u16(0xbeef).u32(0xdeadbeef).u48(RING_SIZE - 3);
    const r = new ByteReader(w.finish());
    assert.deepEqual([r.u8(), r.u16(), r.u32(), r.u48()], [7, 0xbeef, 0xdeadbeef, RING_SIZE - 3]);
    r.end();
    assert.throws(() => r.u8(), OverlayMessageError);
    assert.throws(() => new ByteReader(Uint8Array.of(1, 2)).end(), OverlayMessageError);
  });

  it('packs IPv4 addresses into keys and back, reusing registered objects', () => {
    const t = new AddressTable();
    const a = { host: '10.0.1.2', port: 7000 };
    const key = t.register(a);
    assert.equal(key, parseKey({ host: '10.0.1.2', port: 7000 }));
    assert.equal(t.get(key), a);
    assert.deepEqual(t.get(parseKey({ host: '127.0.0.1', port: 9 })), { host: '127.0.0.1', port: 9 });
    assert.equal(parseKey({ host: '::1', port: 1 }), -1);
    assert.equal(parseKey({ host: '10.0.0.256', port: 1 }), -1);
    // The project's one strict parser: the overlays once read these as 1.2.3.4 and 1.2.3.100.
    for (const bad of ['01.2.3.4', '1.2.3.04', ' 1.2.3.4', '0x1.2.3.4', '1.2.3.1e2', '1.2.3.+4']) assert.equal(parseKey({ host: bad, port: 1 }), -1, bad);
  });
});

describe('Chord routing state', () => {
  it('keeps fingers pointing at the first node at or after each start', () => {
    const r = new ChordRouting(0, 1, 4);
    r.setSuccessors(1000, 2, null);
    const ids = [1000, 5000, 2 ** 20, 2 ** 40, 2 ** 47 + 5];
    r.fingersFromHints({ ids, keys: ids.map((_, i) => i + 2) });
    for (let i = r.firstFinger(); i < 48; i++) {
      const start = r.fingerStart(i);
      const best = ids.reduce((b, x) => (cw(start, x) < cw(start, b) ? x : b));
      assert.equal(r.fingerId(i), best, `finger ${i}`);
    }
    assert.equal(r.firstFinger(), 10); // 2^10 = 1024 > 1000
    const out: number[] = [];
    const keys: number[] = [];
    r.closestPreceding(2 ** 40 + 1, 2, out, keys);
    assert.deepEqual(out, [2 ** 40, 2 ** 20]);
  });

  it('claims a key only between its predecessor and itself, and not once cut off', () => {
    const r = new ChordRouting(100, 1, 4);
    assert.ok(r.owns(5), 'alone on the ring, it owns everything');
    r.setSuccessors(200, 2, null);
    r.remove(2);
    assert.ok(!r.owns(5), 'lost every successor: not alone, so no claim');
    r.setPred(50, 3);
    assert.ok(r.owns(60) && r.owns(100) && !r.owns(50) && !r.owns(101));
  });
});

describe('Pastry state', () => {
  it('keeps the closest leaves on each side and finds the numerically closest', () => {
    const l = new LeafSet(1000, 2);
    for (const [id, key] of [[900, 1], [950, 2], [1100, 3], [1010, 4], [500, 5], [3000, 6]]) l.consider(id, key, 99);
    assert.deepEqual(Array.from(l.right.ids.subarray(0, l.right.count)), [1010, 1100]);
    assert.deepEqual(Array.from(l.left.ids.subarray(0, l.left.count)), [950, 900]);
    assert.ok(l.covers(1050) && !l.covers(5000));
    assert.equal(l.closest(1004, 99).key, 99);
    assert.equal(l.closest(1006, 99).key, 4);
  });

  it('puts a node in the row of the shared prefix and the column of its next digit', () => {
    const t = new RoutingTable(0x123456789abc, 4);
    assert.equal(t.consider(0x12f000000000, 7, NaN), 'added');
    assert.equal(t.keyAt(2, 0xf), 7);
    assert.equal(t.consider(0x12f111111111, 8, NaN), 'kept', 'unknown RTT does not displace');
    assert.equal(t.consider(0x12f111111111, 8, 10), 'replaced', 'a measured RTT beats an unknown one');
    assert.equal(t.consider(0x12f222222222, 9, 20), 'kept', 'a slower node does not');
    assert.deepEqual(t.remove(0x12f111111111, 8), [2, 0xf]);
    assert.equal(t.size, 0);
  });
});
