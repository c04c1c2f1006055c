/**
 * The daemon downloads from a torrent's web seed (BEP 19, `url-list`) with no peer at all, and
 * lists the web seed among the torrent's peers (`kind: 'webseed'`, its URL as the address).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonService } from '../../src/daemon/service/service.js';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { RangeServer } from '../helpers/range-server.js';
import { waitFor } from './service-helpers.js';

let dir: string;
let runtime: NodeRuntime;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-daemon-webseed-'));
  runtime = createNodeRuntime({ unrefTimers: true });
});
after(() => {
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

it('downloads from a web seed alone and lists it as a webseed peer with its URL', { timeout: 60_000 }, async () => {
  const data = new Uint8Array(20 * 16 * 1024).map((_, i) => (i * 31 + 7) & 0xff);
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'movie.bin'), data);
  const server = new RangeServer('127.0.0.91');
  await server.start();
  server.files.set('/pub/movie.bin', data);
  server.delayMs = 200; // answers are held, so the web seed is seen while it downloads
  const url = server.url('/pub/');
  const { bytes } = await createTorrent(join(dir, 'src', 'movie.bin'), { pieceLength: 16 * 1024, creationDate: null, threads: 0, webSeeds: [url] });
  const s = await DaemonService.create({ runtime, stateDir: join(dir, 'state'), downloadDir: join(dir, 'dl'), listen: { host: '127.0.0.92', port: 0 }, dhtBootstrap: false, wallClock: () => Date.now() });
  try {
    void s.startAll();
    const id = await s.add({ torrent: bytes, savePath: join(dir, 'dl') });
    const seen = await waitFor('the web seed in the peer list', () => s.details(id).peerList.find((p) => p.kind === 'webseed'));
    assert.equal(seen.address, url);
    assert.equal(seen.client, 'web seed');
    await waitFor('seeding', () => s.details(id).state === 'seeding');
    assert.deepEqual(new Uint8Array(readFileSync(join(dir, 'dl', 'movie.bin'))), data);
    assert.ok(server.ranges.length > 0 && server.ranges.length <= 20);
  } finally {
    await s.close();
    await server.close();
  }
});
