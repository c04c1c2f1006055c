/**
 * Shoal and WebTorrent 1.9.7 (npm `webtorrent`: the Node client, whose TCP wire is the one
 * WebTorrent's users run), both directions, on loopback: Shoal seeds to a WebTorrent
 * leecher, WebTorrent fetches a magnet's metadata from Shoal (BEP 9), Shoal downloads from a
 * WebTorrent seeder over TCP and over uTP (WebTorrent's utp-native, a libutp binding: a uTP
 * implementation other than libtorrent's), and Shoal serves three WebTorrent leechers at
 * once. v1 only: WebTorrent 1.x reads no v2 metadata.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cliBuilt, makeTempDir, removeDir, runCli, shoalCreate, shoalInfo, writeTree, type FileSpec } from './helpers.js';
import { startWebTorrent, webtorrentAvailable } from './peers/index.js';
import { differingFiles, startShoalSeed } from './shoal-proc.js';

const KiB = 1024, MiB = 1024 * KiB;
const NAME = 'wt-set';
const FILES: readonly FileSpec[] = [{ path: 'a.bin', length: 3 * MiB - 555 }, { path: 'sub/b.txt', length: 70_001 }];
const PATHS = FILES.map((f) => join(NAME, f.path));
const wt = webtorrentAvailable();
const skip = !cliBuilt() ? 'the CLI is not built (run tsc)' : wt.ok ? false : wt.reason;
let tmp: string, seedDir: string, torrent: string;

describe('shoal and webtorrent', { skip, timeout: 240_000 }, () => {
  before(async () => {
    tmp = makeTempDir('shoal-webtorrent-');
    seedDir = join(tmp, 'seed');
    writeTree(join(seedDir, NAME), FILES);
    torrent = join(tmp, 'v1.torrent');
    await shoalCreate(join(seedDir, NAME), torrent, ['--v1', '--piece-length', '64k', '--no-date']);
  });
  after(() => removeDir(tmp));

  it('shoal seeds to a webtorrent leecher, which finishes with the same files', async (t) => {
    const seed = await startShoalSeed({ torrent, content: join(seedDir, NAME), host: '127.0.0.70', stateDir: join(tmp, 'st-seed'), cleanup: t });
    const out = join(tmp, 'wt-leech');
    const leecher = await startWebTorrent({ torrent, dir: out, mode: 'leech', peers: [seed.endpoint], cleanup: t });
    const { seconds } = await leecher.waitForComplete(90_000);
    t.diagnostic(`webtorrent finished in ${seconds.toFixed(1)} s`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    assert.doesNotMatch(seed.output(), /banned/);
    await seed.stop();
  });

  it('webtorrent fetches the metadata of a magnet from shoal (BEP 9), then downloads', async (t) => {
    const seed = await startShoalSeed({ torrent, content: join(seedDir, NAME), host: '127.0.0.71', stateDir: join(tmp, 'st-seed-magnet'), cleanup: t });
    const info = await shoalInfo(torrent);
    const out = join(tmp, 'wt-magnet');
    const leecher = await startWebTorrent({ torrent: `magnet:?xt=urn:btih:${info.infoHash}&dn=${NAME}`, dir: out, mode: 'leech', peers: [seed.endpoint], cleanup: t });
    await leecher.waitForComplete(90_000);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await seed.stop();
  });

  it('shoal downloads from a webtorrent seeder over TCP', async (t) => {
    const seeder = await startWebTorrent({ torrent, dir: seedDir, mode: 'seed', cleanup: t });
    const out = join(tmp, 'get-tcp');
    const r = await runCli(['get', torrent, '-o', out, '--peer', seeder.endpoint, '--listen', '127.0.0.72:0', '--no-dht', '--no-utp', '--state-dir', join(tmp, 'st-get-tcp')], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    assert.ok(seeder.wireTypes().includes('tcpIncoming'), `webtorrent saw ${seeder.wireTypes().join(', ')}`);
    await seeder.stop();
  });

  it('shoal downloads from a webtorrent seeder over uTP (utp-native)', async (t) => {
    const seeder = await startWebTorrent({ torrent, dir: seedDir, mode: 'seed', utp: true, cleanup: t });
    const out = join(tmp, 'get-utp');
    const r = await runCli(['get', torrent, '-o', out, '--peer', seeder.endpoint, '--listen', '127.0.0.73:0', '--no-dht', '--utp', '--state-dir', join(tmp, 'st-get-utp')], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    assert.deepEqual(seeder.wireTypes(), ['utpIncoming'], 'the whole download ran over one uTP connection');
    await seeder.stop();
  });

  it('shoal seeds to three webtorrent leechers at once, and all finish', async (t) => {
    const seed = await startShoalSeed({ torrent, content: join(seedDir, NAME), host: '127.0.0.75', stateDir: join(tmp, 'st-seed-3'), cleanup: t });
    const outs = [0, 1, 2].map((i) => join(tmp, `wt-many-${i}`));
    const leechers = await Promise.all(outs.map((dir) => startWebTorrent({ torrent, dir, mode: 'leech', peers: [seed.endpoint], cleanup: t })));
    await Promise.all(leechers.map((l) => l.waitForComplete(120_000)));
    for (const out of outs) assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await seed.stop();
  });

  it('fetches a magnet with x.pe from a webtorrent seeder', async (t) => {
    const seeder = await startWebTorrent({ torrent, dir: seedDir, mode: 'seed', cleanup: t });
    const info = await shoalInfo(torrent);
    const out = join(tmp, 'magnet-from-wt');
    const magnet = `magnet:?xt=urn:btih:${info.infoHash}&dn=${NAME}&x.pe=${seeder.endpoint}`;
    const r = await runCli(['get', magnet, '-o', out, '--listen', '127.0.0.74:0', '--no-dht', '--state-dir', join(tmp, 'st-magnet')], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await seeder.stop();
  });
});
