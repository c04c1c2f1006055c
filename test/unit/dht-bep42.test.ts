import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compliantNodeId, crc32c, ExternalIpVoter, isCompliantNodeId, isExemptIp } from '../../src/dht/bep42.js';
import { idToHex } from '../../src/dht/node-id.js';
import { SeededRandom } from '../../src/runtime/random.js';

describe('BEP 42', () => {
  it('computes CRC-32C', () => {
    assert.equal(crc32c(new TextEncoder().encode('123456789')), 0xe3069283);
  });

  // The test vectors of BEP 42: the first 21 bits and the last byte are fixed by IP and rand.
  const vectors: [string, number, string][] = [
    ['124.31.75.21', 1, '5fbfbf'],
    ['21.75.31.124', 86, '5a3ce9'],
    ['65.23.51.170', 22, 'a5d432'],
    ['84.124.73.14', 65, '1b0321'],
    ['43.213.53.83', 90, 'e56f6c'],
  ];
  for (const [ip, rand, prefix] of vectors) {
    it(`generates a compliant id for ${ip} (rand ${rand})`, () => {
      const id = compliantNodeId(ip, new SeededRandom(rand), rand);
      const hex = idToHex(id);
      assert.equal(hex.slice(0, 5), prefix.slice(0, 5));
      assert.equal(parseInt(hex.slice(4, 6), 16) & 0xf8, parseInt(prefix.slice(4, 6), 16) & 0xf8);
      assert.equal(parseInt(hex.slice(38), 16), rand);
      assert.ok(isCompliantNodeId(id, ip));
      assert.equal(isCompliantNodeId(id, '8.8.8.8'), false);
    });
  }

  it('exempts private, loopback and link-local addresses', () => {
    for (const ip of ['10.1.2.3', '127.0.0.1', '192.168.0.1', '172.16.5.5', '169.254.1.1', '::1', 'fd00::1', 'fe80::1']) assert.ok(isExemptIp(ip), ip);
    for (const ip of ['8.8.8.8', '172.32.0.1', '2001:db8::1']) assert.equal(isExemptIp(ip), false, ip);
  });

  it('decides the external IP by a clear majority of distinct voters', () => {
    const v = new ExternalIpVoter({ minVotes: 3 });
    assert.equal(v.vote('1.1.1.1', '9.9.9.9'), undefined);
    assert.equal(v.vote('1.1.1.1', '9.9.9.9'), undefined, 'the same voter counts once');
    assert.equal(v.vote('2.2.2.2', '9.9.9.9'), undefined);
    assert.equal(v.vote('3.3.3.3', '9.9.9.9'), '9.9.9.9');
    assert.equal(v.external, '9.9.9.9');
    assert.equal(v.vote('4.4.4.4', '7.7.7.7'), undefined);
  });
});
