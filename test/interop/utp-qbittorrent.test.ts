/**
 * uTP (BEP 29) against qBittorrent-nox 4.5 (libtorrent-rasterbar 2.0 underneath, with
 * qBittorrent's own settings: TCP and uTP both on, "mixed mode"), on loopback. With TCP
 * between the two addresses dropped (tcp-block.ts: an nftables table of its own, those two
 * addresses only) uTP must carry the transfer, both data directions and both sides dialling,
 * plaintext and MSE required on both sides; UDP byte counters prove it. With TCP left alone,
 * qBittorrent dialling Shoal picks uTP first (libtorrent's order).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cliBuilt, makeTempDir, removeDir, runCli, shoalCreate, shoalInfo, writeTree, type FileSpec } from './helpers.js';
import { QBT_SEEDING, qbittorrentAvailable, startQbittorrent } from './peers/index.js';
import { differingFiles, startShoalSeed } from './shoal-proc.js';
import { assertRanOverUdp, blockTcpOnLoopback } from './tcp-block.js';

const KiB = 1024, MiB = 1024 * KiB;
const NAME = 'utp-qb';
const FILES: readonly FileSpec[] = [{ path: 'a.bin', length: 3 * MiB + 999 }, { path: 'b.txt', length: 23_456 }];
const PATHS = FILES.map((f) => join(NAME, f.path));
const TOTAL = FILES.reduce((n, f) => n + f.length, 0);
const qb = qbittorrentAvailable();
const nftOk = process.getuid?.() === 0;
const skip = !cliBuilt() ? 'the CLI is not built (run tsc)' : !qb.ok ? qb.reason : !nftOk ? 'dropping TCP with nftables needs root' : false;
let tmp: string, seedDir: string, torrent: string, infoHash: string;

describe('uTP against qBittorrent-nox (libtorrent-rasterbar 2.0)', { skip, timeout: 600_000 }, () => {
  before(async () => {
    tmp = makeTempDir('shoal-utp-qb-');
    seedDir = join(tmp, 'seed');
    writeTree(join(seedDir, NAME), FILES, 'utp-qb');
    torrent = join(tmp, 'v1.torrent');
    const r = await shoalCreate(join(seedDir, NAME), torrent, ['--v1', '--piece-length', '64k', '--no-date']);
    assert.equal(r.code, 0, r.stderr);
    infoHash = (await shoalInfo(torrent)).infoHash as string;
  });
  after(() => removeDir(tmp));

  let n = 0;
  for (const encryption of ['disabled', 'required'] as const) {
    const shoalEnc = encryption === 'required' ? ['--encryption', 'require'] : [];
    const label = encryption === 'required' ? ' with MSE required on both sides' : '';

    it(`shoal downloads from a qBittorrent seeder over uTP, TCP dropped (Shoal dials)${label}`, async (t) => {
      const [qbHost, shoalHost] = [`127.0.0.${160 + 2 * n}`, `127.0.0.${161 + 2 * n}`];
      n++;
      const block = blockTcpOnLoopback(shoalHost, qbHost, t);
      const q = await startQbittorrent({ workDir: join(tmp, `qb-seed-${encryption}`), host: qbHost, encryption, cleanup: t });
      await q.add(torrent, seedDir);
      await q.waitFor(infoHash, (x) => x.progress === 1 && QBT_SEEDING.has(x.state), 30_000);
      const out = join(tmp, `get-${encryption}`);
      const r = await runCli(['get', torrent, '-o', out, '--peer', q.endpoint, '--listen', `${shoalHost}:0`, '--no-dht', '--verbose', ...shoalEnc,
        '--state-dir', join(tmp, `st-get-${encryption}`)], { timeoutMs: 90_000 });
      assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
      assert.match(r.stderr, /connected over uTP/);
      assert.doesNotMatch(r.stderr, /connected over TCP/);
      assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
      assertRanOverUdp(block, false, TOTAL, t, 'loopback (out: shoal->qb)');
      await q.stop();
    });

    it(`a qBittorrent leecher told to dial shoal downloads over uTP, TCP dropped${label}`, async (t) => {
      const [qbHost, shoalHost] = [`127.0.0.${160 + 2 * n}`, `127.0.0.${161 + 2 * n}`];
      n++;
      const block = blockTcpOnLoopback(shoalHost, qbHost, t);
      const seed = await startShoalSeed({ torrent, content: join(seedDir, NAME), host: shoalHost, stateDir: join(tmp, `st-seed-${encryption}`),
        extra: ['--verbose', ...shoalEnc], cleanup: t });
      const q = await startQbittorrent({ workDir: join(tmp, `qb-leech-${encryption}`), host: qbHost, encryption, cleanup: t });
      const out = join(tmp, `qb-out-${encryption}`);
      await q.add(torrent, out);
      await q.addPeers(infoHash, [seed.endpoint]);
      await q.waitFor(infoHash, (x) => x.progress === 1 && QBT_SEEDING.has(x.state), 90_000);
      assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
      assert.match(seed.output(), /connected over uTP/);
      assert.doesNotMatch(seed.output(), /connected over TCP/);
      assertRanOverUdp(block, true, TOTAL, t, 'loopback (out: shoal->qb)');
      await seed.stop();
      await q.stop();
    });
  }

  it('with TCP open too, a qBittorrent leecher dials shoal over uTP first (mixed mode prefers uTP)', async (t) => {
    const [qbHost, shoalHost] = ['127.0.0.170', '127.0.0.171'];
    const seed = await startShoalSeed({ torrent, content: join(seedDir, NAME), host: shoalHost, stateDir: join(tmp, 'st-seed-mixed'), extra: ['--verbose'], cleanup: t });
    const q = await startQbittorrent({ workDir: join(tmp, 'qb-leech-mixed'), host: qbHost, cleanup: t });
    const out = join(tmp, 'qb-out-mixed');
    await q.add(torrent, out);
    await q.addPeers(infoHash, [seed.endpoint]);
    await q.waitFor(infoHash, (x) => x.progress === 1 && QBT_SEEDING.has(x.state), 90_000);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    assert.match(seed.output(), new RegExp(`peer ${qbHost.replaceAll('.', '\\.')}:\\d+ connected over uTP`));
    await seed.stop();
    await q.stop();
  });
});
