/**
 * uTP through a lossy, reordering, delayed path against libtorrent with TCP switched off,
 * both directions: 25 ms each way (50 ms RTT), 1 % loss and 5 % reordering per direction. A
 * few MiB cross and must arrive intact.
 *
 * The impairment is `tc netem`'s model, applied by a UDP relay on loopback
 * (test/interop/utp-relay.ts): the CI kernel is built without sch_netem, so a qdisc cannot do
 * it there. The relay also counts what it dropped and reordered, so the test shows the path
 * really was impaired.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { libtorrentAvailable, makeTempDir, removeDir, runCli, shoalCreate, writeTree } from './helpers.js';
import { runLibtorrentLeecher, startLibtorrentSeeder } from './peers/index.js';
import { startShoalSeed } from './shoal-proc.js';
import { startImpairedRelay, type ImpairmentOptions } from './utp-relay.js';

const MiB = 1024 * 1024;
const NAME = 'netem.bin';
const SIZE = 4 * MiB + 777;
const UTP_ONLY = { enable_outgoing_tcp: false, enable_incoming_tcp: false, enable_outgoing_utp: true, enable_incoming_utp: true };
const IMPAIR: ImpairmentOptions = { delayMs: 25, loss: 0.01, reorder: 0.05, seed: 14 };

const lt = libtorrentAvailable();
let tmp: string, seedDir: string, torrentPath: string;
const sha1 = (p: string) => createHash('sha1').update(readFileSync(p)).digest('hex');

before(async () => {
  tmp = makeTempDir('shoal-utp-netem-');
  seedDir = join(tmp, 'seed');
  writeTree(seedDir, [{ path: NAME, length: SIZE }]);
  torrentPath = join(tmp, 'netem.torrent');
  const r = await shoalCreate(join(seedDir, NAME), torrentPath, ['--v1', '--piece-length', '256k', '--no-date']);
  assert.equal(r.code, 0, r.stderr);
});
after(() => removeDir(tmp));

describe('uTP through 50 ms RTT, 1 % loss and reordering against libtorrent with TCP off', { skip: lt.ok ? false : lt.reason }, () => {
  it('shoal get downloads intact from a libtorrent seeder', async (t) => {
    const seeder = await startLibtorrentSeeder({ torrent: torrentPath, dataDir: seedDir, host: '127.0.0.63', settings: UTP_ONLY, cleanup: t });
    const relay = await startImpairedRelay({ listenHost: '127.0.0.64', outHost: '127.0.0.64', target: { host: seeder.host, port: seeder.port }, impair: IMPAIR });
    t.after(() => relay.close());
    const out = join(tmp, 'dl');
    const r = await runCli(['get', torrentPath, '-o', out, '--peer', `${relay.address.host}:${relay.address.port}`, '--listen', '127.0.0.61:0', '--verbose', '--no-dht', '--no-port-mapping', '--state-dir', join(tmp, 'get-state')], { timeoutMs: 90_000 });
    await seeder.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /connected over uTP/);
    assert.equal(sha1(join(out, NAME)), sha1(join(seedDir, NAME)));
    assert.ok(relay.stats.dropped > 10 && relay.stats.reordered > 50, `the path was not impaired: ${JSON.stringify(relay.stats)}`);
  });

  it('shoal seed uploads intact to a libtorrent leecher', async (t) => {
    const seed = await startShoalSeed({ torrent: torrentPath, content: join(seedDir, NAME), host: '127.0.0.65', stateDir: join(tmp, 'seed-state'), extra: ['--no-port-mapping'], cleanup: t });
    const [host, port] = seed.endpoint.split(':');
    const relay = await startImpairedRelay({ listenHost: '127.0.0.66', outHost: '127.0.0.66', target: { host, port: Number(port) }, impair: { ...IMPAIR, seed: 15 } });
    t.after(() => relay.close());
    const saveDir = join(tmp, 'lt-dl');
    const r = await runLibtorrentLeecher({ source: torrentPath, saveDir, host: '127.0.0.67', peers: [`${relay.address.host}:${relay.address.port}`], settings: UTP_ONLY, timeoutSeconds: 90, cleanup: t });
    await seed.stop();
    assert.ok(r.ok, `libtorrent leecher failed: ${r.error}`);
    assert.equal(sha1(join(saveDir, NAME)), sha1(join(seedDir, NAME)));
    assert.ok(relay.stats.dropped > 10 && relay.stats.reordered > 50, `the path was not impaired: ${JSON.stringify(relay.stats)}`);
  });
});
