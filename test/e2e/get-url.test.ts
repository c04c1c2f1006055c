/**
 * `shoal get <http(s) URL>`: the .torrent is fetched from a local HTTP server (which counts
 * the fetch) and downloaded from a `shoal seed` on loopback; a URL that answers 404 or serves
 * something that is not a torrent ends with a clear error and exit code 1.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { cliBuilt, makeTempDir, removeDir, runCli, shoalCreate, writeTree } from '../interop/helpers.js';
import { differingFiles, startShoalSeed } from '../interop/shoal-proc.js';

const NAME = 'by-url';
const skip = cliBuilt() ? false : 'the CLI is not built (run tsc)';

describe('shoal get with the URL of a .torrent', { skip, timeout: 120_000 }, () => {
  let tmp: string, torrent: string, server: Server, base: string;
  const fetched: string[] = [];

  before(async () => {
    tmp = makeTempDir('shoal-get-url-');
    writeTree(join(tmp, 'seed', NAME), [{ path: 'a.bin', length: 300_001 }, { path: 'b.txt', length: 999 }]);
    torrent = join(tmp, 'by-url.torrent');
    await shoalCreate(join(tmp, 'seed', NAME), torrent, ['--no-date']);
    server = createServer((req, res) => {
      fetched.push(req.url ?? '');
      if (req.url === '/t/by-url.torrent') res.writeHead(200, { 'Content-Type': 'application/x-bittorrent' }).end(readFileSync(torrent));
      else if (req.url === '/moved') res.writeHead(302, { Location: '/t/by-url.torrent' }).end();
      else if (req.url === '/page.html') res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>not a torrent</html>');
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    removeDir(tmp);
  });

  it('fetches the .torrent (following a redirect) and downloads it', async (t) => {
    const seed = await startShoalSeed({ torrent, content: join(tmp, 'seed', NAME), host: '127.0.0.80', stateDir: join(tmp, 'st-seed'), cleanup: t });
    const out = join(tmp, 'out');
    const r = await runCli(['get', `${base}/moved`, '-o', out, '--peer', seed.endpoint, '--listen', '127.0.0.81:0', '--no-dht', '--no-lsd', '--state-dir', join(tmp, 'st-get')], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, `shoal get failed: ${r.stderr}`);
    assert.deepEqual(fetched, ['/moved', '/t/by-url.torrent']);
    assert.deepEqual(differingFiles(join(tmp, 'seed'), out, [join(NAME, 'a.bin'), join(NAME, 'b.txt')]), []);
    await seed.stop();
  });

  it('says what went wrong for a 404 and for a page that is not a torrent', async () => {
    const missing = await runCli(['get', `${base}/nothing.torrent`, '-o', join(tmp, 'x'), '--no-dht', '--no-lsd', '--state-dir', join(tmp, 'st-x')], { timeoutMs: 30_000 });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /answered HTTP 404/);
    const page = await runCli(['get', `${base}/page.html`, '-o', join(tmp, 'y'), '--no-dht', '--no-lsd', '--state-dir', join(tmp, 'st-y')], { timeoutMs: 30_000 });
    assert.equal(page.code, 1);
    assert.match(page.stderr, /is not a \.torrent file/);
  });
});
