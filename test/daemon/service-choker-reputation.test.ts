/**
 * The daemon keeps the session's peer reputation over a restart (reputation.json in the
 * state directory, bounded by the store's limit; a corrupt file costs only the reputation
 * and says so in the log), and has a choker setting: `choker` ('tit-for-tat' | 'tyrant')
 * and `tyrantUploadCapacity`, checked (400 naming the field), stored, and given to the
 * torrents it starts.
 */
import { after, before, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonService } from '../../src/daemon/service/service.js';
import { REPUTATION_FILE } from '../../src/daemon/service/reputation-file.js';
import { chokerOf } from '../../src/daemon/service/settings.js';
import { parseConfig } from '../../src/daemon/config.js';
import { ServiceError, type Settings } from '../../src/daemon/types.js';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import { REPUTATION_DEFAULTS } from '../../src/swarm/reputation.js';
import type { Swarm } from '../../src/swarm/swarm.js';
import { startHarnessFor } from './http-harness.js';
import { hex, makeTorrent, waitFor } from './service-helpers.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-reputation-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const MiB = 1024 * 1024;

async function open(stateDir: string, logged: string[] = []): Promise<DaemonService> {
  return DaemonService.create({
    runtime: createNodeRuntime(), stateDir, downloadDir: join(dir, 'dl'), listen: { host: '127.0.0.1', port: 0 }, dhtBootstrap: false,
    wallClock: () => Date.now(), log: (m) => logged.push(m),
  });
}

it('remembers what peers gave and took across a restart', async () => {
  const stateDir = join(dir, 'restart');
  const first = await open(stateDir);
  const now = () => first.session.options.runtime.clock.now();
  first.session.reputation!.record('10.1.2.3', 2 * MiB, 0, now());
  first.session.reputation!.record('10.9.9.9', 0, MiB, now());
  first.session.reputation!.record('2001:db8:1:2::7', 3 * MiB, 0, now());
  await first.close();

  const second = await open(stateDir);
  try {
    const r = second.session.reputation!;
    const t = second.session.options.runtime.clock.now();
    assert.equal(r.size, 3);
    assert.equal(r.standing('10.1.2.3', t), 'contributor');
    assert.equal(r.standing('10.9.9.9', t), 'free-rider');
    // Keyed by the /64: another address in it has the same standing.
    assert.equal(r.standing('2001:db8:1:2::abcd', t), 'contributor');
    assert.ok(Math.abs(r.get('10.1.2.3', t)!.given - 2 * MiB) < 1024, 'decayed by seconds, not reset');
  } finally {
    await second.close();
  }
});

it('keeps at most the store limit of a saved file (the most recently updated)', async () => {
  const stateDir = join(dir, 'limit');
  mkdirSync(stateDir, { recursive: true });
  const max = REPUTATION_DEFAULTS.maxEntries;
  const entries = Array.from({ length: max + 500 }, (_, i) => ({ key: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, given: 2 * MiB, taken: 0, ageMs: 1000 }));
  writeFileSync(join(stateDir, REPUTATION_FILE), JSON.stringify({ version: 1, savedAt: Date.now(), entries }));
  const s = await open(stateDir);
  try {
    const r = s.session.reputation!;
    const t = s.session.options.runtime.clock.now();
    assert.equal(r.size, max);
    assert.equal(r.standing(entries[0].key, t), 'unknown', 'the oldest entries went');
    assert.equal(r.standing(entries.at(-1)!.key, t), 'contributor');
  } finally {
    await s.close();
  }
});

it('a corrupt reputation file loses only the reputation, with a clear warning, and is replaced at the next save', async () => {
  const stateDir = join(dir, 'corrupt');
  const first = await open(stateDir);
  await first.updateSettings({ maxConnections: 77 });
  await first.close();
  writeFileSync(join(stateDir, REPUTATION_FILE), '{"version": 1, "entries": [{"key": "10.0.0.1", "giv');
  const logged: string[] = [];
  const second = await open(stateDir, logged);
  try {
    assert.ok(logged.some((m) => m.includes(REPUTATION_FILE) && /not valid JSON/.test(m) && /starts empty/.test(m)), logged.join('\n'));
    assert.equal(second.session.reputation!.size, 0);
    assert.equal(second.settings().maxConnections, 77, 'the rest of the state is there');
    second.session.reputation!.record('10.0.0.2', MiB, 0, second.session.options.runtime.clock.now());
  } finally {
    await second.close();
  }
  const saved = JSON.parse(readFileSync(join(stateDir, REPUTATION_FILE), 'utf8')) as { version: number; entries: { key: string }[] };
  assert.equal(saved.version, 1);
  assert.deepEqual(saved.entries.map((e) => e.key), ['10.0.0.2']);

  // Not ours at all (valid JSON, wrong shape): the same.
  writeFileSync(join(stateDir, REPUTATION_FILE), '[1, 2, 3]');
  const third = await open(stateDir, logged);
  await third.close();
  assert.ok(logged.some((m) => /not a Shoal reputation file/.test(m)));
});

it('takes the choker setting through the API, stores it, and refuses bad values with a 400 naming the field', async () => {
  const stateDir = join(dir, 'settings');
  const service = await open(stateDir);
  const h = await startHarnessFor(service);
  try {
    const before = (await h.request('GET', '/api/settings')).json() as Settings;
    assert.equal(before.choker, 'tit-for-tat');
    assert.equal(before.tyrantUploadCapacity, 0);
    const r = await h.request('PATCH', '/api/settings', { body: { choker: 'tyrant', tyrantUploadCapacity: 125_000 } });
    assert.equal(r.status, 200);
    const after = (await h.request('GET', '/api/settings')).json() as Settings;
    assert.equal(after.choker, 'tyrant');
    assert.equal(after.tyrantUploadCapacity, 125_000);
    for (const [body, field] of [[{ choker: 'bittyrant' }, 'choker'], [{ choker: 3 }, 'choker'], [{ tyrantUploadCapacity: -1 }, 'tyrantUploadCapacity'], [{ tyrantUploadCapacity: 1.5 }, 'tyrantUploadCapacity'], [{ tyrantUploadCapacity: '100' }, 'tyrantUploadCapacity']] as const) {
      const bad = await h.request('PATCH', '/api/settings', { body });
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.match((bad.json() as { error: string }).error, new RegExp(field));
    }
    assert.equal(((await h.request('GET', '/api/settings')).json() as Settings).choker, 'tyrant', 'a refused patch changes nothing');
  } finally {
    await h.close();
    await service.close();
  }
  const again = await open(stateDir);
  try {
    assert.equal(again.settings().choker, 'tyrant', 'stored');
    assert.equal(again.settings().tyrantUploadCapacity, 125_000);
    await assert.rejects(again.updateSettings({ choker: 'none' } as unknown as Partial<Settings>), (e: unknown) => e instanceof ServiceError && e.status === 400 && /choker must be tit-for-tat or tyrant/.test(e.message));
  } finally {
    await again.close();
  }
});

it('the tyrant budget is the setting, else the upload limit, else learnt', () => {
  const base = { choker: 'tyrant', tyrantUploadCapacity: 0 } as Settings;
  assert.deepEqual(chokerOf({ ...base, choker: 'tit-for-tat' }, 1000), { policy: 'tit-for-tat' });
  assert.deepEqual(chokerOf({ ...base, tyrantUploadCapacity: 9000 }, 1000), { policy: 'tyrant', tyrant: { uploadCapacity: 9000 } });
  assert.deepEqual(chokerOf(base, 1000), { policy: 'tyrant', tyrant: { uploadCapacity: 1000 } });
  assert.deepEqual(chokerOf(base, 0), { policy: 'tyrant' });
});

it('starts torrents with the choker the settings name', async () => {
  const stateDir = join(dir, 'start');
  const service = await open(stateDir);
  try {
    await service.updateSettings({ choker: 'tyrant', tyrantUploadCapacity: 50_000 });
    service.startAll();
    const t = await makeTorrent(join(dir, 'src'), 'one', [{ path: 'a.bin', length: 40_000 }]);
    const id = await service.add({ torrent: t.bytes, savePath: join(dir, 'dl-start') });
    assert.equal(id, hex(t.torrent));
    // The service keeps its entries private; the swarm's options are what the setting reached.
    const entries = (service as unknown as { entries: Map<string, { swarm?: Swarm }> }).entries;
    const swarm = await waitFor('the swarm', () => entries.get(id)?.swarm);
    assert.equal(swarm.opts.choker?.policy, 'tyrant');
    assert.equal(swarm.opts.choker?.tyrant?.uploadCapacity, 50_000);
    assert.ok(swarm.opts.choker?.reputation, 'with the session reputation store');
  } finally {
    await service.close();
  }
});

it('reads the choker settings from the config file, and names the key of a bad one', () => {
  const c = parseConfig('/c.json', JSON.stringify({ choker: 'tyrant', tyrantUploadCapacity: 60_000 }));
  assert.deepEqual(c.settings, { choker: 'tyrant', tyrantUploadCapacity: 60_000 });
  assert.throws(() => parseConfig('/c.json', '{"choker": "bittyrant"}'), /key "choker": choker must be tit-for-tat or tyrant/);
  assert.throws(() => parseConfig('/c.json', '{"tyrantUploadCapacity": -5}'), /key "tyrantUploadCapacity": tyrantUploadCapacity must be whole bytes\/s/);
});
