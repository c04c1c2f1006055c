/**
 * A magnet's info dict, once fetched over ut_metadata (BEP 9), is parsed by the daemon's
 * torrent parser like an added .torrent: a large one on the worker thread (an info dict of up
 * to 16 MiB holds the event loop for seconds when parsed inline, as it was).
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatMagnet } from '../../src/metainfo/magnet.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import type { Session } from '../../src/session/session.js';
import { DaemonService } from '../../src/daemon/service/service.js';
import { hex, makeTorrent, startSeeder, waitFor } from './service-helpers.js';

let dir: string;
let runtime: NodeRuntime;
const closers: (() => Promise<void>)[] = [];
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-svc-magnet-parse-'));
  runtime = createNodeRuntime();
});
after(async () => {
  for (const c of closers.reverse()) await c();
  runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

it('parses a magnet\'s fetched info dict on the parse worker when it is past offThreadBytes, then downloads it', async () => {
  const src = await makeTorrent(join(dir, 'seed'), 'payload', [{ path: 'a.bin', length: 40_000 }, { path: 'sub/b.bin', length: 25_000 }]);
  const seeder = await startSeeder(runtime, join(dir, 'seed-state'), '127.0.0.74', src.torrent, join(dir, 'seed'));
  closers.push(() => (seeder.session as Session).close());
  // Every info dict counts as large here: the only way a parse reaches the worker.
  const s = await DaemonService.create({ runtime, stateDir: join(dir, 'state'), downloadDir: join(dir, 'dl'), listen: { host: '127.0.0.75', port: 0 }, dhtBootstrap: false, wallClock: () => Date.now(), torrentParser: { offThreadBytes: 16 } });
  closers.push(() => s.close());
  void s.startAll();
  const magnet = formatMagnet({ infoHashV1: src.torrent.infoHashV1, name: 'payload', trackers: [], webSeeds: [], peers: [{ host: '127.0.0.74', port: seeder.port }] });
  const id = await s.add({ magnet });
  assert.equal(id, hex(src.torrent));
  assert.equal(s.parser.offThread, 0, 'nothing parsed before the metadata came');
  await waitFor('the download to complete', () => s.details(id).state === 'seeding', 60_000);
  assert.equal(s.parser.offThread, 1, 'the fetched info dict was parsed on the worker');
  const d = s.details(id);
  assert.equal(d.fileCount, 2);
  assert.deepEqual(readFileSync(join(dir, 'dl', 'payload', 'sub', 'b.bin')), readFileSync(join(src.root, 'sub', 'b.bin')));
});
