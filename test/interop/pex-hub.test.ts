/**
 * Shoal as the PEX hub (BEP 11): it seeds to two libtorrent leechers that each dial only
 * Shoal; Shoal's ut_pex messages must introduce them (at their listen ports, from the `p` of
 * their extended handshakes) so that they connect to each other. Their downloads are rate
 * limited so that they are still leeching (libtorrent drops seed-to-seed links) when they meet.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { cliBuilt, libtorrentAvailable, makeTempDir, removeDir, shoalCreate, writeTree } from './helpers.js';
import { startLibtorrentLeecher, type LtLeecher, type LtStatus } from './peers/index.js';
import { startShoalSeed } from './shoal-proc.js';

const MiB = 1024 * 1024;
const NAME = 'hub';
const lt = libtorrentAvailable();
const skip = !cliBuilt() ? 'the CLI is not built (run tsc)' : lt.ok ? false : lt.reason;
let tmp: string, torrent: string;

/** The latest status line of `l`, if any. */
const latest = (l: LtLeecher): LtStatus | undefined => l.process.jsonLines().filter((j) => j.status === true).at(-1) as LtStatus | undefined;
const linkedTo = (s: LtStatus | undefined, host: string) => s?.peerList.find((p) => p.ip.startsWith(`${host}:`));

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('shoal as the PEX hub', { skip, timeout: 120_000 }, () => {
  before(async () => {
    tmp = makeTempDir('shoal-pex-hub-');
    writeTree(join(tmp, 'seed', NAME), [{ path: 'data.bin', length: 8 * MiB }]);
    torrent = join(tmp, 'v1.torrent');
    await shoalCreate(join(tmp, 'seed', NAME), torrent, ['--v1', '--piece-length', '64k', '--no-date']);
  });
  after(() => removeDir(tmp));

  it('introduces two libtorrent leechers that only know Shoal, and they connect to each other', async (t) => {
    const seed = await startShoalSeed({ torrent, content: join(tmp, 'seed', NAME), host: '127.0.0.50', stateDir: join(tmp, 'st'), cleanup: t });
    const leech = (host: string) => startLibtorrentLeecher({
      source: torrent, saveDir: join(tmp, host), host, peers: [seed.endpoint], pex: true, seed: true,
      statusIntervalSeconds: 0.5, timeoutSeconds: 90, settings: { download_rate_limit: 250_000 }, limitLocal: true, cleanup: t,
    });
    const a = await leech('127.0.0.51');
    await until('the first leecher to connect to Shoal', 20_000, () => linkedTo(latest(a), '127.0.0.50'));
    const b = await leech('127.0.0.52');
    await until('the second leecher to connect to Shoal', 20_000, () => linkedTo(latest(b), '127.0.0.50'));
    // Shoal sends a newcomer the full list within its 1 s tick: the leechers meet within seconds.
    const link = await until('the leechers to meet through PEX', 20_000, () => linkedTo(latest(b), '127.0.0.51') ?? linkedTo(latest(a), '127.0.0.52')).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; first: ${JSON.stringify(latest(a)?.peerList)}, second: ${JSON.stringify(latest(b)?.peerList)}`);
    });
    t.diagnostic(`leechers linked: ${JSON.stringify(link)}`);
    const learnt = [linkedTo(latest(b), '127.0.0.51'), linkedTo(latest(a), '127.0.0.52')].some((p) => p?.pex);
    assert.ok(learnt || link.pex, 'one of them learnt of the other over ut_pex');
    assert.equal(latest(a)?.progress !== 1 || latest(b)?.progress !== 1, true, 'they met while still leeching');
    await Promise.all([a.stop(), b.stop(), seed.stop()]);
  });
});
