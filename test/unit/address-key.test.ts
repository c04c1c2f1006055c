/**
 * `addressKey` (util/address-key.ts): a number for a canonical IPv4 literal, `host|port` text
 * otherwise, and two addresses share a key exactly when their host texts and ports are equal
 * (the peer pool's tables were keyed by `host:port` text before; their behaviour must not change).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { addressKey } from '../../src/util/address-key.js';
import { parseIPv4 } from '../../src/util/compact-address.js';

const hosts = ['10.0.0.1', '10.0.0.10', '100.0.0.1', '1.0.0.01', '010.0.0.1', '255.255.255.255', '0.0.0.0', '256.0.0.1', '1.2.3', '1.2.3.4.5',
  '1..2.3', '.1.2.3', '1.2.3.', '1.2.3.4 ', ' 1.2.3.4', '::1', 'fd00::1', '::ffff:10.0.0.1', 'example', '', '1.2.3.1000', '0x1.2.3.4'];
const ports = [0, 1, 6881, 65535];

describe('addressKey', () => {
  it('is a number exactly for canonical IPv4 literals, and matches the strict parser', () => {
    for (const host of hosts) for (const port of ports) {
      const k = addressKey({ host, port });
      const ip = parseIPv4(host);
      if (ip >= 0) assert.equal(k, ip * 65536 + port, host);
      else assert.equal(typeof k, 'string', host);
    }
  });

  it('gives two addresses the same key exactly when host text and port are equal', () => {
    const seen = new Map<number | string, string>();
    for (const host of hosts) for (const port of ports) {
      const k = addressKey({ host, port });
      const was = seen.get(k);
      assert.equal(was, undefined, `${host}:${port} collides with ${was}`);
      seen.set(k, `${host}:${port}`);
      assert.equal(addressKey({ host, port }), k, 'stable');
    }
  });
});
