/** The web UI's static files: content types, `/` -> index.html, no escape from the root, and a page when the UI is not built. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawExchange, startHarness, type Harness } from './http-harness.js';

describe('HTTP API: static UI', () => {
  let h: Harness;
  let outside: string;
  before(async () => {
    const base = mkdtempSync(join(tmpdir(), 'shoal-static-'));
    const root = join(base, 'web');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>Shoal</title>');
    writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(root, 'assets', 'app.css'), 'body{}');
    writeFileSync(join(root, 'assets', 'logo.svg'), '<svg/>');
    outside = join(base, 'secret.txt');
    writeFileSync(outside, 'SECRET');
    symlinkSync(outside, join(root, 'link.txt'));
    h = await startHarness({ webRoot: root });
  });
  after(() => h.close());

  it('serves / as index.html and assets with their content types, without a token', async () => {
    const index = await h.request('GET', '/', { auth: null });
    assert.equal(index.status, 200);
    assert.equal(index.headers['content-type'], 'text/html; charset=utf-8');
    assert.equal(index.body.toString(), '<!doctype html><title>Shoal</title>');
    assert.equal(index.headers['x-frame-options'], 'DENY');
    for (const [path, type] of [['/assets/app.js', 'text/javascript; charset=utf-8'], ['/assets/app.css', 'text/css; charset=utf-8'], ['/assets/logo.svg', 'image/svg+xml; charset=utf-8'], ['/index.html', 'text/html; charset=utf-8']]) {
      const r = await h.request('GET', path, { auth: null });
      assert.equal(r.status, 200, path);
      assert.equal(r.headers['content-type'], type, path);
      assert.equal(r.headers['x-content-type-options'], 'nosniff');
    }
    const head = await h.request('HEAD', '/assets/app.js', { auth: null });
    assert.equal(head.headers['content-length'], String('console.log(1)'.length));
    assert.equal(head.body.length, 0);
  });

  it('answers 404 for missing files and directories, and never serves a file outside the root', async () => {
    for (const path of ['/nope.html', '/assets', '/assets/', '/link.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%00', '/%E0%A4%A']) {
      const r = await h.request('GET', path, { auth: null });
      assert.equal(r.status === 404 || r.status === 400, true, `${path}: ${r.status}`);
      assert.ok(!r.body.toString().includes('SECRET'), path);
    }
    // Unnormalized paths straight on the socket (clients normally clean these up).
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/./../secret.txt']) {
      const answer = await rawExchange(h.port, `GET ${path} HTTP/1.1\r\nHost: ${h.hostPort}\r\nConnection: close\r\n\r\n`);
      assert.match(answer, /^HTTP\/1\.1 (400|404) /, path);
      assert.ok(!answer.includes('SECRET'), path);
    }
  });
});

describe('HTTP API: static UI not built', () => {
  let h: Harness;
  before(async () => (h = await startHarness({ webRoot: join(mkdtempSync(join(tmpdir(), 'shoal-static-')), 'absent') })));
  after(() => h.close());

  it('answers / with a plain page saying the UI is not built, and keeps the API working', async () => {
    const r = await h.request('GET', '/', { auth: null });
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^text\/plain/);
    assert.match(r.body.toString(), /web UI has not been built/);
    assert.equal((await h.request('GET', '/app.js', { auth: null })).status, 404);
    assert.equal((await h.request('GET', '/api/stats')).status, 200);
  });
});
