/**
 * Through the HTTP API over the real service: adding a torrent by the URL of its .torrent
 * (redirects, size and time limits, things that are not torrents), creating a torrent from a
 * folder (and seeding it), stream URLs that need no token, and bulk actions (one journal
 * commit for many torrents, a cap on the list).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DaemonService } from '../../src/daemon/service/service.js';
import type { TorrentDetails, TorrentPage } from '../../src/daemon/types.js';
import { parseTorrent } from '../../src/metainfo/torrent.js';
import { createNodeRuntime, type NodeRuntime } from '../../src/runtime/node/index.js';
import { startHarnessFor, type Harness } from './http-harness.js';
import { hex, makeTorrent, payload, waitFor } from './service-helpers.js';

const MAX_FETCH = 64 * 1024;

describe('HTTP API: add by URL, create, stream URLs, bulk', { timeout: 120_000 }, () => {
  const base = mkdtempSync(join(tmpdir(), 'shoal-api-add-'));
  const runtime: NodeRuntime = createNodeRuntime();
  let h: Harness<DaemonService>;
  let web: Server;
  let webBase: string;
  let clock = 1_800_000_000_000;
  const routes = new Map<string, (res: import('node:http').ServerResponse) => void>();

  before(async () => {
    const service = await DaemonService.create({
      runtime, stateDir: join(base, 'state'), downloadDir: join(base, 'downloads'), listen: { host: '127.0.0.71', port: 0 },
      dhtBootstrap: false, wallClock: () => Date.now(), urlFetch: { maxBytes: MAX_FETCH, timeoutMs: 1500 },
    });
    void service.startAll();
    h = await startHarnessFor(service, { limits: { maxBulkTorrents: 50, streamTicketTtlMs: 60_000, maxStreamTickets: 2 }, wallClock: () => clock });
    web = createServer((req, res) => {
      const route = routes.get(req.url ?? '');
      if (route) route(res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => web.listen(0, '127.0.0.72', r));
    webBase = `http://127.0.0.72:${(web.address() as AddressInfo).port}`;
  });

  after(async () => {
    web.closeAllConnections();
    await new Promise((r) => web.close(r));
    await h?.close();
    await h?.service.close();
    runtime.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('adds a torrent from the URL of its .torrent, following up to 3 redirects; clear 4xx otherwise', async () => {
    const { torrent, bytes } = await makeTorrent(join(base, 'url-src'), 'fromurl', [{ path: 'u.bin', length: 5000 }]);
    routes.set('/t.torrent', (res) => res.writeHead(200, { 'content-type': 'application/x-bittorrent' }).end(bytes));
    for (let i = 1; i <= 4; i++) routes.set(`/r${i}`, (res) => res.writeHead(302, { location: i === 1 ? '/t.torrent' : `/r${i - 1}` }).end());
    routes.set('/html', (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login first</html>'));
    routes.set('/big', (res) => res.writeHead(200).end(Buffer.alloc(MAX_FETCH + 1)));
    routes.set('/big-chunked', (res) => {
      res.writeHead(200);
      for (let i = 0; i < 5; i++) res.write(Buffer.alloc(MAX_FETCH / 4));
      res.end();
    });
    routes.set('/slow', () => undefined); // never answers
    routes.set('/to-file', (res) => res.writeHead(302, { location: 'file:///etc/passwd' }).end());

    const add = (url: string) => h.request('POST', '/api/torrents', { body: { url, paused: true } });
    const ok = await add(`${webBase}/r3`);
    assert.equal(ok.status, 201, ok.body.toString());
    assert.deepEqual(ok.json(), { infoHash: hex(torrent) });
    assert.equal((await h.request('GET', `/api/torrents/${hex(torrent)}`)).status, 200);

    const expect = async (url: string, status: number, pattern: RegExp) => {
      const r = await add(url);
      assert.equal(r.status, status, `${url}: ${r.body.toString()}`);
      assert.match((r.json() as { error: string }).error, pattern, url);
    };
    await expect(`${webBase}/r4`, 400, /redirects more than 3 times/);
    await expect(`${webBase}/html`, 422, /did not give a usable \.torrent/);
    await expect(`${webBase}/big`, 413, /bytes/);
    await expect(`${webBase}/big-chunked`, 413, /larger than/);
    await expect(`${webBase}/slow`, 400, /took longer than 1500 ms/);
    await expect(`${webBase}/missing`, 400, /HTTP 404/);
    await expect(`${webBase}/to-file`, 400, /only http, https and magnet/);
    await expect('ftp://127.0.0.72/x.torrent', 400, /only http, https and magnet/);
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.73', r));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    await expect(`http://127.0.0.73:${closedPort}/x.torrent`, 400, /cannot fetch .*ECONNREFUSED/);
    assert.equal((await h.request('POST', '/api/torrents', { body: { url: `${webBase}/r1`, magnet: 'magnet:?xt=urn:btih:' + 'cd'.repeat(20) } })).status, 400);

    const magnet = await add(`magnet:?xt=urn:btih:${'cd'.repeat(20)}&dn=m`);
    assert.equal(magnet.status, 201);
    assert.deepEqual(magnet.json(), { infoHash: 'cd'.repeat(20) });
  });

  it('fetches at most 4 .torrent URLs at once (each may hold 20 MiB for 30 s); another is a 409 meanwhile', async () => {
    let hanging = 0;
    for (let i = 1; i <= 5; i++) routes.set(`/hang${i}`, () => void hanging++); // never answers: each fetch holds its slot until the 1.5 s deadline
    const add = (url: string) => h.request('POST', '/api/torrents', { body: { url, paused: true } });
    const slow = [1, 2, 3, 4].map((i) => add(`${webBase}/hang${i}`));
    await waitFor('four fetches under way', () => hanging === 4 || undefined);
    const fifth = await add(`${webBase}/hang5`);
    assert.equal(fifth.status, 409, fifth.body.toString());
    assert.match((fifth.json() as { error: string }).error, /4 \.torrent files are being fetched already/);
    for (const r of await Promise.all(slow)) assert.equal(r.status, 400);
    // The slots are free again.
    assert.equal((await add(`${webBase}/missing`)).status, 400);
  });

  it('creates a torrent from a folder on the daemon\'s machine and seeds it when asked', async () => {
    const folder = join(base, 'made', 'album');
    mkdirSync(join(folder, 'disc1'), { recursive: true });
    writeFileSync(join(folder, 'disc1', 'track.bin'), payload(70_000, 3));
    writeFileSync(join(folder, 'cover.bin'), payload(9_000, 4));
    const r = await h.request('POST', '/api/create', { body: { path: folder, pieceLength: 16384, trackers: ['http://127.0.0.74:1/announce', ['udp://127.0.0.74:2/announce']], comment: 'made here', private: true, seed: true } });
    assert.equal(r.status, 201, r.body.toString());
    const created = r.json() as { infoHash: string; name: string; torrent: string };
    assert.equal(created.name, 'album');
    const t = parseTorrent(Buffer.from(created.torrent, 'base64'));
    assert.equal(hex(t), created.infoHash);
    assert.equal(t.pieceLength, 16384);
    assert.equal(t.private, true);
    assert.deepEqual(t.trackers, [['http://127.0.0.74:1/announce'], ['udp://127.0.0.74:2/announce']]);
    const d = await waitFor('the created torrent to seed', async () => {
      const x = (await h.request('GET', `/api/torrents/${created.infoHash}`)).json() as TorrentDetails;
      return x.state === 'seeding' ? x : undefined;
    });
    assert.equal(d.progress, 1);
    assert.equal(d.savePath, join(base, 'made'));

    for (const body of [{ path: 'relative/dir' }, { path: join(base, 'nope') }, { path: folder, pieceLength: 1000 }, { path: folder, trackers: [['gopher://x']] }, { path: folder, extra: 1 }]) {
      assert.equal((await h.request('POST', '/api/create', { body })).status, 400, JSON.stringify(body));
    }
  });

  it('creates at most two torrents at once; a third meanwhile is a 409', async () => {
    const big = join(base, 'made-big');
    mkdirSync(big, { recursive: true });
    writeFileSync(join(big, 'a.bin'), payload(24 * 1024 * 1024, 9));
    const answers = await Promise.all([0, 1, 2].map(() => h.request('POST', '/api/create', { body: { path: big } })));
    assert.deepEqual(answers.map((r) => r.status).sort(), [201, 201, 409], answers.map((r) => r.body.toString().slice(0, 120)).join(' | '));
    assert.equal((await h.request('POST', '/api/create', { body: { path: big } })).status, 201, 'free again afterwards');
  });

  it('gives a stream URL that needs no token, for one file, until it expires', async () => {
    const { torrent, bytes } = await makeTorrent(join(base, 'stream-src'), 'clip', [{ path: 'a.mp4', length: 50_000 }, { path: 'b.mp4', length: 10_000 }]);
    const id = hex(torrent);
    await h.request('POST', '/api/torrents', { body: { torrent: Buffer.from(bytes).toString('base64'), savePath: join(base, 'stream-src') } });
    await waitFor('seeding', async () => ((await h.request('GET', `/api/torrents/${id}`)).json() as TorrentDetails).state === 'seeding');

    assert.equal((await h.request('POST', `/api/torrents/${id}/files/0/stream-url`, { auth: null })).status, 401, 'asking for one needs the token');
    assert.equal((await h.request('POST', `/api/torrents/${id}/files/7/stream-url`)).status, 404);
    const r = await h.request('POST', `/api/torrents/${id}/files/0/stream-url`);
    assert.equal(r.status, 201);
    const { url, expiresAt } = r.json() as { url: string; expiresAt: number };
    assert.match(url, /^\/api\/stream\/[0-9a-f]{32}$/);
    assert.equal(expiresAt, clock + 60_000);
    assert.ok(!url.includes('token'));

    const part = await h.request('GET', url, { auth: null, headers: { range: 'bytes=100-199' } });
    assert.equal(part.status, 206);
    assert.deepEqual(part.body, Buffer.from(payload(50_000, 0 + 7 + 'clip'.length).subarray(100, 200)));
    assert.equal((await h.request('GET', url.replace(/.$/, (c) => (c === '0' ? '1' : '0')), { auth: null })).status, 404, 'a guessed ticket is nobody\'s');
    clock += 60_000;
    assert.equal((await h.request('GET', url, { auth: null })).status, 404, 'expired');

    // At most two live tickets: a third drops the oldest.
    const issue = async () => ((await h.request('POST', `/api/torrents/${id}/files/1/stream-url`)).json() as { url: string }).url;
    const [a, b, c] = [await issue(), await issue(), await issue()];
    assert.equal((await h.request('GET', a, { auth: null })).status, 404);
    assert.equal((await h.request('HEAD', b, { auth: null })).status, 200);
    const whole = await h.request('GET', c, { auth: null });
    assert.equal(whole.status, 200);
    assert.equal(whole.body.length, 10_000);
  });

  it('pauses, resumes and removes many torrents in one request, with one journal commit per batch; caps the list', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const ih = (i + 16).toString(16).padStart(2, '0').repeat(20);
      const r = await h.request('POST', '/api/torrents', { body: { magnet: `magnet:?xt=urn:btih:${ih}&dn=bulk${i}` } });
      assert.equal(r.status, 201);
      ids.push(ih);
    }
    const commits = h.service.journalCommits;
    const unknown = 'ee'.repeat(20);
    const paused = await h.request('POST', '/api/torrents/bulk', { body: { action: 'pause', infoHashes: [...ids, unknown] } });
    assert.equal(paused.status, 200);
    const results = (paused.json() as { results: Record<string, string> }).results;
    for (const id of ids) assert.equal(results[id], 'ok');
    assert.match(results[unknown], /no torrent/);
    assert.ok(h.service.journalCommits - commits <= 2, `20 pauses took ${h.service.journalCommits - commits} journal commits`);
    const page = (await h.request('GET', '/api/torrents?state=paused&limit=1000')).json() as TorrentPage;
    for (const id of ids) assert.ok(page.torrents.some((t) => t.infoHash === id), id);

    assert.equal(((await h.request('POST', '/api/torrents/bulk', { body: { action: 'resume', infoHashes: ids.slice(0, 5) } })).json() as { results: Record<string, string> }).results[ids[0]], 'ok');
    assert.notEqual(((await h.request('GET', `/api/torrents/${ids[0]}`)).json() as TorrentDetails).state, 'paused');
    const removed = await h.request('POST', '/api/torrents/bulk', { body: { action: 'remove', infoHashes: ids, deleteData: true } });
    assert.equal(removed.status, 200);
    assert.equal((await h.request('GET', `/api/torrents/${ids[3]}`)).status, 404);

    const tooMany = Array.from({ length: 51 }, (_, i) => i.toString(16).padStart(40, '0'));
    assert.equal((await h.request('POST', '/api/torrents/bulk', { body: { action: 'pause', infoHashes: tooMany } })).status, 400);
    for (const body of [{ action: 'explode', infoHashes: [] }, { action: 'pause', infoHashes: ['xyz'] }, { action: 'pause' }]) {
      assert.equal((await h.request('POST', '/api/torrents/bulk', { body })).status, 400, JSON.stringify(body));
    }
  });
});
