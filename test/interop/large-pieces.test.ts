/**
 * Pieces larger than Shoal's cache against real libtorrent (issue 12, item 3): a hybrid torrent
 * with 64 MiB pieces (the session caches 32 MiB per torrent) is downloaded from a libtorrent
 * seeder (blocks go straight to disk, each piece is verified in 4 MiB chunks) and seeded back to
 * a libtorrent leecher (block reads of pieces too large to cache), which verifies every piece.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI_PATH, libtorrentAvailable, makeTempDir, removeDir, runCli, shoalCreate, writeTree, type FileSpec } from './helpers.js';
import { runLibtorrentLeecher, startLibtorrentSeeder } from './peers/index.js';

const MiB = 1024 * 1024;
const NAME = 'big';
const FILES: readonly FileSpec[] = [
  { path: 'a.bin', length: 70 * MiB + 12_345 },
  { path: 'b/c.bin', length: 3 * MiB + 1 },
];
const lt = libtorrentAvailable();
let tmp: string, seedDir: string, torrent: string;

const sha1 = (p: string) => createHash('sha1').update(readFileSync(p)).digest('hex');
function assertSameContent(dst: string): void {
  for (const f of FILES) assert.equal(sha1(join(dst, NAME, f.path)), sha1(join(seedDir, NAME, f.path)), `${f.path} differs`);
}

describe('64 MiB pieces with real libtorrent peers', { skip: lt.ok ? false : lt.reason }, () => {
  before(async () => {
    tmp = makeTempDir('shoal-large-pieces-');
    seedDir = join(tmp, 'seed');
    writeTree(join(seedDir, NAME), FILES);
    torrent = join(tmp, 'big.torrent');
    await shoalCreate(join(seedDir, NAME), torrent, ['--hybrid', '--piece-length', '64m', '--no-date']);
  });
  after(() => removeDir(tmp));

  it('downloads from a libtorrent seeder', async (t) => {
    const seeder = await startLibtorrentSeeder({ torrent, dataDir: seedDir, host: '127.0.0.12', encryption: 'plaintext', cleanup: t });
    const out = join(tmp, 'get');
    const r = await runCli(['get', torrent, '-o', out, '--peer', seeder.endpoint, '--listen', '127.0.0.13:0', '--state-dir', join(tmp, 'state-get')], { timeoutMs: 120_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assertSameContent(out);
    await seeder.stop();
  });

  it('seeds to a libtorrent leecher, which verifies every piece', async (t) => {
    const child = spawn(process.execPath, [CLI_PATH, 'seed', torrent, join(seedDir, NAME), '--listen', '127.0.0.14:0', '--state-dir', join(tmp, 'state-seed')], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    t.after(async () => {
      if (child.exitCode === null) child.kill('SIGINT');
      await exited;
    });
    let stderr = '';
    child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const endpoint = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (l) => {
        const m = /^listening on (\S+)$/.exec(l);
        if (m) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`shoal seed exited ${code}: ${stderr}`)));
    });
    const out = join(tmp, 'lt-leech');
    const res = await runLibtorrentLeecher({ source: torrent, saveDir: out, host: '127.0.0.15', peers: [endpoint], encryption: 'plaintext', recheck: true, timeoutSeconds: 120, cleanup: t });
    assert.ok(res.ok, `libtorrent leecher failed: ${res.error}`);
    assert.equal(res.verifiedPieces, res.numPieces);
    assertSameContent(out);
  });
});
