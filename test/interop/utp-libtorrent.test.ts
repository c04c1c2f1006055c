/**
 * uTP (BEP 29) against libtorrent with TCP switched off, both directions: Shoal's session
 * runs on a runtime whose streams are `UtpStreams`, so every byte crosses uTP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { libtorrentAvailable, makeTempDir, removeDir, runCli, shoalCreate, writeTree } from './helpers.js';
import { runLibtorrentLeecher, startLibtorrentSeeder } from './peers/index.js';
import { startShoalSeed } from './shoal-proc.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Session } from '../../src/session/session.js';
import { parseTorrent } from '../../src/metainfo/torrent.js';
import { UtpStreams } from '../../src/transport/utp/streams.js';
import type { Runtime } from '../../src/runtime/types.js';

const MiB = 1024 * 1024;
const NAME = 'utp.bin';
const SIZE = 8 * MiB + 4321;
/** libtorrent settings: uTP only. */
const UTP_ONLY = { enable_outgoing_tcp: false, enable_incoming_tcp: false, enable_outgoing_utp: true, enable_incoming_utp: true };
const lt = libtorrentAvailable();
let tmp: string, seedDir: string, torrentPath: string;
let node: NodeRuntime;

const sha1 = (p: string) => createHash('sha1').update(readFileSync(p)).digest('hex');

/** The node runtime with uTP as its only stream transport. */
function utpRuntime(): { runtime: Runtime; utp: UtpStreams } {
  const utp = new UtpStreams(node);
  return { runtime: { clock: node.clock, random: node.random, udp: node.udp, stream: utp }, utp };
}

before(async () => {
  tmp = makeTempDir('shoal-utp-interop-');
  seedDir = join(tmp, 'seed');
  writeTree(seedDir, [{ path: NAME, length: SIZE }]);
  torrentPath = join(tmp, 'utp.torrent');
  const r = await shoalCreate(join(seedDir, NAME), torrentPath, ['--v1', '--piece-length', '256k', '--no-date']);
  assert.equal(r.code, 0, r.stderr);
  node = createNodeRuntime({ seed: 29 });
});
after(() => {
  node?.close();
  removeDir(tmp);
});

describe('uTP against libtorrent (TCP off)', { skip: lt.ok ? false : lt.reason }, () => {
  it('downloads from a libtorrent seeder over uTP only', async (t) => {
    const seeder = await startLibtorrentSeeder({ torrent: torrentPath, dataDir: seedDir, host: '127.0.0.21', settings: UTP_ONLY, cleanup: t });
    const { runtime, utp } = utpRuntime();
    const session = await Session.create({ runtime, stateDir: join(tmp, 'dl-state') });
    const downloadDir = join(tmp, 'dl');
    let done!: () => void;
    const complete = new Promise<void>((r) => (done = r));
    const swarm = await session.addTorrent({ torrent: parseTorrent(readFileSync(torrentPath)), downloadDir, onEvent: (e) => e.type === 'complete' && done() });
    swarm.addPeer({ host: seeder.host, port: seeder.port });
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no completion within 60 s')), 60_000).unref());
    await Promise.race([complete, timeout]);
    await session.close();
    utp.close();
    await seeder.stop();
    assert.equal(sha1(join(downloadDir, NAME)), sha1(join(seedDir, NAME)));
  });

  it('seeds to a libtorrent leecher that dials us over uTP only', async (t) => {
    const { runtime, utp } = utpRuntime();
    const session = await Session.create({ runtime, stateDir: join(tmp, 'seed-state'), listen: { host: '127.0.0.22', port: 0 } });
    await session.addTorrent({ torrent: parseTorrent(readFileSync(torrentPath)), downloadDir: seedDir });
    const addr = session.listenAddress!;
    const saveDir = join(tmp, 'lt-dl');
    const r = await runLibtorrentLeecher({ source: torrentPath, saveDir, host: '127.0.0.23', peers: [`${addr.host}:${addr.port}`], settings: UTP_ONLY, timeoutSeconds: 60, cleanup: t });
    await session.close();
    utp.close();
    assert.ok(r.ok, `libtorrent leecher failed: ${r.error}`);
    assert.equal(sha1(join(saveDir, NAME)), sha1(join(seedDir, NAME)));
  });

  it('shoal get (uTP on by default) downloads over encrypted uTP from a uTP-only libtorrent that forces MSE, its DHT sharing the uTP socket', async (t) => {
    const seeder = await startLibtorrentSeeder({ torrent: torrentPath, dataDir: seedDir, host: '127.0.0.24', settings: UTP_ONLY, encryption: 'forced', cleanup: t });
    const out = join(tmp, 'cli-dl');
    const r = await runCli(['get', torrentPath, '-o', out, '--peer', `${seeder.host}:${seeder.port}`, '--listen', '127.0.0.25:0', '--encryption', 'require', '--verbose', '--dht-bootstrap', '127.0.0.26:6881', '--state-dir', join(tmp, 'cli-state')], { timeoutMs: 60_000 });
    await seeder.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /peer 127\.0\.0\.24:\d+ connected over uTP/);
    assert.equal(sha1(join(out, NAME)), sha1(join(seedDir, NAME)));
  });

  it('shoal get (uTP on by default) falls back to TCP for a TCP-only libtorrent (uTP off) and completes', async (t) => {
    const TCP_ONLY = { enable_outgoing_tcp: true, enable_incoming_tcp: true, enable_outgoing_utp: false, enable_incoming_utp: false };
    const seeder = await startLibtorrentSeeder({ torrent: torrentPath, dataDir: seedDir, host: '127.0.0.27', settings: TCP_ONLY, cleanup: t });
    const out = join(tmp, 'cli-dl-tcp');
    const r = await runCli(['get', torrentPath, '-o', out, '--peer', `${seeder.host}:${seeder.port}`, '--listen', '127.0.0.28:0', '--verbose', '--no-dht', '--state-dir', join(tmp, 'cli-state-tcp')], { timeoutMs: 60_000 });
    await seeder.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /peer 127\.0\.0\.27:\d+ connected over TCP/);
    assert.equal(sha1(join(out, NAME)), sha1(join(seedDir, NAME)));
  });

  it('shoal seed --no-utp accepts no uTP: a uTP-only libtorrent leecher cannot connect', async (t) => {
    const seed = await startShoalSeed({ torrent: torrentPath, content: join(seedDir, NAME), host: '127.0.0.29', stateDir: join(tmp, 'seed-noutp-state'), extra: ['--no-utp', '--no-port-mapping'], cleanup: t });
    const r = await runLibtorrentLeecher({ source: torrentPath, saveDir: join(tmp, 'lt-noutp'), host: '127.0.0.30', peers: [seed.endpoint], settings: UTP_ONLY, timeoutSeconds: 8, cleanup: t });
    await seed.stop();
    assert.equal(r.ok, false, 'libtorrent downloaded over uTP from a seeder started with --no-utp');
  });
});
