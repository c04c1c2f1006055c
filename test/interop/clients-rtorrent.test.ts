/**
 * Shoal and rtorrent (libtorrent-rakshasa), both directions, on loopback: Shoal seeds to an
 * rtorrent leecher, Shoal downloads from an rtorrent seeder, and a magnet with `x.pe=`
 * fetches the metadata from rtorrent. v1 only: rtorrent has no v2. rtorrent refuses torrents
 * without an announce URL, so the torrent names a tracker on a closed port.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cliBuilt, makeTempDir, removeDir, runCli, shoalCreate, shoalInfo, writeTree, type FileSpec } from './helpers.js';
import { rtorrentAvailable, startRtorrent } from './peers/index.js';
import { differingFiles, startShoalSeed } from './shoal-proc.js';

const KiB = 1024, MiB = 1024 * KiB;
const NAME = 'rt-set';
const FILES: readonly FileSpec[] = [{ path: 'a.bin', length: 3 * MiB + 4321 }, { path: 'docs/b.txt', length: 70_001 }];
const PATHS = FILES.map((f) => join(NAME, f.path));
const rt = rtorrentAvailable();
const skip = !cliBuilt() ? 'the CLI is not built (run tsc)' : rt.ok ? false : rt.reason;
let tmp: string, seedDir: string, torrent: string;

describe('shoal and rtorrent', { skip, timeout: 240_000 }, () => {
  before(async () => {
    tmp = makeTempDir('shoal-rtorrent-');
    seedDir = join(tmp, 'seed');
    writeTree(join(seedDir, NAME), FILES);
    torrent = join(tmp, 'v1.torrent');
    // Port 9 (discard) on loopback: nothing listens; rtorrent only needs the URL to exist.
    await shoalCreate(join(seedDir, NAME), torrent, ['--v1', '--piece-length', '64k', '--no-date', '--tracker', 'http://127.0.0.1:9/announce']);
  });
  after(() => removeDir(tmp));

  it('shoal seeds a v1 torrent to an rtorrent leecher', async (t) => {
    const out = join(tmp, 'rt-leech');
    const leecher = await startRtorrent({ torrent, dir: out, workDir: join(tmp, 'rt-leech-work'), host: '127.0.0.71', cleanup: t });
    const seed = await startShoalSeed({ torrent, content: join(seedDir, NAME), host: '127.0.0.70', stateDir: join(tmp, 'st-seed'), peers: [leecher.endpoint], cleanup: t });
    const { seconds } = await leecher.waitForComplete(60_000);
    t.diagnostic(`rtorrent finished in ${seconds.toFixed(1)} s`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    assert.doesNotMatch(seed.output(), /banned/);
    await seed.stop();
    await leecher.stop();
  });

  it('shoal downloads a v1 torrent from an rtorrent seeder', async (t) => {
    const seeder = await startRtorrent({ torrent, dir: seedDir, workDir: join(tmp, 'rt-seed-work'), host: '127.0.0.72', cleanup: t });
    const out = join(tmp, 'get-from-rt');
    const r = await runCli(['get', torrent, '-o', out, '--peer', seeder.endpoint, '--listen', '127.0.0.73:0', '--no-dht', '--state-dir', join(tmp, 'st-get')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}\n${seeder.log()}`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await seeder.stop();
  });

  it('shoal fetches the metadata of a magnet with x.pe from rtorrent, then downloads', async (t) => {
    const seeder = await startRtorrent({ torrent, dir: seedDir, workDir: join(tmp, 'rt-seed-work2'), host: '127.0.0.74', cleanup: t });
    const info = await shoalInfo(torrent);
    const out = join(tmp, 'magnet-from-rt');
    const magnet = `magnet:?xt=urn:btih:${info.infoHash}&dn=${NAME}&x.pe=${seeder.endpoint}`;
    const r = await runCli(['get', magnet, '-o', out, '--listen', '127.0.0.75:0', '--no-dht', '--state-dir', join(tmp, 'st-magnet')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}\n${seeder.log()}`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await seeder.stop();
  });
});
