/**
 * Issue 13: announces leave from the listen address, so a tracker records an address that
 * answers. A client told to listen on 127.0.0.5 announces over HTTP and UDP; another client
 * asking the same tracker is given 127.0.0.5, not the system's default source address.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import { TrackerClient } from '../../src/tracker/announcer.js';
import { startTrackerServer } from '../../src/tracker/server.js';
import type { AnnounceRequest } from '../../src/tracker/types.js';
import { announceBindHost } from '../../src/session/announcer.js';

const infoHash = new Uint8Array(20).fill(7);
const req = (n: number, port: number): AnnounceRequest => ({
  infoHash, peerId: new Uint8Array(20).fill(n), port, uploaded: 0, downloaded: 0, left: 100, event: 'started', numwant: 50,
});

describe('announces from the listen address', () => {
  for (const transport of ['http', 'udp'] as const) {
    it(`a ${transport.toUpperCase()} announce made with a concrete listen host is recorded at that host`, async () => {
      const runtime = createNodeRuntime();
      const server = await startTrackerServer({ runtime, http: { host: '127.0.0.1', port: 0 }, udp: { host: '127.0.0.1', port: 0 }, intervalSeconds: 60 });
      const at = transport === 'http' ? server.http!.address : server.udp!.address;
      const url = `${transport}://127.0.0.1:${at.port}/announce`;
      const bound = announceBindHost('127.0.0.5');
      const ours = new TrackerClient({ clock: runtime.clock, random: runtime.random, udp: runtime.udp, http: runtime.http, dns: runtime.dns, httpLocalHost: bound, udpBind: bound ? { host: bound, port: 0 } : undefined, udpMaxRetries: 1 });
      const other = new TrackerClient({ clock: runtime.clock, random: runtime.random, udp: runtime.udp, http: runtime.http, udpMaxRetries: 1 });
      try {
        await ours.announce(url, req(1, 6881));
        const seen = await other.announce(url, req(2, 6882));
        assert.deepEqual(seen.peers.map((p) => `${p.host}:${p.port}`), ['127.0.0.5:6881']);
      } finally {
        ours.close();
        other.close();
        await server.close();
        runtime.close();
      }
    });
  }

  it('leaves the choice to the system for a wildcard listen address', () => {
    assert.equal(announceBindHost('0.0.0.0'), undefined);
    assert.equal(announceBindHost('::'), undefined);
    assert.equal(announceBindHost(undefined), undefined);
    assert.equal(announceBindHost('10.1.2.3'), '10.1.2.3');
  });
});
