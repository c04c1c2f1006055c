/**
 * uTP (BEP 29) against Transmission 3.00, whose uTP is libutp (BitTorrent Inc.'s), not
 * libtorrent's: both directions of data, both sides dialling, plaintext and MSE required.
 * Transmission runs in a network namespace (it will not trade with 127.0.0.0/8) whose veth
 * drops every TCP packet (tcp-block.ts), so only uTP can carry the transfer; the namespace's
 * UDP byte counters prove it did, and `--verbose` shows which transport each peer used.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cliBuilt, makeTempDir, removeDir, runCli, shoalCreate, writeTree, type FileSpec } from './helpers.js';
import { createNetns, startStaticTracker, startTransmission, transmissionAvailable, type Netns, type TransmissionEncryption } from './peers/index.js';
import { differingFiles, startShoalSeed } from './shoal-proc.js';
import { assertRanOverUdp, blockTcp, type TcpBlock } from './tcp-block.js';

const KiB = 1024, MiB = 1024 * KiB;
const NAME = 'utp-tr';
const FILES: readonly FileSpec[] = [{ path: 'a.bin', length: 3 * MiB + 4321 }, { path: 'b.txt', length: 54_321 }];
const PATHS = FILES.map((f) => join(NAME, f.path));
const TOTAL = FILES.reduce((n, f) => n + f.length, 0);
const UTP_ON = { 'utp-enabled': true };
const tr = transmissionAvailable();
const skip = !cliBuilt() ? 'the CLI is not built (run tsc)' : tr.ok ? false : tr.reason;
let tmp: string, seedDir: string, torrent: string;

/** A namespace for Transmission whose veth carries no TCP (except to `allowTcpPorts`). */
function noTcpNetns(t: { after(fn: () => void): void }, allowTcpPorts: readonly number[] = []): { ns: Netns; block: TcpBlock } {
  const ns = createNetns({ cleanup: t });
  return { ns, block: blockTcp(ns, allowTcpPorts) };
}

describe('uTP against Transmission 3.00 (libutp), TCP dropped', { skip, timeout: 600_000 }, () => {
  before(async () => {
    tmp = makeTempDir('shoal-utp-tr-');
    seedDir = join(tmp, 'seed');
    writeTree(join(seedDir, NAME), FILES, 'utp-tr');
    torrent = join(tmp, 'v1.torrent');
    const r = await shoalCreate(join(seedDir, NAME), torrent, ['--v1', '--piece-length', '64k', '--no-date']);
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => removeDir(tmp));

  for (const encryption of ['tolerated', 'required'] as const satisfies readonly TransmissionEncryption[]) {
    const shoalEnc = encryption === 'required' ? ['--encryption', 'require'] : [];
    const label = encryption === 'required' ? ' with MSE required on both sides' : '';

    it(`shoal downloads from a Transmission seeder over uTP (Shoal dials)${label}`, async (t) => {
      const { ns, block } = noTcpNetns(t);
      const seeder = await startTransmission({ torrent, downloadDir: seedDir, netns: ns, encryption, settings: UTP_ON, cleanup: t });
      await seeder.waitForSeeding(30_000);
      const out = join(tmp, `get-${encryption}`);
      const r = await runCli(['get', torrent, '-o', out, '--peer', seeder.endpoint, '--listen', `${ns.hostAddress}:0`, '--no-dht', '--verbose', ...shoalEnc,
        '--state-dir', join(tmp, `st-get-${encryption}`)], { timeoutMs: 120_000 });
      assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`peer ${ns.nsAddress.replaceAll('.', '\\.')}:\\d+ connected over uTP`));
      assert.doesNotMatch(r.stderr, /connected over TCP/);
      assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
      assertRanOverUdp(block, true, TOTAL, t, 'veth');
      await seeder.stop();
    });

    it(`shoal seeds to a Transmission leecher it dials over uTP${label}`, async (t) => {
      const { ns, block } = noTcpNetns(t);
      const out = join(tmp, `tr-leech-${encryption}`);
      const leech = await startTransmission({ torrent, downloadDir: out, netns: ns, encryption, settings: UTP_ON, cleanup: t });
      const seed = await startShoalSeed({ torrent, content: join(seedDir, NAME), host: ns.hostAddress, stateDir: join(tmp, `st-seed-${encryption}`),
        peers: [leech.endpoint], extra: ['--verbose', ...shoalEnc], cleanup: t });
      const { seconds } = await leech.waitForSeeding(120_000);
      t.diagnostic(`transmission completed in ${seconds.toFixed(1)} s`);
      assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
      assert.match(seed.output(), /connected over uTP/);
      assert.doesNotMatch(seed.output(), /connected over TCP/);
      assertRanOverUdp(block, false, TOTAL, t, 'veth');
      await seed.stop();
      await leech.stop();
    });
  }

  it('a Transmission leecher that finds shoal through a tracker dials it over uTP and downloads (MSE required)', async (t) => {
    const ns = createNetns({ cleanup: t });
    const seed = await startShoalSeed({ torrent, content: join(seedDir, NAME), host: ns.hostAddress, stateDir: join(tmp, 'st-seed-tracker'),
      extra: ['--verbose', '--encryption', 'require'], cleanup: t });
    const tracker = await startStaticTracker({ host: ns.hostAddress, peers: [seed.endpoint], cleanup: t });
    const block = blockTcp(ns, [Number(new URL(tracker.url).port)]);
    const withTracker = join(tmp, 'tracker.torrent');
    const r = await shoalCreate(join(seedDir, NAME), withTracker, ['--v1', '--piece-length', '64k', '--no-date', '--tracker', tracker.url]);
    assert.equal(r.code, 0, r.stderr);
    const out = join(tmp, 'tr-leech-tracker');
    const leech = await startTransmission({ torrent: withTracker, downloadDir: out, netns: ns, encryption: 'required', settings: UTP_ON, cleanup: t });
    const { seconds } = await leech.waitForSeeding(120_000);
    t.diagnostic(`transmission completed in ${seconds.toFixed(1)} s`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    assert.ok(tracker.announces.some((a) => a.peer.startsWith(ns.nsAddress)), 'Transmission never announced');
    assert.match(seed.output(), /connected over uTP/);
    assert.doesNotMatch(seed.output(), /connected over TCP/);
    assertRanOverUdp(block, false, TOTAL, t, 'veth');
    await seed.stop();
    await leech.stop();
  });
});
