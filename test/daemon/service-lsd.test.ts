/**
 * The daemon's local peer discovery (BEP 14): two daemons on loopback (127.0.0.93 and .94)
 * with `lsd: true`, no tracker, no DHT, no peer given: one has the data, the other finds it
 * by multicast alone and downloads. A private torrent (BEP 27) is never announced.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonService } from '../../src/daemon/service/service.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { makeTorrent, waitFor } from './service-helpers.js';

let dir: string;
let runtime: NodeRuntime;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-daemon-lsd-'));
  runtime = createNodeRuntime({ unrefTimers: true });
});
after(() => {
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

it('two daemons with lsd on find each other by multicast alone and one downloads from the other', { timeout: 60_000 }, async (t) => {
  const probe = await runtime.multicast.join({ host: '239.192.152.143', port: 6771 }, { interfaceHost: '127.0.0.1' }).catch(() => undefined);
  if (!probe) return t.skip('no multicast on loopback here');
  probe.close();
  const src = await makeTorrent(join(dir, 'src'), 'lsd-album', [{ path: 'a.bin', length: 300_000 }, { path: 'b.bin', length: 5_000 }]);
  const open = (name: string, host: string) => DaemonService.create({ runtime, stateDir: join(dir, `${name}-state`), downloadDir: join(dir, `${name}-dl`), listen: { host, port: 0 }, dhtBootstrap: false, wallClock: () => Date.now(), lsd: true });
  const seeder = await open('seeder', '127.0.0.93');
  const leecher = await open('leecher', '127.0.0.94');
  try {
    void seeder.startAll();
    const sid = await seeder.add({ torrent: src.bytes, savePath: join(dir, 'src') });
    await waitFor('seeder seeding', () => seeder.details(sid).state === 'seeding');
    void leecher.startAll();
    const lid = await leecher.add({ torrent: src.bytes, savePath: join(dir, 'leecher-dl') });
    await waitFor('leecher complete', () => leecher.details(lid).state === 'seeding');
    assert.equal(leecher.details(lid).progress, 1);
  } finally {
    await leecher.close();
    await seeder.close();
  }
});
