/**
 * Shoal seeding to libtorrent, the cases engine-clients.test.ts leaves out: a v1 torrent, and
 * a magnet (with `x.pe=` naming Shoal) whose info dict libtorrent fetches from Shoal (BEP 9)
 * before downloading, for a v1 and a hybrid torrent.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cliBuilt, libtorrentAvailable, makeTempDir, removeDir, shoalCreate, shoalInfo, writeTree, type FileSpec } from './helpers.js';
import { runLibtorrentLeecher } from './peers/index.js';
import { differingFiles, startShoalSeed } from './shoal-proc.js';

const KiB = 1024, MiB = 1024 * KiB;
const NAME = 'lt-set';
const FILES: readonly FileSpec[] = [{ path: 'a.bin', length: 2 * MiB + 3 }, { path: 'z/b.bin', length: 300_007 }];
const PATHS = FILES.map((f) => join(NAME, f.path));
const lt = libtorrentAvailable();
const skip = !cliBuilt() ? 'the CLI is not built (run tsc)' : lt.ok ? false : lt.reason;
let tmp: string, seedDir: string;
const torrents = { v1: '', hybrid: '' };

describe('shoal seeds to libtorrent', { skip, timeout: 240_000 }, () => {
  before(async () => {
    tmp = makeTempDir('shoal-lt-');
    seedDir = join(tmp, 'seed');
    writeTree(join(seedDir, NAME), FILES);
    for (const mode of ['v1', 'hybrid'] as const) {
      torrents[mode] = join(tmp, `${mode}.torrent`);
      await shoalCreate(join(seedDir, NAME), torrents[mode], [`--${mode}`, '--piece-length', '64k', '--no-date']);
    }
  });
  after(() => removeDir(tmp));

  it('seeds a v1 torrent to a libtorrent leecher', async (t) => {
    const seed = await startShoalSeed({ torrent: torrents.v1, content: join(seedDir, NAME), host: '127.0.0.110', stateDir: join(tmp, 'st-v1'), cleanup: t });
    const out = join(tmp, 'lt-v1');
    const r = await runLibtorrentLeecher({ source: torrents.v1, saveDir: out, host: '127.0.0.111', peers: [seed.endpoint], timeoutSeconds: 60, cleanup: t });
    assert.ok(r.ok, `libtorrent: ${r.error}`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await seed.stop();
  });

  for (const [i, mode] of (['v1', 'hybrid'] as const).entries()) {
    it(`serves the metadata of a ${mode} magnet (x.pe) to libtorrent, which then downloads`, async (t) => {
      const seed = await startShoalSeed({ torrent: torrents[mode], content: join(seedDir, NAME), host: `127.0.0.${112 + 2 * i}`, stateDir: join(tmp, `st-m-${mode}`), cleanup: t });
      const info = await shoalInfo(torrents[mode]);
      const xt = [`xt=urn:btih:${info.infoHash}`, ...(info.infoHashV2 ? [`xt=urn:btmh:1220${info.infoHashV2}`] : [])].join('&');
      const out = join(tmp, `lt-magnet-${mode}`);
      const r = await runLibtorrentLeecher({ source: `magnet:?${xt}&dn=${NAME}&x.pe=${seed.endpoint}`, saveDir: out, host: `127.0.0.${113 + 2 * i}`, timeoutSeconds: 60, cleanup: t });
      assert.ok(r.ok, `libtorrent: ${r.error}`);
      assert.notEqual(r.metadataSeconds, null, 'the info dict came from Shoal');
      assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
      await seed.stop();
    });
  }
});
