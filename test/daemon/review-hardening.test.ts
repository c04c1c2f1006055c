/**
 * What a hostile or careless API client (or a first-time user) can hand the daemon's file and
 * URL handling: a save path under /proc (Node's recursive mkdir never returns there), a folder
 * to create a torrent from that is far too large, and a .torrent URL with credentials in it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeDirs, makeDirsSync } from '../../src/runtime/node/mkdirs.js';
import { prepareSavePath } from '../../src/daemon/service/save-path.js';
import { createFromPath } from '../../src/daemon/service/create.js';
import { fetchTorrentFile, shownUrl } from '../../src/daemon/service/url-fetch.js';
import { ServiceError } from '../../src/daemon/types.js';
import { within } from '../helpers/within.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'shoal-review-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('save paths the daemon cannot create', () => {
  it('refuses a save path under /proc with a 400 instead of spinning for ever', { skip: !existsSync('/proc/self') }, async () => {
    await assert.rejects(within(prepareSavePath('/proc/shoal-nonexistent/x', 'savePath'), 10_000), (e: unknown) => e instanceof ServiceError && e.status === 400 && /cannot be written/.test(e.message));
    assert.throws(() => makeDirsSync('/proc/shoal-nonexistent'), (e: NodeJS.ErrnoException) => typeof e.code === 'string');
  });

  it('refuses an existing directory no folder can be made in (/proc, /sys), which access() passes for root', { skip: !existsSync('/proc/self') }, async () => {
    for (const p of ['/proc', '/sys/kernel']) {
      if (!existsSync(p)) continue;
      await assert.rejects(within(prepareSavePath(p, 'savePath'), 10_000), (e: unknown) => e instanceof ServiceError && e.status === 400, p);
    }
    // A normal directory passes, and the probe leaves nothing behind.
    const ok = join(dir, 'ok');
    assert.equal(await prepareSavePath(ok, 'savePath'), ok);
    assert.deepEqual(readdirSync(ok), []);
  });

  it('still creates missing parents, leaves an existing directory alone and refuses a file in the way', async () => {
    const deep = join(dir, 'a', 'b', 'c');
    await makeDirs(deep);
    assert.ok(statSync(deep).isDirectory());
    await makeDirs(deep); // again: nothing to do
    makeDirsSync(join(dir, 'a', 'sync', 'd'));
    assert.ok(statSync(join(dir, 'a', 'sync', 'd')).isDirectory());
    writeFileSync(join(dir, 'file'), 'x');
    await assert.rejects(prepareSavePath(join(dir, 'file', 'sub'), 'savePath'), (e: unknown) => e instanceof ServiceError && e.status === 400);
  });
});

describe('POST /api/create on a huge folder', () => {
  it('walks the folder first and refuses one with more entries than the limit (400), without hashing', async () => {
    const tree = join(dir, 'tree');
    for (let d = 0; d < 3; d++) {
      mkdirSync(join(tree, `d${d}`), { recursive: true });
      for (let f = 0; f < 4; f++) writeFileSync(join(tree, `d${d}`, `f${f}`), 'data');
    }
    let added = 0;
    const o = { nowSeconds: 0, add: async () => String(++added), maxEntries: 10 };
    await assert.rejects(createFromPath({ path: tree }, o), (e: unknown) => e instanceof ServiceError && e.status === 400 && /more than 10 files and folders/.test(e.message));
    // Within the limit it is created as before.
    const ok = await createFromPath({ path: tree }, { ...o, maxEntries: 15 });
    assert.equal(ok.name, 'tree');
  });
});

describe('a .torrent URL with credentials', () => {
  let server: Server;
  let base: string;
  let other: string;
  const seen: { path: string; headers: IncomingHttpHeaders }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      seen.push({ path: req.url ?? '', headers: req.headers });
      if (req.url === '/private.torrent') {
        if (req.headers.authorization !== `Basic ${Buffer.from('me:s3cr#t').toString('base64')}`) return res.writeHead(401).end();
        return res.writeHead(200).end('d4:infod4:name1:xee');
      }
      if (req.url === '/elsewhere') return res.writeHead(302, { location: `${other}/landing` }).end();
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    other = `http://localhost:${port}`; // the same server under another origin
  });
  after(() => server.close());
  const limits = { maxBytes: 1 << 20, timeoutMs: 10_000, maxRedirects: 3 };

  it('sends them as Basic auth (fetch refuses such a URL outright), percent-decoded', async () => {
    const bytes = await fetchTorrentFile(`http://me:s3cr%23t@${base.slice('http://'.length)}/private.torrent`, limits);
    assert.equal(Buffer.from(bytes).toString(), 'd4:infod4:name1:xee');
  });

  it('keeps them out of error messages and away from another origin a redirect names', async () => {
    const url = `http://me:s3cr%23t@${base.slice('http://'.length)}`;
    await assert.rejects(fetchTorrentFile(`${url}/missing`, limits), (e: unknown) => e instanceof ServiceError && !e.message.includes('s3cr') && e.message.includes('/missing'));
    seen.length = 0;
    await assert.rejects(fetchTorrentFile(`${url}/elsewhere`, limits), (e: unknown) => e instanceof ServiceError && !e.message.includes('s3cr'));
    assert.deepEqual(seen.map((s) => [s.path, s.headers.authorization !== undefined]), [['/elsewhere', true], ['/landing', false]]);
    assert.equal(shownUrl(`${url}/x.torrent?passkey=1`), `${base}/x.torrent?passkey=1`);
  });
});

describe('.torrent by URL: redirects into the local network (SSRF)', () => {
  const limits = { maxBytes: 1 << 20, timeoutMs: 10_000, maxRedirects: 3 };

  it('refuses a public site redirecting to a loopback, private or link-local address, without asking it; the LAN may redirect within itself', async (t) => {
    // Tests reach only loopback, so the "public" site is global fetch answering by URL.
    const asked: string[] = [];
    const routes: Record<string, () => Response> = {
      'http://feed.example.org/t.torrent': () => new Response(null, { status: 302, headers: { location: 'http://192.168.1.1/cgi-bin/reboot' } }),
      'http://feed.example.org/loop.torrent': () => new Response(null, { status: 302, headers: { location: 'http://127.0.0.1:7878/api/stats' } }),
      'http://192.168.1.5/a.torrent': () => new Response(null, { status: 302, headers: { location: 'http://192.168.1.6/a.torrent' } }),
      'http://192.168.1.6/a.torrent': () => new Response('d4:infod4:name1:xee', { status: 200 }),
    };
    t.mock.method(globalThis, 'fetch', async (input: URL | string) => {
      const href = String(input);
      asked.push(href);
      return (routes[href] ?? (() => new Response(null, { status: 404 })))();
    });
    for (const url of ['http://feed.example.org/t.torrent', 'http://feed.example.org/loop.torrent']) {
      await assert.rejects(fetchTorrentFile(url, limits), (e: unknown) => e instanceof ServiceError && e.status === 400 && /refused/.test(e.message));
    }
    assert.deepEqual(asked, ['http://feed.example.org/t.torrent', 'http://feed.example.org/loop.torrent'], 'the local addresses were never asked');
    assert.equal(Buffer.from(await fetchTorrentFile('http://192.168.1.5/a.torrent', limits)).toString(), 'd4:infod4:name1:xee');
  });
});
