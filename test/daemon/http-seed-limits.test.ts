/**
 * Seeding limits (global and per torrent, pause or remove), the new settings through the API
 * and across a restart, and the port-mapping status in /api/stats: a daemon on loopback never
 * maps, and says why.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonService } from '../../src/daemon/service/service.js';
import { mappingInfo } from '../../src/daemon/service/port-mapping.js';
import { effectiveLimit, reachedSeedLimit, shareRatio } from '../../src/daemon/service/seed-limits.js';
import { defaultSettings } from '../../src/daemon/service/settings.js';
import type { TorrentRecord } from '../../src/daemon/service/state-store.js';
import type { SessionStats, Settings, TorrentDetails } from '../../src/daemon/types.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { startHarnessFor, type Harness } from './http-harness.js';
import { hex, makeTorrent, waitFor } from './service-helpers.js';

describe('seeding limits', () => {
  const record = (o: Partial<TorrentRecord>): TorrentRecord => ({
    id: 'ab'.repeat(20), name: 'x', savePath: '/d', addedAt: 0, paused: false, hasMetadata: true, size: 1000, bytesHave: 1000,
    complete: true, downloaded: 1000, uploaded: 0, ...o,
  });
  const settings = (o: Partial<Settings>): Settings => ({ ...defaultSettings('/d'), ...o });

  it('counts the ratio over what was downloaded, or the size for a torrent added complete', () => {
    assert.equal(shareRatio(2000, 1000, 1000), 2);
    assert.equal(shareRatio(500, 0, 1000), 0.5, 'added complete: over its size');
    assert.equal(shareRatio(0, 0, 0), 0);
    assert.equal(shareRatio(10, 0, 0), 9999);
  });

  it('follows the global limit unless the torrent has its own; -1 means none', () => {
    assert.equal(effectiveLimit(undefined, 2), 2);
    assert.equal(effectiveLimit(null, 2), 2);
    assert.equal(effectiveLimit(-1, 2), null);
    assert.equal(effectiveLimit(0.5, null), 0.5);
    const s = settings({ seedRatioLimit: 1, seedTimeLimit: 60 });
    assert.match(reachedSeedLimit(record({ uploaded: 1000 }), 1000, 1000, s)!, /share ratio 1\.00/);
    assert.equal(reachedSeedLimit(record({ seedRatioLimit: -1 }), 5000, 1000, settings({ seedRatioLimit: 1 })), undefined);
    assert.match(reachedSeedLimit(record({ seedingMs: 61_000 }), 0, 1000, s)!, /seeding time 61 s/);
    assert.equal(reachedSeedLimit(record({ complete: false }), 5000, 1000, s), undefined, 'only while seeding');
  });
});

describe('HTTP API: seeding limits, settings, port mapping status', { timeout: 90_000 }, () => {
  const base = mkdtempSync(join(tmpdir(), 'shoal-api-seedlim-'));
  const runtime: NodeRuntime = createNodeRuntime();
  const logged: string[] = [];
  let h: Harness<DaemonService>;

  const start = async () => {
    const service = await DaemonService.create({
      runtime, stateDir: join(base, 'state'), downloadDir: join(base, 'downloads'), listen: { host: '127.0.0.81', port: 0 },
      dhtBootstrap: false, wallClock: () => Date.now(), log: (m) => logged.push(m),
    });
    void service.startAll();
    return startHarnessFor(service);
  };

  before(async () => {
    h = await start();
  });

  after(async () => {
    await h?.close();
    await h?.service.close();
    runtime.close();
    rmSync(base, { recursive: true, force: true });
  });

  const details = async (id: string) => (await h.request('GET', `/api/torrents/${id}`)).json() as TorrentDetails;
  const addPaused = async (name: string) => {
    const dir = join(base, name);
    const { torrent, bytes } = await makeTorrent(dir, name, [{ path: 'f.bin', length: 20_000 }]);
    assert.equal((await h.request('POST', '/api/torrents', { body: { torrent: Buffer.from(bytes).toString('base64'), savePath: dir, paused: true } })).status, 201);
    return hex(torrent);
  };

  it('pauses a torrent that seeded for the global time limit, not one whose own limit is -1; removes on a ratio limit', async () => {
    const limited = await addPaused('limited');
    const exempt = await addPaused('exempt');
    assert.equal((await h.request('PATCH', `/api/torrents/${exempt}`, { body: { seedTimeLimit: -1 } })).status, 200);
    const patched = await h.request('PATCH', '/api/settings', { body: { seedTimeLimit: 1, seedLimitAction: 'pause' } });
    assert.equal(patched.status, 200);
    await h.request('POST', `/api/torrents/${limited}/resume`);
    await h.request('POST', `/api/torrents/${exempt}/resume`);
    const paused = await waitFor('the limited torrent to be paused', async () => {
      const d = await details(limited);
      return d.state === 'paused' ? d : undefined;
    });
    assert.ok(paused.seedingTime >= 1, `seeded ${paused.seedingTime} s`);
    assert.equal(paused.effectiveSeedTimeLimit, 1);
    assert.ok(logged.some((m) => m.includes(limited) && /seeding time .* reached its limit 1 s; pausing it/.test(m)), logged.join('\n'));
    // It started a little later (under load, up to a tick or more): past the global limit too, and still seeding.
    const other = await waitFor('the exempt torrent to seed past the global limit', async () => {
      const d = await details(exempt);
      return d.seedingTime >= 1 || d.state !== 'seeding' ? d : undefined;
    });
    assert.equal(other.state, 'seeding', 'its own -1 overrides the global limit');
    assert.ok(other.seedingTime >= 1);
    assert.equal(other.effectiveSeedTimeLimit, null);

    // Remove when a torrent's own ratio limit is reached (0: at once, as it seeds).
    await h.request('PATCH', '/api/settings', { body: { seedTimeLimit: null, seedLimitAction: 'remove' } });
    const byRatio = await addPaused('byratio');
    await h.request('PATCH', `/api/torrents/${byRatio}`, { body: { seedRatioLimit: 0 } });
    await h.request('POST', `/api/torrents/${byRatio}/resume`);
    await waitFor('the torrent to be removed', async () => (await h.request('GET', `/api/torrents/${byRatio}`)).status === 404);
    assert.equal((await details(exempt)).state, 'seeding');
    await h.request('PATCH', '/api/settings', { body: { seedLimitAction: 'pause' } });
  });

  it('reads, patches and validates the new settings, and keeps them across a restart', async () => {
    const patch = { listenPort: 51413, portMapping: false, utp: false, pex: false, lsd: false, seedRatioLimit: 1.5, seedTimeLimit: 3600 };
    const r = await h.request('PATCH', '/api/settings', { body: patch });
    assert.equal(r.status, 200);
    assert.deepEqual(Object.fromEntries(Object.keys(patch).map((k) => [k, (r.json() as Record<string, unknown>)[k]])), patch);
    for (const bad of [{ listenPort: 70000 }, { listenPort: -1 }, { portMapping: 'yes' }, { seedRatioLimit: -1 }, { seedTimeLimit: 1.5 }, { seedLimitAction: 'delete' }, { lsd: 1 }]) {
      assert.equal((await h.request('PATCH', '/api/settings', { body: bad })).status, 400, JSON.stringify(bad));
    }
    await h.close();
    await h.service.close();
    h = await start();
    const again = (await h.request('GET', '/api/settings')).json() as Settings;
    for (const [k, v] of Object.entries(patch)) assert.deepEqual(again[k as keyof Settings], v, k);
  });

  it('shows port mapping off, and why, for a daemon on loopback; and off when the setting is off', async () => {
    await h.request('PATCH', '/api/settings', { body: { portMapping: true } });
    const on = ((await h.request('GET', '/api/stats')).json() as SessionStats).nat;
    assert.equal(on.externalAddress, null);
    assert.deepEqual(on.mappings.map((m) => [m.protocol, m.state, m.method, m.externalPort]), [['tcp', 'off', null, null], ['udp', 'off', null, null]]);
    assert.equal(on.mappings[0].internalPort, h.service.listenAddress!.port);
    assert.match(on.mappings[0].error!, /gateway|cannot forward/);
    await h.request('PATCH', '/api/settings', { body: { portMapping: false } });
    const off = ((await h.request('GET', '/api/stats')).json() as SessionStats).nat;
    assert.match(off.mappings[0].error!, /port mapping is off/);
  });

  it('shows a mapping as the API does: state, method, external port, error', () => {
    assert.deepEqual(mappingInfo({ protocol: 'tcp', internalPort: 6881, status: 'mapped', via: 'upnp', externalAddress: '10.0.0.2', externalPort: 16881 }),
      { protocol: 'tcp', internalPort: 6881, externalPort: 16881, method: 'upnp', state: 'mapped' });
    assert.deepEqual(mappingInfo({ protocol: 'udp', internalPort: 6881, status: 'unavailable', reason: 'no answer' }),
      { protocol: 'udp', internalPort: 6881, externalPort: null, method: null, state: 'failed', error: 'no answer' });
    assert.equal(mappingInfo({ protocol: 'udp', internalPort: 1, status: 'pending' }).state, 'pending');
  });
});
