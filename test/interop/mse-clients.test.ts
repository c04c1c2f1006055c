/**
 * Message Stream Encryption against real clients, each direction (Shoal downloads, Shoal
 * seeds). Both sides require encryption (Shoal `--encryption require`: MSE with RC4 only;
 * libtorrent pe_forced with pe_rc4; Transmission -er; aria2 --bt-require-crypto with arc4),
 * so a completed transfer is an RC4 transfer: neither side would accept anything else.
 * Also: `prefer` falls back to plaintext against a libtorrent that refuses MSE.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI_PATH, libtorrentAvailable, makeTempDir, removeDir, runCli, shoalCreate, writeTree, type FileSpec } from './helpers.js';
import {
  aria2Available, createNetns, runLibtorrentLeecher, startAria2, startLibtorrentSeeder, startStaticTracker, startTransmission, transmissionAvailable,
} from './peers/index.js';

const KiB = 1024, MiB = 1024 * KiB;
const NAME = 'crypt';
const FILES: readonly FileSpec[] = [
  { path: 'a.bin', length: 3 * MiB - 1000 },
  { path: 'b/c.bin', length: MiB + 123 },
];
const ARIA2_REQUIRE = ['--bt-require-crypto=true', '--bt-min-crypto-level=arc4'];
const lt = libtorrentAvailable();
const tr = transmissionAvailable();
const aria = aria2Available();
let tmp: string, seedDir: string, v1: string, hybrid: string;

const sha1 = (p: string) => createHash('sha1').update(readFileSync(p)).digest('hex');
function assertSameContent(dst: string): void {
  for (const f of FILES) assert.equal(sha1(join(dst, NAME, f.path)), sha1(join(seedDir, NAME, f.path)), `${f.path} differs`);
}

before(async () => {
  tmp = makeTempDir('shoal-mse-interop-');
  seedDir = join(tmp, 'seed');
  writeTree(join(seedDir, NAME), FILES, 'mse');
  v1 = join(tmp, 'v1.torrent');
  hybrid = join(tmp, 'hybrid.torrent');
  for (const [out, mode] of [[v1, '--v1'], [hybrid, '--hybrid']] as const) {
    const r = await shoalCreate(join(seedDir, NAME), out, [mode, '--piece-length', '64k', '--no-date']);
    assert.equal(r.code, 0, r.stderr);
  }
});
after(() => removeDir(tmp));

/** `shoal seed` with `extra` flags; resolves with its listening address once it prints it. */
async function startShoalSeed(torrent: string, host: string, extra: string[]): Promise<{ endpoint: string; child: ChildProcess; stderr: () => string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [CLI_PATH, 'seed', torrent, join(seedDir, NAME), '--listen', `${host}:0`, '--no-dht', '--state-dir', join(tmp, `state-seed-${host}`), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
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
    stderr: () => stderr,
    stop: () => new Promise<void>((r) => {
      if (child.exitCode !== null) return r();
      child.on('exit', () => r());
      child.kill('SIGINT');
    }),
  };
}

async function shoalGet(torrent: string, name: string, peer: string, listenHost: string, encryption: string): Promise<string> {
  const out = join(tmp, name);
  const r = await runCli(['get', torrent, '-o', out, '--peer', peer, '--listen', `${listenHost}:0`, '--no-dht', '--encryption', encryption, '--state-dir', join(tmp, `state-${name}`)], { timeoutMs: 90_000 });
  assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
  assert.match(r.stdout, new RegExp(`^complete: ${NAME}`, 'm'));
  return out;
}

describe('MSE with libtorrent (pe_forced, RC4)', { skip: lt.ok ? false : lt.reason }, () => {
  it('shoal downloads from a libtorrent seeder that requires RC4 (Shoal dials: MSE initiator)', async (t) => {
    const seeder = await startLibtorrentSeeder({ torrent: hybrid, dataDir: seedDir, host: '127.0.0.2', encryption: 'forced', cleanup: t });
    assertSameContent(await shoalGet(hybrid, 'lt-get', seeder.endpoint, '127.0.0.3', 'require'));
    await seeder.stop();
  });

  it('shoal seeds to a libtorrent leecher that requires RC4 (libtorrent dials: Shoal is the MSE receiver)', async (t) => {
    const seed = await startShoalSeed(hybrid, '127.0.0.4', ['--encryption', 'require']);
    t.after(() => seed.stop());
    const out = join(tmp, 'lt-leech');
    const res = await runLibtorrentLeecher({ source: hybrid, saveDir: out, host: '127.0.0.5', peers: [seed.endpoint], encryption: 'forced', recheck: true, timeoutSeconds: 90, cleanup: t });
    assert.ok(res.ok, `libtorrent leecher failed: ${res.error}\n${seed.stderr()}`);
    assert.equal(res.verifiedPieces, res.numPieces);
    assertSameContent(out);
    await seed.stop();
  });

  it('prefer: against a libtorrent that refuses MSE, shoal falls back to plaintext and completes', async (t) => {
    const seeder = await startLibtorrentSeeder({
      torrent: hybrid, dataDir: seedDir, host: '127.0.0.6', encryption: 'plaintext', settings: { in_enc_policy: 2 }, logPeers: true, cleanup: t,
    });
    assertSameContent(await shoalGet(hybrid, 'lt-fallback', seeder.endpoint, '127.0.0.7', 'prefer'));
    await seeder.stop();
  });

  it('require: against a libtorrent that refuses MSE, shoal does not fall back and fails', async (t) => {
    const seeder = await startLibtorrentSeeder({ torrent: hybrid, dataDir: seedDir, host: '127.0.0.8', encryption: 'plaintext', settings: { in_enc_policy: 2 }, cleanup: t });
    const out = join(tmp, 'lt-refused');
    const r = await runCli(['get', hybrid, '-o', out, '--peer', seeder.endpoint, '--listen', '127.0.0.9:0', '--no-dht', '--encryption', 'require', '--state-dir', join(tmp, 'state-refused')], { timeoutMs: 8_000 });
    assert.notEqual(r.code, 0, 'shoal get must not complete without encryption');
    await seeder.stop();
  });
});

describe('MSE with Transmission 3.00 (encryption required, in a network namespace)', { skip: tr.ok ? false : tr.reason }, () => {
  it('shoal seeds to Transmission requiring encryption', async (t) => {
    const ns = createNetns({ cleanup: t });
    const out = join(tmp, 'tr-leech');
    const peer = await startTransmission({ torrent: v1, downloadDir: out, netns: ns, encryption: 'required', cleanup: t });
    const seed = await startShoalSeed(v1, ns.hostAddress, ['--encryption', 'require', '--peer', peer.endpoint]);
    t.after(() => seed.stop());
    const { seconds } = await peer.waitForSeeding(90_000);
    t.diagnostic(`transmission completed in ${seconds.toFixed(1)} s`);
    assertSameContent(out);
    await seed.stop();
    await peer.stop();
    ns.destroy();
  });

  it('shoal downloads from Transmission requiring encryption', async (t) => {
    const ns = createNetns({ cleanup: t });
    const peer = await startTransmission({ torrent: v1, downloadDir: seedDir, netns: ns, encryption: 'required', cleanup: t });
    await peer.waitForSeeding(60_000);
    assertSameContent(await shoalGet(v1, 'tr-get', peer.endpoint, ns.hostAddress, 'require'));
    await peer.stop();
    ns.destroy();
  });
});

describe('MSE with aria2 (crypto required, arc4)', { skip: aria.ok ? false : aria.reason }, () => {
  it('shoal downloads from an aria2 seeder (Shoal dials: MSE initiator)', async (t) => {
    const seeder = await startAria2({ torrent: v1, dir: seedDir, mode: 'seed', host: '127.0.0.12', extraArgs: ARIA2_REQUIRE, cleanup: t });
    assertSameContent(await shoalGet(v1, 'aria-get', seeder.endpoint, '127.0.0.13', 'require'));
    await seeder.stop();
  });

  it('shoal seeds to an aria2 leecher that finds it through a tracker and dials it (Shoal is the MSE receiver)', async (t) => {
    const seed = await startShoalSeed(v1, '127.0.0.14', ['--encryption', 'require']);
    t.after(() => seed.stop());
    const tracker = await startStaticTracker({ peers: [seed.endpoint], cleanup: t });
    const out = join(tmp, 'aria-leech');
    const leech = await startAria2({ torrent: v1, dir: out, mode: 'leech', host: '127.0.0.15', tracker: tracker.url, extraArgs: ARIA2_REQUIRE, cleanup: t });
    await leech.waitForComplete(60_000);
    assertSameContent(out);
    await seed.stop();
  });
});
