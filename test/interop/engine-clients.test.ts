/**
 * Shoal's engine against real clients on loopback (and Transmission in a network
 * namespace): download from a libtorrent seeder (hybrid multi-file, v1, v2, magnet), seed
 * to a libtorrent leecher and to Transmission. Shoal runs as the `shoal` CLI.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI_PATH, libtorrentAvailable, makeTempDir, removeDir, runCli, shoalCreate, shoalInfo, writeTree, type FileSpec } from './helpers.js';
import { createNetns, runLibtorrentLeecher, startLibtorrentSeeder, startTransmission, transmissionAvailable } from './peers/index.js';

const KiB = 1024, MiB = 1024 * KiB;
const NAME = 'album';
const FILES: readonly FileSpec[] = [
  { path: 'a.bin', length: 3 * MiB - 1000 },
  { path: 'disc 2/b.bin', length: 2 * MiB + 123 },
  { path: 'c.txt', length: 200_001 },
];
const lt = libtorrentAvailable();
let tmp: string, seedDir: string;
const torrents: Record<'v1' | 'v2' | 'hybrid', string> = { v1: '', v2: '', hybrid: '' };

const sha1 = (p: string) => createHash('sha1').update(readFileSync(p)).digest('hex');
function assertSameContent(dst: string): void {
  for (const f of FILES) assert.equal(sha1(join(dst, NAME, f.path)), sha1(join(seedDir, NAME, f.path)), `${f.path} differs`);
}

before(async () => {
  tmp = makeTempDir('shoal-engine-interop-');
  seedDir = join(tmp, 'seed');
  writeTree(join(seedDir, NAME), FILES);
  for (const mode of ['v1', 'v2', 'hybrid'] as const) {
    torrents[mode] = join(tmp, `${mode}.torrent`);
    const r = await shoalCreate(join(seedDir, NAME), torrents[mode], [`--${mode}`, '--piece-length', '64k', '--no-date']);
    assert.equal(r.code, 0, r.stderr);
  }
});
after(() => removeDir(tmp));

/** Starts `shoal seed` and resolves with its listening address once it prints it. */
async function startShoalSeed(torrent: string, host: string, extra: string[] = []): Promise<{ endpoint: string; child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [CLI_PATH, 'seed', torrent, join(seedDir, NAME), '--listen', `${host}:0`, '--state-dir', join(tmp, `state-seed-${host}`), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const endpoint = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => {
      const m = /^listening on (\S+)$/.exec(l);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`shoal seed exited ${code}: ${stderr}`)));
  });
  return {
    endpoint,
    child,
    stop: () => new Promise<void>((r) => {
      if (child.exitCode !== null) return r();
      child.on('exit', () => r());
      child.kill('SIGINT');
    }),
  };
}

describe('shoal downloads from a libtorrent seeder', { skip: lt.ok ? false : lt.reason }, () => {
  for (const mode of ['hybrid', 'v1', 'v2'] as const) {
    it(`downloads a multi-file ${mode} torrent`, async (t) => {
      const seeder = await startLibtorrentSeeder({ torrent: torrents[mode], dataDir: seedDir, host: '127.0.0.2', encryption: 'plaintext', cleanup: t });
      const out = join(tmp, `get-${mode}`);
      const r = await runCli(['get', torrents[mode], '-o', out, '--peer', seeder.endpoint, '--listen', '127.0.0.3:0', '--state-dir', join(tmp, `state-${mode}`)], { timeoutMs: 60_000 });
      assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
      assert.match(r.stdout, /^complete: album/m);
      assertSameContent(out);
      await seeder.stop();
    });
  }

  it('fetches the metadata of a magnet link from libtorrent, then downloads', async (t) => {
    const seeder = await startLibtorrentSeeder({ torrent: torrents.hybrid, dataDir: seedDir, host: '127.0.0.2', encryption: 'plaintext', cleanup: t });
    const info = await shoalInfo(torrents.hybrid);
    const out = join(tmp, 'get-magnet');
    const magnet = `magnet:?xt=urn:btih:${info.infoHash}&dn=${NAME}&x.pe=${seeder.endpoint}`;
    const r = await runCli(['get', magnet, '-o', out, '--listen', '127.0.0.3:0', '--state-dir', join(tmp, 'state-magnet')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assertSameContent(out);
    await seeder.stop();
  });

  it('fetches a v2-only magnet: metadata (BEP 9), then piece layers by hash requests (BEP 52), then data', async (t) => {
    const seeder = await startLibtorrentSeeder({ torrent: torrents.v2, dataDir: seedDir, host: '127.0.0.2', encryption: 'plaintext', cleanup: t });
    const info = await shoalInfo(torrents.v2);
    const out = join(tmp, 'get-magnet-v2');
    const magnet = `magnet:?xt=urn:btmh:1220${info.infoHashV2}&dn=${NAME}&x.pe=${seeder.endpoint}`;
    const r = await runCli(['get', magnet, '-o', out, '--listen', '127.0.0.3:0', '--state-dir', join(tmp, 'state-magnet-v2')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assertSameContent(out);
    await seeder.stop();
  });
});

describe('shoal seeds to real leechers', () => {
  it('seeds a hybrid torrent to a libtorrent leecher, which verifies every piece', { skip: lt.ok ? false : lt.reason }, async (t) => {
    const seed = await startShoalSeed(torrents.hybrid, '127.0.0.5');
    t.after(() => seed.stop());
    const out = join(tmp, 'lt-leech');
    const res = await runLibtorrentLeecher({ source: torrents.hybrid, saveDir: out, host: '127.0.0.6', peers: [seed.endpoint], encryption: 'plaintext', recheck: true, timeoutSeconds: 60, cleanup: t });
    assert.ok(res.ok, `libtorrent leecher failed: ${res.error}`);
    assert.equal(res.verifiedPieces, res.numPieces);
    assertSameContent(out);
    await seed.stop();
  });

  it('seeds a v1 torrent to Transmission 3.00 in a network namespace', { skip: transmissionAvailable().ok ? false : transmissionAvailable().reason }, async (t) => {
    const ns = createNetns({ cleanup: t });
    const out = join(tmp, 'transmission');
    const tr = await startTransmission({ torrent: torrents.v1, downloadDir: out, netns: ns, cleanup: t });
    // Transmission will not talk to 127.0.0.0/8: Shoal listens on the root end of the veth pair and dials it.
    const seed = await startShoalSeed(torrents.v1, ns.hostAddress, ['--peer', tr.endpoint]);
    t.after(() => seed.stop());
    const { seconds } = await tr.waitForSeeding(60_000);
    t.diagnostic(`transmission completed in ${seconds.toFixed(1)} s`);
    assertSameContent(out);
    await seed.stop();
    await tr.stop();
    ns.destroy();
  });
});
