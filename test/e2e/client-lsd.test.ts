/**
 * Local peer discovery (BEP 14) through the library's `createClient`: two clients on loopback
 * (127.0.0.95 and .96), no tracker, no DHT, no peer given. The leecher starts with discovery
 * off, adds the torrent (registered while off), then turns it on and finds the seeder by
 * multicast alone. A private group port keeps other tests' announces out.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { createClient } from '../../src/session/client.js';
import { makeTorrent, waitFor } from '../daemon/service-helpers.js';

const GROUP_PORT = 16_771;
let dir: string;
let runtime: NodeRuntime;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-client-lsd-'));
  runtime = createNodeRuntime({ unrefTimers: true });
});
after(() => {
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

it('a client turning local discovery on finds a seeding client by multicast alone and downloads', { timeout: 60_000 }, async (t) => {
  const probe = await runtime.multicast.join({ host: '239.192.152.143', port: GROUP_PORT }, { interfaceHost: '127.0.0.1' }).catch(() => undefined);
  if (!probe) return t.skip('no multicast on loopback here');
  probe.close();
  const src = await makeTorrent(join(dir, 'src'), 'lsd-lib', [{ path: 'a.bin', length: 200_000 }]);
  const logs: string[] = [];
  const seeder = await createClient(runtime, { stateDir: join(dir, 'seeder'), listen: { host: '127.0.0.95', port: 0 }, lsd: { groupPort: GROUP_PORT } });
  const leecher = await createClient(runtime, { stateDir: join(dir, 'leecher'), listen: { host: '127.0.0.96', port: 0 }, lsd: { enabled: false, groupPort: GROUP_PORT, log: (l) => logs.push(l) } });
  try {
    await seeder.addTorrent({ torrent: src.torrent, downloadDir: join(dir, 'src') });
    const got = await leecher.addTorrent({ torrent: src.torrent, downloadDir: join(dir, 'dl') });
    assert.equal(got.status().peers, 0);
    leecher.setLsdEnabled(true);
    await waitFor('leecher complete', () => got.status().complete);
    assert.deepEqual(readFileSync(join(dir, 'dl', 'lsd-lib', 'a.bin')), readFileSync(join(src.root, 'a.bin')));
    assert.ok(logs.some((l) => /local peer discovery on \d multicast group/.test(l)), logs.join('\n'));
  } finally {
    await leecher.close();
    await seeder.close();
  }
});
