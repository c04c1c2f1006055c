/**
 * Shoal and qBittorrent-nox (driven through its Web API), both directions, on loopback: v1
 * and hybrid torrents seeded by Shoal to qBittorrent (told to dial Shoal with
 * `torrents/addPeers`), downloaded by Shoal from a qBittorrent seeder, and a magnet with
 * `x.pe=` whose metadata comes from qBittorrent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cliBuilt, makeTempDir, removeDir, runCli, shoalCreate, shoalInfo, writeTree, type FileSpec } from './helpers.js';
import { QBT_SEEDING, qbittorrentAvailable, startQbittorrent } from './peers/index.js';
import { differingFiles, startShoalSeed } from './shoal-proc.js';

const KiB = 1024, MiB = 1024 * KiB;
const NAME = 'qb-set';
const FILES: readonly FileSpec[] = [{ path: 'a.bin', length: 2 * MiB + 999 }, { path: 'deep/b.bin', length: MiB + 5 }, { path: 'c.txt', length: 12_345 }];
const PATHS = FILES.map((f) => join(NAME, f.path));
const qb = qbittorrentAvailable();
const skip = !cliBuilt() ? 'the CLI is not built (run tsc)' : qb.ok ? false : qb.reason;
let tmp: string, seedDir: string;
const torrents = { v1: '', hybrid: '' };
const hashes = { v1: '', hybrid: '' };
/** qBittorrent's torrent id: the v1 info hash, or for a torrent with v2 the v2 hash truncated to 20 bytes. */
const ids = { v1: '', hybrid: '' };

describe('shoal and qBittorrent-nox', { skip, timeout: 300_000 }, () => {
  before(async () => {
    tmp = makeTempDir('shoal-qbt-');
    seedDir = join(tmp, 'seed');
    writeTree(join(seedDir, NAME), FILES);
    for (const mode of ['v1', 'hybrid'] as const) {
      torrents[mode] = join(tmp, `${mode}.torrent`);
      await shoalCreate(join(seedDir, NAME), torrents[mode], [`--${mode}`, '--piece-length', '64k', '--no-date']);
      const info = await shoalInfo(torrents[mode]);
      hashes[mode] = info.infoHash as string;
      ids[mode] = info.infoHashV2 ? info.infoHashV2.slice(0, 40) : hashes[mode];
    }
  });
  after(() => removeDir(tmp));

  let n = 0;
  for (const mode of ['v1', 'hybrid'] as const) {
    it(`shoal seeds a ${mode} torrent to qBittorrent`, async (t) => {
      const i = n++;
      const q = await startQbittorrent({ workDir: join(tmp, `qb-leech-${mode}`), host: `127.0.0.${81 + 2 * i}`, cleanup: t });
      const seed = await startShoalSeed({ torrent: torrents[mode], content: join(seedDir, NAME), host: `127.0.0.${80 + 2 * i}`, stateDir: join(tmp, `st-seed-${mode}`), cleanup: t });
      const out = join(tmp, `qb-out-${mode}`);
      await q.add(torrents[mode], out);
      await q.addPeers(ids[mode], [seed.endpoint]);
      await q.waitFor(ids[mode], (x) => x.progress === 1 && QBT_SEEDING.has(x.state), 60_000);
      assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
      assert.doesNotMatch(seed.output(), /banned/);
      await seed.stop();
      await q.stop();
    });

    it(`shoal downloads a ${mode} torrent from qBittorrent`, async (t) => {
      const q = await startQbittorrent({ workDir: join(tmp, `qb-seed-${mode}`), host: '127.0.0.90', cleanup: t });
      await q.add(torrents[mode], seedDir);
      await q.waitFor(ids[mode], (x) => x.progress === 1 && QBT_SEEDING.has(x.state), 30_000);
      const out = join(tmp, `get-from-qb-${mode}`);
      const r = await runCli(['get', torrents[mode], '-o', out, '--peer', q.endpoint, '--listen', '127.0.0.91:0', '--no-dht', '--state-dir', join(tmp, `st-get-${mode}`)], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
      assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
      await q.stop();
    });
  }

  it('qBittorrent fetches the metadata of a hybrid magnet from shoal (BEP 9), then downloads', async (t) => {
    const seed = await startShoalSeed({ torrent: torrents.hybrid, content: join(seedDir, NAME), host: '127.0.0.94', stateDir: join(tmp, 'st-seed-magnet'), cleanup: t });
    const q = await startQbittorrent({ workDir: join(tmp, 'qb-leech-magnet'), host: '127.0.0.95', cleanup: t });
    const info = await shoalInfo(torrents.hybrid);
    const out = join(tmp, 'qb-out-magnet');
    await q.addMagnet(`magnet:?xt=urn:btih:${info.infoHash}&xt=urn:btmh:1220${info.infoHashV2}&dn=${NAME}`, out);
    // Until the metadata arrives the torrent is known by its v1 hash; afterwards by its id.
    await q.waitFor(ids.hybrid, () => true, 15_000).catch(() => undefined);
    for (const id of new Set([hashes.hybrid, ids.hybrid])) await q.addPeers(id, [seed.endpoint]).catch(() => undefined);
    await q.waitFor(ids.hybrid, (x) => x.progress === 1 && QBT_SEEDING.has(x.state), 60_000);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await seed.stop();
    await q.stop();
  });

  it('shoal fetches the metadata of a magnet with x.pe from qBittorrent, then downloads', async (t) => {
    const q = await startQbittorrent({ workDir: join(tmp, 'qb-seed-magnet'), host: '127.0.0.92', cleanup: t });
    await q.add(torrents.hybrid, seedDir);
    await q.waitFor(ids.hybrid, (x) => x.progress === 1 && QBT_SEEDING.has(x.state), 30_000);
    const out = join(tmp, 'magnet-from-qb');
    const magnet = `magnet:?xt=urn:btih:${hashes.hybrid}&dn=${NAME}&x.pe=${q.endpoint}`;
    const r = await runCli(['get', magnet, '-o', out, '--listen', '127.0.0.93:0', '--no-dht', '--state-dir', join(tmp, 'st-magnet')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await q.stop();
  });
});
