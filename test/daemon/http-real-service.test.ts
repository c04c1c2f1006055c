/**
 * The API over the real DaemonService: a magnet added through POST /api/torrents downloads
 * from a Shoal seeder on loopback that only has the second half of the file, so the torrent
 * stays mid-download; a range request into that half returns the right bytes, and one into
 * the missing half waits (without holding up other requests) until the client hangs up.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { DaemonService } from '../../src/daemon/service/service.js';
import type { TorrentDetails } from '../../src/daemon/types.js';
import { createTorrent } from '../../src/runtime/node/create/create-torrent.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { Session } from '../../src/session/session.js';
import type { Swarm } from '../../src/swarm/swarm.js';
import { startHarnessFor, TOKEN, type Harness } from './http-harness.js';

const PIECE = 16 * 1024;
const PIECES = 20;
/** The seeder's copy has pieces 0..9 zeroed, so it can only offer pieces 10..19. */
const MISSING = 10;

describe('HTTP API over the real torrent service', { timeout: 60_000 }, () => {
  const runtime: NodeRuntime = createNodeRuntime();
  const base = mkdtempSync(join(tmpdir(), 'shoal-api-real-'));
  const data = Uint8Array.from({ length: PIECE * PIECES }, (_, i) => (i * 131 + (i >> 9)) & 0xff);
  let h: Harness<DaemonService>;
  let seeder: Session;
  let seederSwarm: Swarm;
  let infoHash: string;
  let magnet: string;

  before(async () => {
    const source = join(base, 'source');
    mkdirSync(source);
    writeFileSync(join(source, 'clip.mp4'), data);
    const { torrent } = await createTorrent(join(source, 'clip.mp4'), { pieceLength: PIECE, version: 'v1', creationDate: null, threads: 0 });
    infoHash = Buffer.from(torrent.infoHashV1!).toString('hex');

    const seederDir = join(base, 'seeder');
    mkdirSync(seederDir);
    const partial = Uint8Array.from(data);
    partial.fill(0, 0, MISSING * PIECE);
    writeFileSync(join(seederDir, 'clip.mp4'), partial);
    seeder = await Session.create({ runtime, stateDir: join(base, 'seeder-state'), listen: { host: '127.0.0.1', port: 0 } });
    seederSwarm = await seeder.addTorrent({ torrent, downloadDir: seederDir });
    magnet = `magnet:?xt=urn:btih:${infoHash}&dn=clip.mp4&x.pe=127.0.0.1:${seeder.listenAddress!.port}`;

    const service = await DaemonService.create({
      runtime, stateDir: join(base, 'daemon-state'), downloadDir: join(base, 'downloads'),
      listen: { host: '127.0.0.1', port: 0 }, dhtBootstrap: false, wallClock: () => Date.now(),
    });
    service.startAll();
    h = await startHarnessFor(service);
  });

  after(async () => {
    await h?.close();
    await h?.service.close();
    await seeder?.close();
    runtime.close();
  });

  /** Polls the details until `ok` holds (the service fetches metadata and pieces in its own time). */
  async function detailsWhen(ok: (d: TorrentDetails) => boolean): Promise<TorrentDetails> {
    for (;;) {
      const r = await h.request('GET', `/api/torrents/${infoHash}`);
      assert.equal(r.status, 200);
      const d = r.json() as TorrentDetails;
      if (ok(d)) return d;
      await sleep(50);
    }
  }

  it('streams the right bytes of a range while the torrent is still downloading', async () => {
    assert.equal(seederSwarm.stats().have, PIECES - MISSING, 'the seeder verified only the second half');
    const added = await h.request('POST', '/api/torrents', { body: { magnet } });
    assert.equal(added.status, 201);
    assert.deepEqual(added.json(), { infoHash });

    const withMetadata = await detailsWhen((d) => d.pieceCount > 0);
    assert.equal(withMetadata.files[0].path, 'clip.mp4');

    // Inside piece 14 and across into piece 15.
    const start = 14 * PIECE + 1000, end = 15 * PIECE + 2000;
    const r = await h.request('GET', `/api/torrents/${infoHash}/files/0/stream`, { headers: { range: `bytes=${start}-${end}` } });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${data.length}`);
    assert.equal(r.headers['content-type'], 'video/mp4');
    assert.deepEqual(new Uint8Array(r.body), data.slice(start, end + 1));

    const d = (await h.request('GET', `/api/torrents/${infoHash}`)).json() as TorrentDetails;
    assert.ok(d.progress < 1, `still mid-download (progress ${d.progress})`);
    assert.notEqual(d.state, 'seeding');
  });

  it('goes on serving while a client waits on a piece nobody has, and after it gives up', async () => {
    // The status line comes with the first byte, so this request just waits; then its client hangs up.
    const waiting = request({ host: '127.0.0.1', port: h.port, path: `/api/torrents/${infoHash}/files/0/stream`, agent: false,
      headers: { host: h.hostPort, authorization: `Bearer ${TOKEN}`, range: `bytes=${2 * PIECE}-${3 * PIECE - 1}` } });
    const outcome = new Promise<string>((resolve) => {
      waiting.on('response', () => resolve('answered'));
      waiting.on('error', () => resolve('hung up'));
    });
    waiting.end();
    const tail = await h.request('GET', `/api/torrents/${infoHash}/files/0/stream`, { headers: { range: 'bytes=-100' } });
    assert.equal(tail.status, 206);
    assert.deepEqual(new Uint8Array(tail.body), data.slice(data.length - 100));
    waiting.destroy();
    assert.equal(await outcome, 'hung up', 'no answer came for a piece nobody has');
    assert.equal((await h.request('GET', `/api/torrents/${infoHash}`)).status, 200);
  });
});
