/**
 * One swarm of four implementations: libtorrent (rasterbar), aria2, rtorrent
 * (libtorrent-rakshasa) and Shoal. Each starts with a different quarter of the pieces (the
 * rest of its file is zeros, found bad by its own check); nobody is a seed. aria2, rtorrent
 * and Shoal find each other through a tracker; libtorrent announces nowhere and only dials
 * Shoal, so the others learn of it over ut_pex (BEP 11). Rarest-first then spreads the
 * quarters until all four have every piece.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliBuilt, CLI_PATH, libtorrentAvailable, makeTempDir, pseudoRandomBytes, removeDir, shoalCreate } from './helpers.js';
import { aria2Available, freePort, type LtStatus, rtorrentAvailable, startAria2, startLibtorrentLeecher, startRtorrent, startStaticTracker } from './peers/index.js';
import { differingFiles, startShoal } from './shoal-proc.js';

const KiB = 1024;
const NAME = 'quarters';
const PIECE = 64 * KiB;
const PIECES = 64;
const FILE = join(NAME, 'data.bin');
const missing = [
  !cliBuilt() && 'the CLI is not built (run tsc)',
  !libtorrentAvailable().ok && libtorrentAvailable().reason,
  !aria2Available().ok && aria2Available().reason,
  !rtorrentAvailable().ok && rtorrentAvailable().reason,
].filter(Boolean);
const skip = missing.length > 0 ? missing.join('; ') : false;
let tmp: string, full: Uint8Array, torrent: string;

/** A copy of the content under `dir` with only quarter `q` of the pieces right (zeros elsewhere). */
function writeQuarter(dir: string, q: number): void {
  const bytes = new Uint8Array(full.length);
  const from = q * (PIECES / 4) * PIECE;
  bytes.set(full.subarray(from, from + (PIECES / 4) * PIECE), from);
  mkdirSync(join(dir, NAME), { recursive: true });
  writeFileSync(join(dir, FILE), bytes);
}

async function until(what: string, timeoutMs: number, ok: () => boolean): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('a swarm of libtorrent, aria2, rtorrent and Shoal', { skip, timeout: 300_000 }, () => {
  before(() => {
    tmp = makeTempDir('shoal-four-');
    full = pseudoRandomBytes('four-client-swarm', PIECES * PIECE);
  });
  after(() => removeDir(tmp));

  it('spreads four disjoint quarters until all four clients have every piece', async (t) => {
    const tracker = await startStaticTracker({ host: '127.0.0.100', intervalSeconds: 5, cleanup: t });
    const src = join(tmp, 'src');
    mkdirSync(join(src, NAME), { recursive: true });
    writeFileSync(join(src, FILE), full);
    torrent = join(tmp, 'v1.torrent');
    await shoalCreate(join(src, NAME), torrent, ['--v1', '--piece-length', '64k', '--no-date', '--tracker', tracker.url]);

    const dirs = ['shoal', 'rtorrent', 'aria2', 'libtorrent'].map((n) => join(tmp, n));
    dirs.forEach((d, q) => writeQuarter(d, q));

    const shoalHost = '127.0.0.101';
    const shoalPort = await freePort(shoalHost);
    const shoal = await startShoal([CLI_PATH, 'get', torrent, '-o', dirs[0], '--seed', '--listen', `${shoalHost}:${shoalPort}`, '--no-dht', '--state-dir', join(tmp, 'st')], t, { endpoint: `${shoalHost}:${shoalPort}` });
    const rt = await startRtorrent({ torrent, dir: dirs[1], workDir: join(tmp, 'rt-work'), host: '127.0.0.102', pex: true, cleanup: t });
    const aria = await startAria2({ torrent, dir: dirs[2], mode: 'leech', seedAfter: true, host: '127.0.0.103', pex: true, extraArgs: ['--check-integrity=true', '--bt-tracker-interval=5'], cleanup: t });
    const lt = await startLibtorrentLeecher({ source: torrent, saveDir: dirs[3], host: '127.0.0.104', peers: [shoal.endpoint], pex: true, seed: true, timeoutSeconds: 200, statusIntervalSeconds: 0.5, cleanup: t });

    const done = await Promise.allSettled([
      // `shoal get --seed` prints its summary only on exit: watch its file instead, check the count at the end.
      until('shoal to have every byte', 90_000, () => {
        if (shoal.child.exitCode !== null) throw new Error(`shoal exited ${shoal.child.exitCode}: ${shoal.output()}`);
        return differingFiles(src, dirs[0], [FILE]).length === 0;
      }).catch((e: unknown) => {
        throw new Error(`${(e as Error).message}; shoal said: ${shoal.output().slice(-2000)}`);
      }).then(() => 'shoal'),
      rt.waitForComplete(90_000).then(() => 'rtorrent'),
      aria.waitForComplete(90_000).then(() => 'aria2'),
      lt.result.then((r) => {
        if (!r.ok) throw new Error(`libtorrent: ${r.error}`);
        return 'libtorrent';
      }),
    ]);
    const failed = done.flatMap((d) => (d.status === 'rejected' ? [(d.reason as Error).message.slice(0, 600)] : []));
    assert.deepEqual(failed, [], 'every client finishes');
    for (const d of dirs) assert.deepEqual(differingFiles(src, d, [FILE]), [], `${d} has the whole content`);
    assert.equal(readFileSync(join(dirs[0], FILE)).length, full.length);
    // libtorrent announced nowhere and dialled only Shoal: any link to aria2 or rtorrent came from PEX.
    const ltLinks = new Set(lt.process.jsonLines().flatMap((j) => (j.status === true ? (j as unknown as LtStatus).peerList.map((p) => p.ip.split(':')[0]) : [])));
    // Whether libtorrent also met aria2 or rtorrent depends on timing: the swarm often finishes
    // (6-30 s) before a second PEX round (BEP 11: once a minute), and it did in 2 of 13 runs.
    // PEX introducing peers is asserted deterministically in pex-hub.test.ts; here it is reported.
    t.diagnostic(`libtorrent was connected to ${[...ltLinks].sort().join(', ')}${ltLinks.has(rt.host) || ltLinks.has(aria.host) ? ' (met a client through PEX)' : ' (met no other client before the swarm finished)'}`);
    await shoal.stop();
    assert.match(shoal.output(), new RegExp(`at ${PIECES}/${PIECES} pieces`), 'shoal verified every piece');
    assert.doesNotMatch(shoal.output(), /banned/);
    await Promise.all([rt.stop(), aria.stop(), lt.stop(), tracker.close()]);
  });
});
