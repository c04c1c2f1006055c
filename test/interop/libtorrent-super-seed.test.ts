/**
 * A libtorrent seeder in BEP 16 super-seeding mode (libtorrent's default, non-strict: it shows
 * a peer one piece at a time, and the next when that peer's `have` for the last one arrives)
 * and Shoal as its only leecher: Shoal must report each piece to the peer that sent it at
 * once (interest.ts `announcePiece`), or the download stalls until a keep-alive carries the
 * have. libtorrent in its own process on loopback.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cliBuilt, libtorrentAvailable, makeTempDir, removeDir, runCli, shoalCreate, writeTree, type FileSpec } from './helpers.js';
import { startLibtorrentSeeder } from './peers/index.js';
import { differingFiles } from './shoal-proc.js';

const KiB = 1024;
const NAME = 'superseed';
// 24 pieces of 32 KiB: shown and fetched one at a time.
const FILES: readonly FileSpec[] = [{ path: 'a.bin', length: 24 * 32 * KiB - 100 }];
const PATHS = FILES.map((f) => join(NAME, f.path));
const lt = libtorrentAvailable();
const skip = !cliBuilt() ? 'the CLI is not built (run tsc)' : lt.ok ? false : lt.reason;
let tmp: string, seedDir: string, torrent: string;

describe('shoal downloads from a libtorrent super-seeder', { skip, timeout: 180_000 }, () => {
  before(async () => {
    tmp = makeTempDir('shoal-superseed-');
    seedDir = join(tmp, 'seed');
    writeTree(join(seedDir, NAME), FILES);
    torrent = join(tmp, 'ss.torrent');
    await shoalCreate(join(seedDir, NAME), torrent, ['--v1', '--piece-length', '32k', '--no-date']);
  });
  after(() => removeDir(tmp));

  it('gets every piece, each shown after the have for the one before, well within a keep-alive interval', async (t) => {
    const seeder = await startLibtorrentSeeder({ torrent, dataDir: seedDir, host: '127.0.0.120', superSeed: true, cleanup: t });
    const out = join(tmp, 'got');
    const started = Date.now();
    const r = await runCli(['get', torrent, '-o', out, '--peer', seeder.endpoint, '--listen', '127.0.0.121:0', '--no-dht', '--state-dir', join(tmp, 'state')], { timeoutMs: 120_000 });
    const seconds = (Date.now() - started) / 1000;
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    // 24 pieces one after another on loopback take a few seconds; a have that waited for the
    // next keep-alive (60 s) would take minutes.
    assert.ok(seconds < 60, `took ${seconds.toFixed(1)} s`);
    await seeder.stop();
  });
});
