/**
 * The one compact-address codec shared by PEX, the DHT and trackers: strict IP literal
 * parsing (the three codecs used to disagree on `01.2.3.4`), canonical text, compact forms.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4 as nodeIsIPv4, isIPv6 as nodeIsIPv6 } from 'node:net';
import {
  bytesToIp, decodeCompactList, decodePeer, encodeCompactList, encodePeer, ipFamily, ipToBytes, ipv4Bytes, parseIPv4, parseIPv6,
} from '../../src/util/compact-address.js';
import { ipBytes as dhtIpBytes, encodePeer as dhtEncodePeer } from '../../src/dht/compact.js';
import { ipv4Bytes as trackerIpv4Bytes, ipInto } from '../../src/tracker/compact.js';
import { ipToBytes as wireIpToBytes } from '../../src/wire/compact.js';

describe('IP literals', () => {
  it('refuses dotted quads with leading zeros, out-of-range parts or the wrong number of parts, in every layer', () => {
    for (const bad of ['01.2.3.4', '1.2.3.04', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1..2.3', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.-4', '0x1.2.3.4', '']) {
      assert.equal(parseIPv4(bad), -1, bad);
      assert.equal(ipToBytes(bad), undefined, bad);
      assert.equal(dhtIpBytes(bad), undefined, `dht ${bad}`);
      assert.equal(trackerIpv4Bytes(bad), undefined, `tracker ${bad}`);
      assert.equal(wireIpToBytes(bad), undefined, `wire ${bad}`);
      assert.equal(ipInto(bad, new Uint8Array(16)), 0, `tracker ipInto ${bad}`);
    }
  });

  it('reads valid dotted quads, 0 and 255 parts included', () => {
    assert.deepEqual([...ipToBytes('0.0.0.0')!], [0, 0, 0, 0]);
    assert.deepEqual([...ipToBytes('255.255.255.255')!], [255, 255, 255, 255]);
    assert.deepEqual([...ipToBytes('10.0.20.3')!], [10, 0, 20, 3]);
    assert.equal(parseIPv4('192.168.1.1'), 0xc0a80101);
  });

  it('agrees with Node on which strings are IP literals', () => {
    const samples = ['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::2::3', '1:2:3:4:5:6:7:8:9', ':1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:', '::ffff:1.2.3.4', '::ffff:01.2.3.4', '::1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:7:1.2.3.4', 'fe80::1%eth0',
      '12345::', 'g::', 'FFFF::abcd', '1.2.3.4', '01.2.3.4', 'example.org', 'fe80::1%'];
    for (const s of samples) {
      assert.equal(parseIPv6(s) !== undefined, nodeIsIPv6(s), `IPv6 ${s}`);
      assert.equal(parseIPv4(s) >= 0, nodeIsIPv4(s), `IPv4 ${s}`);
      assert.equal(ipFamily(s), nodeIsIPv4(s) ? 4 : nodeIsIPv6(s) ? 6 : 0, `family ${s}`);
    }
  });

  it('writes IPv6 canonically (RFC 5952) and reads its own output back', () => {
    const cases: [string, string][] = [['2001:DB8:0:0:0:0:0:1', '2001:db8::1'], ['0:0:0:0:0:0:0:0', '::'], ['1:0:0:2:0:0:0:3', '1:0:0:2::3'],
      ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'], ['::ffff:1.2.3.4', '::ffff:102:304'], ['fe80::1%eth0', 'fe80::1']];
    for (const [input, canonical] of cases) {
      const b = parseIPv6(input)!;
      assert.equal(bytesToIp(b), canonical, input);
      assert.deepEqual(parseIPv6(canonical), b);
    }
  });

  it('reads an IPv4-mapped IPv6 address as IPv4 where a tracker needs 4 bytes', () => {
    assert.deepEqual([...ipv4Bytes('::ffff:10.1.2.3')!], [10, 1, 2, 3]);
    assert.equal(ipv4Bytes('::1'), undefined);
    const out = new Uint8Array(16);
    assert.equal(ipInto('::ffff:10.1.2.3', out), 4);
    assert.equal(ipInto('2001:db8::1', out), 16);
  });
});

describe('compact addresses', () => {
  it('round-trips IPv4 and IPv6 peers and refuses bad ports and host names', () => {
    for (const a of [{ host: '10.0.0.1', port: 6881 }, { host: '2001:db8::7', port: 51413 }, { host: '::', port: 1 }]) {
      const b = encodePeer(a)!;
      assert.equal(b.length, a.host.includes(':') ? 18 : 6);
      assert.deepEqual(decodePeer(b), a);
      assert.deepEqual(dhtEncodePeer(a), b, 'the DHT encodes the same bytes');
    }
    assert.equal(encodePeer({ host: '10.0.0.1', port: 65536 }), undefined);
    assert.equal(encodePeer({ host: '10.0.0.1', port: -1 }), undefined);
    assert.equal(encodePeer({ host: 'tracker.example', port: 80 }), undefined);
    assert.equal(encodePeer({ host: '01.0.0.1', port: 80 }), undefined);
    assert.equal(decodePeer(new Uint8Array(7)), undefined, 'neither 6 nor 18 bytes');
    assert.equal(decodePeer(Uint8Array.of(10, 0, 0, 1, 0, 0)), undefined, 'port 0');
  });

  it('decodes lists skipping port-0 entries and a trailing partial entry; encodes one family, skipping the others', () => {
    const list = encodeCompactList([{ host: '10.0.0.1', port: 1 }, { host: '2001:db8::1', port: 2 }, { host: '10.0.0.2', port: 3 }, { host: 'name', port: 4 }], 4);
    assert.equal(list.length, 12);
    const withJunk = new Uint8Array([...list, 10, 0, 0, 3, 0, 0, 9, 9, 9]);
    assert.deepEqual(decodeCompactList(withJunk, 4), [{ host: '10.0.0.1', port: 1 }, { host: '10.0.0.2', port: 3 }]);
    const six = encodeCompactList([{ host: '10.0.0.1', port: 1 }, { host: '2001:db8::1', port: 2 }], 6);
    assert.deepEqual(decodeCompactList(six, 6), [{ host: '2001:db8::1', port: 2 }]);
  });
});
