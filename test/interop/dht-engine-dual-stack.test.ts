/**
 * The engine's DHT node (get / seed / the daemon) on the IPv4 wildcard runs dual stack
 * (BEP 32): an IPv6-only socket beside the IPv4 one, on the same port. Skipped without IPv6.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import { startDhtNode } from '../../src/session/dht-peers.js';

async function hasIPv6(): Promise<boolean> {
  const s = createSocket('udp6');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '::', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    s.close();
  }
}

describe('the engine DHT node', { skip: (await hasIPv6()) ? false : 'no IPv6 on this machine' }, () => {
  it('binds IPv4 and IPv6 on one port when listening on 0.0.0.0', async () => {
    const rt = createNodeRuntime();
    // A bootstrap that never answers: the node need only bind, not join.
    const v4 = await startDhtNode({ runtime: rt, host: '0.0.0.0', port: 0, bootstrap: ['127.0.0.1:9'] });
    assert.ok(v4, 'a node started');
    try {
      const port = v4.address.port;
      v4.close();
      const dht = await startDhtNode({ runtime: rt, host: '0.0.0.0', port, bootstrap: ['127.0.0.1:9'] });
      assert.ok(dht, 'a node started on the fixed port');
      try {
        assert.equal(dht.nodes.length, 2, 'dual stack');
        assert.equal(dht.address.port, port);
        assert.equal(dht.address6?.host, '::');
        assert.equal(dht.address6?.port, port, 'the IPv6-only socket shares the IPv4 port');
      } finally {
        dht.close();
      }
    } finally {
      rt.close();
    }
  });

  it('stays IPv4-only on a specific IPv4 address', async () => {
    const rt = createNodeRuntime();
    const dht = await startDhtNode({ runtime: rt, host: '127.0.0.1', bootstrap: ['127.0.0.1:9'] });
    assert.ok(dht);
    assert.equal(dht.nodes.length, 1);
    dht.close();
    rt.close();
  });
});
