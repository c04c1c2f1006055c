/**
 * Shoal and aria2 1.36, both directions, on loopback: Shoal seeds to an aria2 leecher (which
 * sends have_none and later a bitfield instead of a run of haves: Shoal once banned it for
 * that), Shoal downloads from an aria2 seeder, and a magnet with `x.pe=` fetches the metadata
 * from aria2. v1 only: aria2 cannot compute a hybrid torrent's info hash.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cliBuilt, makeTempDir, removeDir, runCli, shoalCreate, shoalInfo, writeTree, type FileSpec } from './helpers.js';
import { aria2Available, startAria2, startStaticTracker } from './peers/index.js';
import { differingFiles, startShoalSeed } from './shoal-proc.js';

const KiB = 1024, MiB = 1024 * KiB;
const NAME = 'set';
// 3 MiB in 64 KiB pieces: 48 pieces, enough that aria2 sends a bitfield mid-download (20+ haves).
const FILES: readonly FileSpec[] = [{ path: 'a.bin', length: 3 * MiB - 777 }, { path: 'sub/b.txt', length: 100_003 }];
const PATHS = FILES.map((f) => join(NAME, f.path));
const aria2 = aria2Available();
const skip = !cliBuilt() ? 'the CLI is not built (run tsc)' : aria2.ok ? false : aria2.reason;
let tmp: string, seedDir: string, torrent: string;

describe('shoal and aria2', { skip, timeout: 240_000 }, () => {
  before(async () => {
    tmp = makeTempDir('shoal-aria2-');
    seedDir = join(tmp, 'seed');
    writeTree(join(seedDir, NAME), FILES);
    torrent = join(tmp, 'v1.torrent');
    await shoalCreate(join(seedDir, NAME), torrent, ['--v1', '--piece-length', '64k', '--no-date']);
  });
  after(() => removeDir(tmp));

  it('shoal seeds a v1 torrent to an aria2 leecher, which finishes (no ban for its late bitfield)', async (t) => {
    const out = join(tmp, 'aria2-leech');
    const leecher = await startAria2({ torrent, dir: out, mode: 'leech', host: '127.0.0.41', cleanup: t });
    const seed = await startShoalSeed({ torrent, content: join(seedDir, NAME), host: '127.0.0.40', stateDir: join(tmp, 'st-seed'), peers: [leecher.endpoint], cleanup: t });
    const { seconds } = await leecher.waitForComplete(90_000);
    t.diagnostic(`aria2 finished in ${seconds.toFixed(1)} s`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    assert.doesNotMatch(seed.output(), /banned/);
    await seed.stop();
  });

  it('aria2 fetches the metadata of a magnet from shoal (BEP 9), then downloads', async (t) => {
    const seed = await startShoalSeed({ torrent, content: join(seedDir, NAME), host: '127.0.0.46', stateDir: join(tmp, 'st-seed-magnet'), cleanup: t });
    // aria2 cannot be told to dial a peer: a tracker hands it Shoal's address.
    const tracker = await startStaticTracker({ host: '127.0.0.47', peers: [seed.endpoint], cleanup: t });
    const info = await shoalInfo(torrent);
    const out = join(tmp, 'aria2-magnet');
    const leecher = await startAria2({ torrent: `magnet:?xt=urn:btih:${info.infoHash}&dn=${NAME}`, tracker: tracker.url, dir: out, mode: 'leech', host: '127.0.0.48', cleanup: t });
    await leecher.waitForComplete(90_000);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await seed.stop();
  });

  it('shoal downloads a v1 torrent from an aria2 seeder', async (t) => {
    const seeder = await startAria2({ torrent, dir: seedDir, mode: 'seed', host: '127.0.0.42', cleanup: t });
    const out = join(tmp, 'get-from-aria2');
    const r = await runCli(['get', torrent, '-o', out, '--peer', seeder.endpoint, '--listen', '127.0.0.43:0', '--no-dht', '--state-dir', join(tmp, 'st-get')], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await seeder.stop();
  });

  it('shoal fetches the metadata of a magnet with x.pe from aria2, then downloads', async (t) => {
    const seeder = await startAria2({ torrent, dir: seedDir, mode: 'seed', host: '127.0.0.44', cleanup: t });
    const info = await shoalInfo(torrent);
    const out = join(tmp, 'magnet-from-aria2');
    const magnet = `magnet:?xt=urn:btih:${info.infoHash}&dn=${NAME}&x.pe=${seeder.endpoint}`;
    const r = await runCli(['get', magnet, '-o', out, '--listen', '127.0.0.45:0', '--no-dht', '--state-dir', join(tmp, 'st-magnet')], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await seeder.stop();
  });
});
