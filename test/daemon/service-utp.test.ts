/**
 * The daemon's peer list names each connection's transport (docs/utp.md): a Shoal seeder on
 * uTP dials the daemon's service, which runs on the uTP-beside-TCP runtime the daemon builds
 * when the `utp` setting is on; the peer shows `transport: 'utp'` and the P flag.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonService } from '../../src/daemon/service/service.js';
import { applySettingsPatch, defaultSettings } from '../../src/daemon/service/settings.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Session } from '../../src/session/session.js';
import { withUtp } from '../../src/transport/dual-streams.js';
import { makeTorrent, waitFor } from './service-helpers.js';

let dir: string;
let node: NodeRuntime;
const closers: (() => Promise<void> | void)[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-svc-utp-'));
  node = createNodeRuntime();
});
after(async () => {
  for (const c of closers.reverse()) await c();
  node.close();
  rmSync(dir, { recursive: true, force: true });
});

it('has uTP on by default and refuses a utp setting that is not a boolean', () => {
  const d = defaultSettings('/dl');
  assert.equal(d.utp, true);
  assert.equal(applySettingsPatch(d, { utp: false }).utp, false);
  assert.throws(() => applySettingsPatch(d, { utp: 'yes' as unknown as boolean }), /utp must be true or false/);
});

it('lists a peer connected over uTP with transport utp and the P flag', async () => {
  const t = await makeTorrent(join(dir, 'seed'), 'u', [{ path: 'u.bin', length: 200_000 }]);
  const seedSide = withUtp(node);
  const seeder = await Session.create({ runtime: seedSide.runtime, stateDir: join(dir, 'seed-state'), listen: { host: '127.0.0.51', port: 0 } });
  closers.push(() => seedSide.close(), () => seeder.close());
  const swarm = await seeder.addTorrent({ torrent: t.torrent, downloadDir: join(dir, 'seed') });

  const daemonSide = withUtp(node);
  const service = await DaemonService.create({ runtime: daemonSide.runtime, stateDir: join(dir, 'd-state'), downloadDir: join(dir, 'dl'), listen: { host: '127.0.0.52', port: 0 }, dhtBootstrap: false, wallClock: () => Date.now() });
  closers.push(() => daemonSide.close(), () => service.close());
  void service.startAll();
  const id = await service.add({ torrent: t.bytes });
  await waitFor('the torrent to run', () => ['downloading', 'seeding'].includes(service.details(id).state));
  swarm.addPeer(service.listenAddress!);
  const peer = await waitFor('the seeder in the peer list', () => service.details(id).peerList[0]);
  assert.equal(peer.transport, 'utp');
  assert.match(peer.flags, /P/);
  await waitFor('the download to complete', () => service.details(id).state === 'seeding');
});
