import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AdvertTable } from '../../src/nat/adverts.js';
import { addressKey as advertKey } from '../../src/util/address-key.js';

const t = (i: number) => ({ host: `10.0.${i >> 8}.${i & 255}`, port: 7000 });

describe('AdvertTable (BEP 55 adverts)', () => {
  it('keys a canonical IPv4 literal as one number, anything else as text', () => {
    assert.equal(advertKey({ host: '10.0.1.2', port: 6881 }), ((10 * 256 + 0) * 256 * 256 + 1 * 256 + 2) * 65536 + 6881);
    assert.equal(advertKey({ host: '255.255.255.255', port: 65535 }), 2 ** 48 - 1);
    assert.equal(advertKey({ host: '010.0.1.2', port: 6881 }), '010.0.1.2|6881', 'a leading zero is another text');
    assert.equal(advertKey({ host: '10.0.1.256', port: 1 }), '10.0.1.256|1');
    assert.equal(advertKey({ host: '10.0.1', port: 1 }), '10.0.1|1');
    assert.equal(advertKey({ host: '::1', port: 1 }), '::1|1');
  });

  it('asks advertisers in the order they told us, skipping those that left', () => {
    const a = new AdvertTable<string>(10);
    a.add(t(1), 'A');
    a.add(t(1), 'B');
    a.add(t(1), 'A'); // told again: keeps its place
    a.add(t(1), 'C');
    a.add({ host: '::1', port: 7000 }, 'B');
    assert.equal(a.find(t(1), () => true), 'A');
    assert.equal(a.find(t(1), (p) => p !== 'A'), 'B');
    a.forget('B');
    assert.equal(a.find(t(1), (p) => p !== 'A'), 'C');
    assert.equal(a.find({ host: '::1', port: 7000 }, () => true), undefined);
    assert.equal(a.size, 1);
    assert.equal(a.pairCount, 2);
  });

  it('tells a repeat from a new pair after slots are reused: a forgotten advertiser\'s index, a dropped target\'s slot', () => {
    const a = new AdvertTable<string>(2);
    a.add(t(1), 'A');
    a.add(t(1), 'A');
    assert.equal(a.pairCount, 1, 'a repeat adds nothing');
    a.add(t(1), 'C'); // t(1) outlives A
    a.forget('A');
    a.add(t(2), 'B'); // B takes A's index: its row starts empty...
    a.add(t(1), 'B'); // ...so this is no repeat
    assert.equal(a.find(t(1), (p) => p !== 'C'), 'B');
    a.forget('C');
    assert.equal(a.pairCount, 2);
    a.add(t(3), 'B'); // past 2 targets: t(1) is dropped, t(3) may take its slot
    a.add(t(1), 'B'); // t(1) is new again (drops t(2)), not a repeat
    assert.equal(a.find(t(1), () => true), 'B');
    assert.equal(a.find(t(3), () => true), 'B');
    assert.equal(a.find(t(2), () => true), undefined);
    assert.equal(a.pairCount, 2);
    const b = new AdvertTable<string>(2);
    b.add(t(1), 'B');
    b.add(t(2), 'C');
    b.add(t(3), 'C'); // drops t(1), whose slot t(3) takes
    b.add(t(3), 'B'); // B's bit for that slot went with t(1): this is a new pair
    assert.equal(b.find(t(3), (p) => p !== 'C'), 'B');
    for (let i = 0; i < 70; i++) a.add(t(1), `P${i}`); // more advertisers than one row word holds
    a.add(t(1), 'P69');
    assert.equal(a.pairCount, 72);
  });

  it('forgets a pair its advertiser dropped (PEX dropped), keeping the target\'s other advertisers', () => {
    const a = new AdvertTable<string>(10);
    a.add(t(1), 'A');
    a.add(t(1), 'B');
    a.add(t(2), 'A');
    a.dropKey(advertKey(t(1)), 'A');
    assert.equal(a.find(t(1), () => true), 'B', 'A no longer relays to t(1)');
    assert.equal(a.find(t(2), () => true), 'A', 'A still relays to t(2)');
    a.dropKey(advertKey(t(1)), 'A'); // not paired any more: nothing
    a.dropKey(advertKey(t(9)), 'A'); // never heard of
    a.dropKey(advertKey(t(1)), 'Z'); // no such advertiser
    assert.equal(a.pairCount, 2);
    a.dropKey(advertKey(t(1)), 'B');
    assert.equal(a.size, 1, 'a target nobody advertises any more goes');
    a.add(t(1), 'A'); // told again after the drop: a new pair
    assert.equal(a.find(t(1), () => true), 'A');
    a.forget('A'); // its list stayed whole through the drops
    assert.equal(a.size, 0);
    assert.equal(a.pairCount, 0);
  });

  it('reuses its slots: peers coming and going, targets dropped past the limit, hold no more than the live pairs', () => {
    const a = new AdvertTable<number>(50);
    let most = 0;
    for (let round = 0; round < 200; round++) {
      for (let p = 0; p < 10; p++) for (let i = 0; i < 20; i++) a.add(t(round * 7 + p * 3 + i), round * 10 + p);
      most = Math.max(most, a.pairCount);
      if (round >= 2) for (let p = 0; p < 10; p++) a.forget((round - 2) * 10 + p);
      assert.ok(a.size <= 50);
    }
    const { targets, pairs } = a.capacity;
    assert.ok(targets <= 64, `${targets} target slots`);
    assert.ok(pairs <= 2 * most, `${pairs} pair slots, at most ${most} pairs at once`);
    for (let p = 0; p < 2000; p++) a.forget(p);
    assert.equal(a.size, 0);
    assert.equal(a.pairCount, 0);
  });
});
