/** What the service logs on its own: a tracker that starts failing is said once, with the torrent and the reason. */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonService } from '../../src/daemon/service/service.js';
import type { TorrentDetails } from '../../src/daemon/types.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { waitFor } from './service-helpers.js';

let dir: string;
let runtime: NodeRuntime;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-service-log-'));
  runtime = createNodeRuntime();
});
after(() => {
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

it('logs a failing tracker once, naming the torrent and the tracker', async () => {
  // A port that was just free: connecting to it is refused.
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.64', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  const logged: string[] = [];
  const service = await DaemonService.create({
    runtime, stateDir: join(dir, 'state'), downloadDir: join(dir, 'dl'), listen: { host: '127.0.0.64', port: 0 }, dhtBootstrap: false,
    wallClock: () => Date.now(), log: (m) => logged.push(m),
  });
  try {
    void service.startAll();
    const id = 'cd'.repeat(20);
    const tracker = `http://127.0.0.64:${port}/announce`;
    await service.add({ magnet: `magnet:?xt=urn:btih:${id}&dn=t&tr=${encodeURIComponent(tracker)}` });
    await waitFor('the tracker to fail', () => (service.details(id) as TorrentDetails).trackers.some((t) => t.status === 'error'), 20_000);
    const lines = logged.filter((m) => m.includes('tracker'));
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.ok(lines[0].startsWith(`torrent ${id}: tracker ${tracker}: `), lines[0]);
  } finally {
    await service.close();
  }
});
