/**
 * One rule for the key a source is counted under (src/util/source-key.ts), from a host string
 * or from bytes (the DHT peer store keys compact peers): the IPv4 address or the IPv6 /64, and
 * the /24 or /48 prefix. An IPv4-mapped IPv6 address keys as its IPv4 address in every form:
 * before, the peer store's own rule on compact bytes keyed an 18-byte `::ffff:a.b.c.d` peer by
 * its first 8 bytes (all zero), one source and one prefix for every such peer, and took no text.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodePeer, ipToBytes } from '../../src/util/compact-address.js';
import { prefixKey, sourceKey } from '../../src/util/source-key.js';

const forms = (host: string): (string | Uint8Array)[] => [host, ipToBytes(host)!, encodePeer({ host, port: 6881 })!];

describe('source keys', () => {
  it('keys an IPv4 address as itself and its /24, from text, 4 bytes or a 6-byte compact peer', () => {
    for (const a of forms('192.168.7.9')) {
      assert.equal(sourceKey(a), '192.168.7.9');
      assert.equal(prefixKey(a), '192.168.7.0/24');
    }
  });

  it('keys an IPv6 address as its /64 and its /48, from text, 16 bytes or an 18-byte compact peer', () => {
    for (const a of forms('fd00:1:2:3:4:5:6:7')) {
      assert.equal(sourceKey(a), 'fd00:1:2:3::/64');
      assert.equal(prefixKey(a), 'fd00:1:2::/48');
    }
    assert.equal(sourceKey('fd00:1:2:3::99'), sourceKey('fd00:1:2:3:ffff::1'), 'one /64, one source');
    assert.notEqual(sourceKey('fd00:1:2:3::1'), sourceKey('fd00:1:2:4::1'));
    assert.equal(prefixKey('fd00:1:2:3::1'), prefixKey('fd00:1:2:ffff::1'), 'one /48, one prefix');
  });

  it('keys an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as the IPv4 address, in every form', () => {
    for (const a of [...forms('::ffff:10.1.2.3'), '::FFFF:10.1.2.3', '::ffff:a01:203']) {
      assert.equal(sourceKey(a), '10.1.2.3');
      assert.equal(prefixKey(a), '10.1.2.0/24');
    }
    assert.notEqual(sourceKey('::ffff:10.1.2.3'), sourceKey('::ffff:10.1.2.4'), 'two mapped addresses are two sources');
  });

  it('keys a host name as itself, lower-cased', () => {
    assert.equal(sourceKey('Peer.LAN'), 'peer.lan');
    assert.equal(prefixKey('Peer.LAN'), 'peer.lan');
  });

  it('keys IPv4 text as its bytes would, canonical or not (the canonical fast path agrees with the parse)', () => {
    let x = 7;
    const octet = (): number => (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    for (let i = 0; i < 2000; i++) {
      const b = [octet(), octet(), octet(), i % 7 === 0 ? 0 : octet()];
      const text = b.join('.');
      assert.equal(sourceKey(text), text);
      assert.equal(sourceKey(text), sourceKey(Uint8Array.from(b)));
    }
    // Not canonical: the parse decides, as before the fast path.
    for (const a of ['01.2.3.4', '1.2.3.04', '256.1.1.1', '1.2.3', '1.2.3.4.5', ' 1.2.3.4', '1.2.3.4 ', '1..2.3', '-1.2.3.4', '1.2.3.4\n']) {
      const bytes = ipToBytes(a);
      assert.equal(sourceKey(a), bytes?.length === 4 ? sourceKey(bytes) : a.toLowerCase(), a);
    }
  });

  it('refuses bytes of any other length with a RangeError', () => {
    assert.throws(() => sourceKey(new Uint8Array(5)), RangeError);
    assert.throws(() => prefixKey(new Uint8Array(0)), RangeError);
  });
});
