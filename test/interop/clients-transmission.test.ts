/**
 * Shoal downloading from Transmission 3.00 (the other direction, Shoal seeding to it, is in
 * engine-clients.test.ts). Transmission will not trade with 127.0.0.0/8, so it runs in a
 * network namespace and Shoal listens on and dials from the root end of the veth pair. v1
 * only: Transmission 3.00 cannot open hybrid torrents. Each test has its own namespace (so its
 * own host address): Transmission chokes an IP for good once a peer from it completed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cliBuilt, makeTempDir, removeDir, runCli, shoalCreate, shoalInfo, writeTree, type FileSpec } from './helpers.js';
import { createNetns, startTransmission, transmissionAvailable } from './peers/index.js';
import { differingFiles } from './shoal-proc.js';

const KiB = 1024, MiB = 1024 * KiB;
const NAME = 'tr-set';
const FILES: readonly FileSpec[] = [{ path: 'a.bin', length: 2 * MiB + 17 }, { path: 'x/b.txt', length: 33_333 }];
const PATHS = FILES.map((f) => join(NAME, f.path));
const tr = transmissionAvailable();
const skip = !cliBuilt() ? 'the CLI is not built (run tsc)' : tr.ok ? false : tr.reason;
let tmp: string, seedDir: string, torrent: string;

describe('shoal downloads from Transmission 3.00', { skip, timeout: 240_000 }, () => {
  before(async () => {
    tmp = makeTempDir('shoal-transmission-');
    seedDir = join(tmp, 'seed');
    writeTree(join(seedDir, NAME), FILES);
    torrent = join(tmp, 'v1.torrent');
    await shoalCreate(join(seedDir, NAME), torrent, ['--v1', '--piece-length', '64k', '--no-date']);
  });
  after(() => removeDir(tmp));

  it('downloads a v1 torrent from a Transmission seeder', async (t) => {
    const ns = createNetns({ cleanup: t });
    const seeder = await startTransmission({ torrent, downloadDir: seedDir, netns: ns, cleanup: t });
    await seeder.waitForSeeding(30_000);
    const out = join(tmp, 'get-from-tr');
    const r = await runCli(['get', torrent, '-o', out, '--peer', seeder.endpoint, '--listen', `${ns.hostAddress}:0`, '--no-dht', '--state-dir', join(tmp, 'st-get')], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await seeder.stop();
    ns.destroy();
  });

  it('fetches the metadata of a magnet with x.pe from Transmission, then downloads', async (t) => {
    const ns = createNetns({ cleanup: t });
    const seeder = await startTransmission({ torrent, downloadDir: seedDir, netns: ns, cleanup: t });
    await seeder.waitForSeeding(30_000);
    const info = await shoalInfo(torrent);
    const out = join(tmp, 'magnet-from-tr');
    const magnet = `magnet:?xt=urn:btih:${info.infoHash}&dn=${NAME}&x.pe=${seeder.endpoint}`;
    const r = await runCli(['get', magnet, '-o', out, '--listen', `${ns.hostAddress}:0`, '--no-dht', '--state-dir', join(tmp, 'st-magnet')], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assert.deepEqual(differingFiles(seedDir, out, PATHS), []);
    await seeder.stop();
    ns.destroy();
  });
});
