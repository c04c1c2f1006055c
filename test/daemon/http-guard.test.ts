/**
 * Who gets in: the API token (header, and ?token= only where EventSource and <video> need
 * it), the Host check against DNS rebinding, the Origin check against cross-site requests,
 * and the token file.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HostCheck, TokenCheck } from '../../src/daemon/http/guard.js';
import { loadOrCreateToken } from '../../src/daemon/http/token.js';
import { rawExchange, startHarness, TOKEN, type Harness } from './http-harness.js';

describe('HTTP API: token', () => {
  let h: Harness;
  let id: string;
  before(async () => {
    h = await startHarness();
    id = h.service.seed({ name: 'guarded' });
  });
  after(() => h.close());

  it('answers 401 with a JSON error and WWW-Authenticate without a token, with a wrong one, or a non-Bearer scheme', async () => {
    for (const auth of [null, 'Bearer wrong-token', `Bearer ${TOKEN}x`, `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, TOKEN, 'Bearer']) {
      for (const [method, path] of [['GET', '/api/torrents'], ['POST', '/api/torrents'], ['GET', '/metrics'], ['GET', '/api/events'], ['DELETE', `/api/torrents/${id}`]]) {
        const r = await h.request(method, path, { auth, body: method === 'POST' ? { magnet: 'x' } : undefined });
        assert.equal(r.status, 401, `${method} ${path} with ${auth}`);
        assert.match((r.json() as { error: string }).error, /token/);
        assert.match(String(r.headers['www-authenticate']), /^Bearer/);
      }
    }
    assert.equal(h.service.torrents.has(id), true, 'the unauthenticated DELETE did nothing');
  });

  it('accepts the token in the Authorization header, scheme in any case', async () => {
    assert.equal((await h.request('GET', '/api/torrents', { auth: `bearer ${TOKEN}` })).status, 200);
    assert.equal((await h.request('GET', '/metrics')).status, 200);
  });

  it('accepts ?token= on the event stream and file stream only', async () => {
    const q = `token=${encodeURIComponent(TOKEN)}`;
    const stream = await h.request('GET', `/api/torrents/${id}/files/0/stream?${q}`, { auth: null });
    assert.equal(stream.status, 200);
    const events = await h.open('GET', `/api/events?${q}`, { auth: null });
    assert.equal(events.statusCode, 200);
    events.destroy();
    assert.equal((await h.request('GET', `/api/torrents?${q}`, { auth: null })).status, 401);
    assert.equal((await h.request('GET', `/metrics?${q}`, { auth: null })).status, 401);
    assert.equal((await h.request('GET', `/api/events?token=nope`, { auth: null })).status, 401);
  });

  it('does not let an encoded path reach an API route without the token', async () => {
    for (const path of ['/%61pi/torrents', '/api/%74orrents', '/API/torrents', '//api/torrents', '/api/torrents/']) {
      const r = await h.request('GET', path, { auth: null });
      assert.notEqual(r.status, 200, path);
      assert.ok(!r.body.toString().includes('"torrents"'), path);
    }
  });
});

describe('HTTP API: Host and Origin', () => {
  let h: Harness;
  before(async () => (h = await startHarness()));
  after(() => h.close());

  it('answers 403 to a Host that is not the daemon (DNS rebinding), even with the right token', async () => {
    for (const host of ['evil.example', `evil.example:${h.port}`, `127.0.0.1:${h.port + 1}`, '127.0.0.1', `localhost.evil.example:${h.port}`, `127.0.0.2:${h.port}`, `user@127.0.0.1:${h.port}`]) {
      const r = await h.request('GET', '/api/torrents', { host });
      assert.equal(r.status, 403, `Host: ${host}`);
      assert.match((r.json() as { error: string }).error, /Host/);
    }
  });

  it('answers 403 to a request without a Host header', async () => {
    const answer = await rawExchange(h.port, `GET /api/torrents HTTP/1.0\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.[01] 403 /);
  });

  it('answers 400 to a request with two Host headers', async () => {
    const answer = await rawExchange(h.port, `GET /api/torrents HTTP/1.1\r\nHost: ${h.hostPort}\r\nHost: evil.example\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 400 /);
    assert.match(answer, /more than one Host/);
  });

  it('accepts the bound address and the loopback names on the same port', async () => {
    for (const host of [`127.0.0.1:${h.port}`, `localhost:${h.port}`, `LOCALHOST:${h.port}`, `[::1]:${h.port}`]) {
      assert.equal((await h.request('GET', '/api/torrents', { host })).status, 200, host);
    }
  });

  it('answers 403 to a foreign or null Origin and accepts our own', async () => {
    for (const origin of ['http://evil.example', `http://evil.example:${h.port}`, 'null', `https://127.0.0.1:${h.port}`, `http://127.0.0.1:${h.port + 1}`, `http://127.0.0.1:${h.port}/path`]) {
      const r = await h.request('POST', '/api/torrents', { headers: { origin }, body: { magnet: 'magnet:?xt=urn:btih:' + 'a'.repeat(40) } });
      assert.equal(r.status, 403, origin);
      assert.match((r.json() as { error: string }).error, /cross-origin/);
    }
    assert.equal(h.service.torrents.size, 0, 'no cross-origin request added anything');
    for (const origin of [`http://127.0.0.1:${h.port}`, `http://localhost:${h.port}`]) {
      assert.equal((await h.request('GET', '/api/torrents', { headers: { origin } })).status, 200, origin);
    }
  });

  it('applies the Host check to the static UI, which needs no token', async () => {
    assert.equal((await h.request('GET', '/', { auth: null })).status, 200);
    assert.equal((await h.request('GET', '/', { auth: null, host: `evil.example:${h.port}` })).status, 403);
    // A preflight from another site gets no CORS approval.
    const preflight = await h.request('OPTIONS', '/api/torrents', { auth: null, headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    assert.equal(preflight.status, 403);
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  });
});

describe('HostCheck', () => {
  it('when bound to every interface, accepts IP literals on its port but no host names other than localhost', () => {
    const any = new HostCheck('0.0.0.0', 8080);
    assert.equal(any.allowsHost('192.168.1.20:8080'), true);
    assert.equal(any.allowsHost('[fe80::1]:8080'), true);
    assert.equal(any.allowsHost('localhost:8080'), true);
    assert.equal(any.allowsHost('nas.local:8080'), false);
    assert.equal(any.allowsHost('192.168.1.20:8081'), false);
  });

  it('accepts the names given with --api-host on any port, and in an https Origin (a TLS proxy); other names stay out', () => {
    const nas = new HostCheck('0.0.0.0', 7878, ['NAS.local', 'torrents.example.org']);
    assert.equal(nas.allowsHost('nas.local:7878'), true);
    assert.equal(nas.allowsHost('torrents.example.org'), true, 'a reverse proxy on port 80/443');
    assert.equal(nas.allowsOrigin('https://torrents.example.org'), true);
    assert.equal(nas.allowsOrigin('http://nas.local:7878'), true);
    assert.equal(nas.allowsHost('evil.example:7878'), false);
    assert.equal(nas.allowsOrigin('https://evil.example'), false);
    assert.equal(nas.allowsOrigin('https://192.168.1.20:7878'), false, 'https only for the names vouched for');
    assert.equal(new HostCheck('127.0.0.1', 7878).allowsHost('nas.local:7878'), false);
  });

  it('accepts a bound IPv6 address in brackets, and a missing port only on port 80', () => {
    const v6 = new HostCheck('::1', 9000);
    assert.equal(v6.allowsHost('[::1]:9000'), true);
    assert.equal(v6.allowsOrigin('http://[::1]:9000'), true);
    assert.equal(v6.allowsHost('[::1]'), false);
    assert.equal(new HostCheck('127.0.0.1', 80).allowsHost('localhost'), true);
  });
});

describe('TokenCheck', () => {
  it('accepts exactly the token', () => {
    const t = new TokenCheck('s3cret-s3cret-s3cret');
    assert.equal(t.allows('s3cret-s3cret-s3cret'), true);
    assert.equal(t.allows('s3cret-s3cret-s3cre'), false);
    assert.equal(t.allows(''), false);
    assert.equal(t.allowsHeader('Bearer  s3cret-s3cret-s3cret '), true);
    assert.equal(t.allowsHeader('Bearer s3cret-s3cret-s3cret extra'), false);
  });
});

describe('loadOrCreateToken', () => {
  it('creates a random token file with mode 0600 on first start and reuses it afterwards', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'shoal-token-')), 'state');
    const first = loadOrCreateToken(dir);
    assert.match(first, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(readFileSync(join(dir, 'api-token'), 'utf8').trim(), first);
    if (process.platform !== 'win32') assert.equal(statSync(join(dir, 'api-token')).mode & 0o777, 0o600);
    assert.equal(loadOrCreateToken(dir), first);
    assert.deepEqual(readdirSync(dir), ['api-token'], 'no temporary file left behind');
    const other = loadOrCreateToken(mkdtempSync(join(tmpdir(), 'shoal-token-')));
    assert.notEqual(other, first);
  });

  it('keeps a token the user wrote, tightening its permissions; refuses an unusable file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-token-'));
    const path = join(dir, 'api-token');
    writeFileSync(path, 'my-own-long-token-1234\n', { mode: 0o644 });
    chmodSync(path, 0o644);
    assert.equal(loadOrCreateToken(dir), 'my-own-long-token-1234');
    if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
    writeFileSync(path, 'short\n');
    assert.throws(() => loadOrCreateToken(dir), /api-token does not hold a usable API token/);
  });
});
