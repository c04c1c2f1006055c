/**
 * `GET /api/settings` shows what is in force: a daemon run with --no-dht / --no-lsd (the
 * service's `dhtBootstrap: false`, `lsd` not true) reports `dht` / `lsd` false and names the
 * flag in `forced`, whatever the stored settings say; a PATCH is stored for later runs.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonService } from '../../src/daemon/service/service.js';
import type { Settings, SettingsView } from '../../src/daemon/types.js';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import { startHarnessFor } from './http-harness.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-forced-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** A settings store in memory, holding `dht` and `lsd` on. */
function store(initial: Partial<Settings>) {
  const written: Partial<Settings>[] = [];
  return { written, read: () => initial, write: async (changed: Partial<Settings>) => void written.push(changed) };
}

it('reports dht and lsd off, forced by --no-dht and --no-lsd, though the stored settings have them on', async () => {
  const runtime = createNodeRuntime();
  const settingsStore = store({ dht: true, lsd: true });
  const service = await DaemonService.create({ runtime, stateDir: join(dir, 'off'), downloadDir: join(dir, 'dl'), listen: { host: '127.0.0.1', port: 0 }, dhtBootstrap: false, wallClock: () => Date.now(), settingsStore });
  const h = await startHarnessFor(service);
  try {
    const s = (await h.request('GET', '/api/settings')).json() as SettingsView;
    assert.equal(s.dht, false);
    assert.equal(s.lsd, false);
    assert.deepEqual(s.forced, { dht: '--no-dht', lsd: '--no-lsd' });
    // Switching one on is stored (for a run without the flag) but the run still holds it off.
    const r = await h.request('PATCH', '/api/settings', { body: { dht: true, pex: false } });
    assert.equal(r.status, 200);
    const after = r.json() as SettingsView;
    assert.deepEqual([after.dht, after.pex, after.forced.dht], [false, false, '--no-dht']);
    assert.deepEqual(settingsStore.written, [{ dht: true, pex: false }]);
    assert.equal(service.stats().dht.enabled, false);
  } finally {
    await h.close();
    await service.close();
    runtime.close();
  }
});

it('reports the stored dht and lsd, and forces nothing, when the run allows both', async () => {
  const runtime = createNodeRuntime();
  // A bootstrap node nobody answers on: the DHT never starts here anyway (startAll is not called).
  const service = await DaemonService.create({ runtime, stateDir: join(dir, 'on'), downloadDir: join(dir, 'dl'), listen: { host: '127.0.0.1', port: 0 }, dhtBootstrap: ['127.0.0.1:9'], lsd: true, wallClock: () => Date.now(), settingsStore: store({ dht: true, lsd: false }) });
  try {
    const s = service.settings();
    assert.deepEqual([s.dht, s.lsd, s.forced], [true, false, {}]);
    const next = await service.updateSettings({ lsd: true });
    assert.deepEqual([next.lsd, next.forced], [true, {}]);
  } finally {
    await service.close();
    runtime.close();
  }
});
