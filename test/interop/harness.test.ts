/**
 * The real-peer harness itself (test/interop/peers, test/interop/netns.ts, bench/lib), proven
 * with real clients trading with each other, before Shoal's engine is pointed at them:
 *  (a) libtorrent seeder -> libtorrent leecher on loopback, distinct 127.0.0.x addresses;
 *  (b) libtorrent seeder dialling Transmission 3.00 inside a network namespace;
 *  (c) magnet: libtorrent fetches the metadata (and then the data) from libtorrent;
 *  (d) aria2: dialled by a libtorrent seeder, seeding to a libtorrent leecher, and finding
 *      a libtorrent seeder through the static tracker;
 *  (e) bench/lib's measureChild on node and python children.
 * Each scenario reports its duration with t.diagnostic.
 */
import { after, before, describe, it } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  cliBuilt, libtorrentAvailable, ltCreate, makeTempDir, removeDir, shoalCreate, writeTree,
} from './helpers.js';
import type { FileSpec } from './helpers.js';
import {
  aria2Available, createNetns, runLibtorrentLeecher, startAria2, startLibtorrentSeeder,
  startStaticTracker, startTransmission, transmissionAvailable,
} from './peers/index.js';
import { formatBenchLine, measureChild, startMeasuredChild } from '../../bench/lib/measure.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const PIECE = 256 * KiB;
const NAME = 'album';
/** ~8 MiB over three files of unaligned sizes (so the hybrid torrent has pad files). */
const FILES: readonly FileSpec[] = [
  { path: 'a.bin', length: 3 * MiB - 1000 },
  { path: 'disc 2/b.bin', length: 5 * MiB + 123 },
  { path: 'c.txt', length: 200_001 },
];
const TOTAL = FILES.reduce((n, f) => n + f.length, 0);

const lt = libtorrentAvailable();

function sha1File(path: string): string {
  return createHash('sha1').update(readFileSync(path)).digest('hex');
}

/** Asserts that <dst>/<NAME>/<file> equals <src>/<NAME>/<file> for every file. */
function assertSameContent(srcRoot: string, dstRoot: string): void {
  for (const f of FILES) {
    const dst = join(dstRoot, NAME, ...f.path.split('/'));
    assert.ok(existsSync(dst), `${dst} was not written`);
    assert.equal(sha1File(dst), sha1File(join(srcRoot, NAME, ...f.path.split('/'))), `${f.path} differs`);
  }
}

function elapsed(t: TestContext, started: number, what: string): number {
  const s = (performance.now() - started) / 1000;
  t.diagnostic(`${what}: ${s.toFixed(2)} s`);
  return s;
}

describe('interop harness: real clients trading with each other', { skip: lt.ok ? false : lt.reason }, () => {
  let tmp: string;
  let seedDir: string;
  let hybrid: string;
  let v1: string;

  before(async () => {
    tmp = makeTempDir('shoal-harness-');
    seedDir = join(tmp, 'seed');
    writeTree(join(seedDir, NAME), FILES, 'harness');
    hybrid = join(tmp, 'album.hybrid.torrent');
    v1 = join(tmp, 'album.v1.torrent');
    const root = join(seedDir, NAME);
    if (cliBuilt()) {
      await shoalCreate(root, hybrid, ['--piece-length', String(PIECE), '--hybrid']);
      await shoalCreate(root, v1, ['--piece-length', String(PIECE), '--v1']);
    } else {
      await ltCreate(root, hybrid, PIECE, 'hybrid');
      await ltCreate(root, v1, PIECE, 'v1');
    }
  });
  after(() => removeDir(tmp));

  it('(a) libtorrent seeder -> libtorrent leecher on loopback (hybrid, multi-file, distinct 127.0.0.x)', async (t) => {
    const started = performance.now();
    const seeder = await startLibtorrentSeeder({ torrent: hybrid, dataDir: seedDir, host: '127.0.0.2', logPeers: true, cleanup: t });
    assert.ok(seeder.port > 0);
    assert.match(seeder.infoHash ?? '', /^[0-9a-f]{40}$/);
    assert.match(seeder.infoHashV2 ?? '', /^[0-9a-f]{64}$/);
    const out = join(tmp, 'a');
    const r = await runLibtorrentLeecher({
      source: hybrid, saveDir: out, host: '127.0.0.3', peers: [seeder.endpoint], recheck: true, timeoutSeconds: 30, cleanup: t,
    });
    assert.equal(r.ok, true, r.error ?? undefined);
    assert.equal(r.bytes, TOTAL);
    assert.equal(r.verifiedPieces, r.numPieces);
    assert.equal(r.infoHash, seeder.infoHash);
    assert.ok(r.cpuSeconds > 0 && r.maxRssKb > 1000, `rusage: ${r.cpuSeconds} s, ${r.maxRssKb} kB`);
    assertSameContent(seedDir, out);
    const final = await seeder.stop();
    assert.ok((final?.uploaded ?? 0) >= TOTAL, `seeder uploaded ${final?.uploaded}`);
    // The leecher really came from its own address (outgoing connections are bound).
    assert.ok(seeder.events().some((e) => e.event === 'incoming_connection' && e.peer?.startsWith('127.0.0.3:')),
      JSON.stringify(seeder.events()));
    t.diagnostic(`leecher: ${r.seconds?.toFixed(2)} s to finish, ${r.cpuSecondsTransfer?.toFixed(3)} CPU s in transfer`);
    elapsed(t, started, '(a) total');
  });

  it('(b) libtorrent seeder dials Transmission 3.00 in a network namespace (v1)', {
    skip: transmissionAvailable().ok ? false : transmissionAvailable().reason,
  }, async (t) => {
    const started = performance.now();
    const ns = createNetns({ cleanup: t });
    assert.match(ns.nsAddress, /^10\.200\.\d+\.2$/);
    const out = join(tmp, 'b');
    const tr = await startTransmission({ torrent: v1, downloadDir: out, netns: ns, cleanup: t });
    // The seeder listens on, and dials from, the root-namespace end of the veth pair.
    const seeder = await startLibtorrentSeeder({
      torrent: v1, dataDir: seedDir, host: ns.hostAddress, connect: [tr.endpoint], logPeers: true, cleanup: t,
    });
    const { seconds } = await tr.waitForSeeding(45_000).catch((e: unknown) => {
      const peers = seeder.process.lines.filter((l) => !l.includes('"status"')).slice(-20).join('\n');
      throw new Error(`${(e as Error).message}\n--- libtorrent seeder (non-status lines) ---\n${peers}\n--- sockets in ${ns.name} ---\n`
        + `${ns.execSync('ss', ['-tanp']).stdout}`);
    });
    t.diagnostic(`transmission finished ${seconds.toFixed(2)} s after it started`);
    assertSameContent(seedDir, out);
    assert.ok(seeder.events().some((e) => e.event === 'peer_connect' && e.peer === tr.endpoint), JSON.stringify(seeder.events()));
    await tr.stop();
    await seeder.stop();
    ns.destroy();
    assert.ok(!createNetnsExists(ns.name), `namespace ${ns.name} still exists`);
    elapsed(t, started, '(b) total');
  });

  it('(b) Transmission 3.00 refuses a hybrid torrent (empty bencode key in the v2 file tree)', {
    skip: transmissionAvailable().ok ? false : transmissionAvailable().reason,
  }, async (t) => {
    const ns = createNetns({ cleanup: t });
    await assert.rejects(startTransmission({ torrent: hybrid, downloadDir: join(tmp, 'b-hybrid'), netns: ns, cleanup: t }),
      /cannot open v2 or hybrid torrents/);
  });

  it('(c) magnet: libtorrent fetches metadata, then the data, from libtorrent (x.pe peer only)', async (t) => {
    const started = performance.now();
    const seeder = await startLibtorrentSeeder({ torrent: hybrid, dataDir: seedDir, host: '127.0.0.4', cleanup: t });
    const magnet = `magnet:?xt=urn:btih:${seeder.infoHash}&xt=urn:btmh:1220${seeder.infoHashV2}&dn=${NAME}&x.pe=${seeder.endpoint}`;
    const meta = await runLibtorrentLeecher({ source: magnet, saveDir: join(tmp, 'c-meta'), host: '127.0.0.5', metadataOnly: true, timeoutSeconds: 20, cleanup: t });
    assert.equal(meta.ok, true, meta.error ?? undefined);
    assert.equal(meta.name, NAME);
    assert.equal(meta.infoHash, seeder.infoHash);
    assert.equal(meta.infoHashV2, seeder.infoHashV2);
    assert.ok(meta.metadataSeconds !== null);
    t.diagnostic(`metadata in ${meta.metadataSeconds?.toFixed(2)} s`);
    const out = join(tmp, 'c');
    const full = await runLibtorrentLeecher({ source: magnet, saveDir: out, host: '127.0.0.6', timeoutSeconds: 30, cleanup: t });
    assert.equal(full.ok, true, full.error ?? undefined);
    assert.ok(full.metadataSeconds !== null && full.seconds !== null && full.metadataSeconds <= full.seconds);
    assertSameContent(seedDir, out);
    elapsed(t, started, '(c) total');
  });

  it('(d) aria2: dialled by a libtorrent seeder; seeding to a libtorrent leecher; finding a seeder via the tracker', {
    skip: aria2Available().ok ? false : aria2Available().reason,
  }, async (t) => {
    let started = performance.now();
    // 1. aria2 leecher, dialled by libtorrent (aria2 cannot dial a given peer).
    const out1 = join(tmp, 'd1');
    const leech = await startAria2({ torrent: v1, dir: out1, mode: 'leech', host: '127.0.0.7', cleanup: t });
    const seeder = await startLibtorrentSeeder({ torrent: v1, dataDir: seedDir, host: '127.0.0.8', connect: [leech.endpoint], cleanup: t });
    await leech.waitForComplete(30_000);
    assertSameContent(seedDir, out1);
    elapsed(t, started, '(d) aria2 leecher, dialled');

    // 2. aria2 seeder; a libtorrent leecher dials it.
    started = performance.now();
    const aSeed = await startAria2({ torrent: v1, dir: seedDir, mode: 'seed', host: '127.0.0.9', cleanup: t });
    const out2 = join(tmp, 'd2');
    const r = await runLibtorrentLeecher({ source: v1, saveDir: out2, host: '127.0.0.10', peers: [aSeed.endpoint], timeoutSeconds: 30, cleanup: t });
    assert.equal(r.ok, true, r.error ?? undefined);
    assertSameContent(seedDir, out2);
    await aSeed.stop();
    assert.ok(!existsSync(join(seedDir, `${NAME}.aria2`)), 'aria2 seeder wrote a control file into the seed dir');
    elapsed(t, started, '(d) aria2 seeder -> libtorrent');

    // 3. aria2 leecher finds the libtorrent seeder through the static tracker, and dials it.
    started = performance.now();
    const tracker = await startStaticTracker({ peers: [seeder.endpoint], cleanup: t });
    const out3 = join(tmp, 'd3');
    const leech3 = await startAria2({ torrent: v1, dir: out3, mode: 'leech', host: '127.0.0.11', tracker: tracker.url, cleanup: t });
    await leech3.waitForComplete(30_000);
    assertSameContent(seedDir, out3);
    assert.ok(tracker.announces.some((a) => a.infoHash === seeder.infoHash), JSON.stringify(tracker.announces));
    elapsed(t, started, '(d) aria2 leecher via tracker');
    await seeder.stop();
  });

  it('(e) measureChild: wall, CPU and peak RSS of node and python children', async (t) => {
    const node = await measureChild(process.execPath, ['-e',
      'const b = Buffer.alloc(96 * 1024 * 1024, 1); let x = 0; for (let i = 0; i < 5e7; i++) x += i; console.log(b[0] + (x > 0 ? 1 : 0))']);
    assert.equal(node.exitCode, 0);
    assert.equal(node.stdout.trim(), '2');
    assert.ok(node.maxRssMb >= 96, `node peak RSS ${node.maxRssMb} MiB`);
    assert.ok(node.cpuSeconds > 0.02 && node.cpuSeconds <= node.wallSeconds * 4, `node ${JSON.stringify(node)}`);
    const py = await measureChild('/usr/bin/python3', ['-c',
      'import time\nb = bytearray(64 * 1024 * 1024)\nt = time.process_time()\nwhile time.process_time() - t < 0.3: pass\nprint("py")']);
    assert.equal(py.exitCode, 0);
    assert.ok(py.maxRssMb >= 64, `python peak RSS ${py.maxRssMb} MiB`);
    assert.ok(py.cpuSeconds >= 0.3, `python CPU ${py.cpuSeconds} s`);
    // A long-running child stopped with a signal (e.g. a seeder) still yields its usage.
    const seeder = startMeasuredChild('/usr/bin/python3', ['-c', 'import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\nprint("ready", flush=True)\ntime.sleep(60)']);
    await seeder.waitForLine(/^ready$/, 10_000);
    seeder.kill('SIGTERM');
    const s = await seeder.result;
    assert.equal(s.exitCode, 0);
    assert.ok(s.wallSeconds < 10);
    const line = formatBenchLine('harness-cpu', node.cpuSeconds, py.cpuSeconds, 's', 'python');
    assert.match(line, /^bench harness-cpu: shoal \d+\.\d\d s, python \d+\.\d\d s, ratio \d+\.\d\d$/);
    t.diagnostic(line);
  });
});

function createNetnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`) || existsSync(`/var/run/netns/${name}`);
}
