/**
 * What a client can make the API hold is bounded (docs/api.md, "Limits"): large .torrent
 * uploads up to 20 MiB are accepted, deep or huge JSON is refused before it is parsed, event
 * streams are capped in number and in unread bytes, connections are capped and slow ones
 * closed, and save paths must be absolute and clean.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { EventFanOut, type EventSink } from '../../src/daemon/http/events.js';
import { bulkBodyLimit, DEFAULT_API_LIMITS, MAX_TORRENT_FILE_BYTES } from '../../src/daemon/http/limits.js';
import type { ServiceEvent } from '../../src/daemon/types.js';
import { FakeTorrentService } from './http-fake-service.js';
import { rawExchange, startHarness, TextCollector, TOKEN, type Harness } from './http-harness.js';

const MAGNET = 'magnet:?xt=urn:btih:' + 'cd'.repeat(20) + '&dn=limits';

/** Bytes the fake service takes for a .torrent: a bencoded-looking `d...e`. */
function fakeTorrent(size: number): Buffer {
  const b = Buffer.alloc(size, 0x61);
  b[0] = 0x64;
  b[size - 1] = 0x65;
  return b;
}

describe('HTTP API: limits', () => {
  let h: Harness;
  before(async () => (h = await startHarness()));
  after(() => h.close());

  it('accepts .torrent uploads of 5 MiB and of the full 20 MiB (base64 checked in one pass)', async () => {
    for (const size of [5 * 1024 * 1024, MAX_TORRENT_FILE_BYTES]) {
      const r = await h.request('POST', '/api/torrents', { body: { torrent: fakeTorrent(size).toString('base64'), paused: true } });
      assert.equal(r.status, 201, `${size} bytes: ${r.body.toString().slice(0, 200)}`);
    }
  });

  it('still refuses base64 that is malformed anywhere in a large upload', async () => {
    const good = fakeTorrent(4 * 1024 * 1024).toString('base64');
    for (const bad of [good.slice(0, -1), `${good.slice(0, 1000)}!${good.slice(1001)}`, `${good}=`, `=${good}`]) {
      const r = await h.request('POST', '/api/torrents', { body: { torrent: bad } });
      assert.equal(r.status, 400);
      assert.match((r.json() as { error: string }).error, /base64/);
    }
  });

  it('refuses a 10 MB body nested past maxJsonDepth with 400 before parsing it', async () => {
    const depth = 5_000_000;
    const body = `{"magnet":${'['.repeat(depth)}${']'.repeat(depth)}}`;
    const r = await h.request('POST', '/api/torrents', { body });
    assert.equal(r.status, 400);
    assert.match((r.json() as { error: string }).error, /nests deeper than 16 levels/);
    // Brackets inside strings are text, not structure.
    const inString = await h.request('POST', '/api/torrents', { body: { magnet: MAGNET, savePath: `/x/${'['.repeat(100)}` } });
    assert.equal(inString.status, 201);
  });

  it('refuses a body with more than maxJsonValues values with 400', async () => {
    const body = `{"magnet":"${MAGNET}","paused":[${'0,'.repeat(150_000)}0]}`;
    const r = await h.request('POST', '/api/torrents', { body });
    assert.equal(r.status, 400);
    assert.match((r.json() as { error: string }).error, /more than 100000 values/);
  });

  it('refuses a relative savePath or one with NUL, and stores it normalised', async () => {
    for (const savePath of ['downloads', './x', '/srv/a\u0000b']) {
      const r = await h.request('POST', '/api/torrents', { body: { magnet: MAGNET, savePath } });
      assert.equal(r.status, 400, savePath);
      assert.match((r.json() as { error: string }).error, /savePath/);
    }
    const ok = await h.request('POST', '/api/torrents', { body: { magnet: 'magnet:?xt=urn:btih:' + 'ce'.repeat(20), savePath: '/srv/./iso/../media//' } });
    assert.equal(ok.status, 201);
    const { infoHash } = ok.json() as { infoHash: string };
    assert.equal((((await h.request('GET', `/api/torrents/${infoHash}`)).json()) as { savePath: string }).savePath, '/srv/media');
    for (const downloadDir of ['relative/dir', '/srv/a\u0000b']) {
      const s = await h.request('PATCH', '/api/settings', { body: { downloadDir } });
      assert.equal(s.status, 400, downloadDir);
    }
  });
});

describe('bulk body limit', () => {
  it('takes the most info hashes allowed as v2 hashes pretty-printed (JSON.stringify(x, null, 2), json.dumps(indent=2))', () => {
    const body = JSON.stringify({ action: 'pause', infoHashes: Array.from({ length: DEFAULT_API_LIMITS.maxBulkTorrents }, (_, i) => i.toString(16).padStart(64, '0')) }, null, 2);
    assert.ok(Buffer.byteLength(body) <= bulkBodyLimit(DEFAULT_API_LIMITS), `${Buffer.byteLength(body)} > ${bulkBodyLimit(DEFAULT_API_LIMITS)}`);
  });
});

describe('HTTP API: event stream limits', () => {
  it('answers 503 past maxEventSubscribers and takes a new subscriber once one leaves', async () => {
    const h = await startHarness({ limits: { maxEventSubscribers: 2 } });
    try {
      const a = await h.open('GET', '/api/events');
      const b = await h.open('GET', '/api/events');
      await Promise.all([a, b].map((res) => new TextCollector(res).until((t) => t.includes(': connected'))));
      const c = await h.request('GET', '/api/events');
      assert.equal(c.status, 503);
      assert.match((c.json() as { error: string }).error, /too many event streams/);
      a.destroy();
      await h.service.listenersReach(1); // still subscribed for b
      for (let i = 0; i < 50; i++) {
        const d = await h.open('GET', '/api/events');
        if (d.statusCode === 200) {
          d.destroy();
          return;
        }
        d.resume();
        await new Promise((r) => setTimeout(r, 20)); // the server sees a's close a moment after the client
      }
      assert.fail('no subscriber was taken after one left');
    } finally {
      await h.close();
    }
  });

  /** A response stand-in whose unread bytes the test sets. */
  class Sink extends EventEmitter implements EventSink {
    writableLength = 0;
    destroyed = false;
    writableEnded = false;
    readonly chunks: string[] = [];
    write(chunk: unknown): boolean {
      this.chunks.push(String(chunk));
      return true;
    }
    destroy(): this {
      this.destroyed = true;
      this.emit('close');
      return this;
    }
    end(): this {
      this.writableEnded = true;
      return this;
    }
  }

  it('shares one subscription, drops a stream past maxEventBytesPerSubscriber, and the slowest first past maxEventBytesTotal', () => {
    const service = new FakeTorrentService();
    const fan = new EventFanOut(service, { maxEventSubscribers: 10, maxEventBytesPerSubscriber: 1000, maxEventBytesTotal: 1500 });
    const [fast, slow, slower, stuck] = [new Sink(), new Sink(), new Sink(), new Sink()];
    for (const s of [fast, slow, slower, stuck]) fan.add(s);
    assert.equal(service.listenerCount, 1);
    const event: ServiceEvent = { type: 'torrent-removed', infoHash: 'x'.repeat(40) }; // about 100 bytes formatted

    stuck.writableLength = 950; // one more event passes its own cap
    slower.writableLength = 600;
    slow.writableLength = 500;
    service.emit(event);
    // stuck would pass its own 1000; the others (1100 buffered + 3 x ~93 new) fit in 1500.
    assert.deepEqual([fast.destroyed, slow.destroyed, slower.destroyed, stuck.destroyed], [false, false, false, true]);
    // 900 + 500 buffered + 3 x ~93 new > 1500: the slowest goes, then what is left fits.
    slower.writableLength = 900;
    service.emit(event);
    assert.deepEqual([fast.destroyed, slow.destroyed, slower.destroyed], [false, false, true]);
    assert.equal(fan.size, 2);
    // An event larger than the whole budget drops nobody who has read everything.
    slow.writableLength = 0;
    service.emit({ type: 'torrent-removed', infoHash: 'y'.repeat(2000) });
    assert.deepEqual([fast.destroyed, slow.destroyed], [false, false]);
    assert.deepEqual([fast.chunks.length, slow.chunks.length], [3, 3]);

    fast.destroy();
    slow.destroy();
    assert.equal(service.listenerCount, 0, 'the last stream gone, the subscription goes too');
  });
});

describe('HTTP API: connection limits', () => {
  /** A keep-alive connection that had one answer and now sends half a request's headers. */
  async function slowClient(h: Harness): Promise<{ socket: Socket; closed: Promise<string> }> {
    const socket = connect(h.port, '127.0.0.1');
    socket.setEncoding('latin1');
    let text = '';
    const closed = new Promise<string>((resolve) => {
      socket.on('close', () => resolve(text));
      socket.on('error', () => undefined);
    });
    const answered = new Promise<void>((resolve) => socket.on('data', (s: string) => {
      text += s;
      if (/\r\n\r\n[\s\S]*\}$/.test(text)) resolve();
    }));
    socket.write(`GET /api/stats HTTP/1.1\r\nHost: ${h.hostPort}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`);
    await answered;
    text = '';
    socket.write(`GET /api/stats HTTP/1.1\r\nHost: ${h.hostPort}\r\nX-Slow: `); // and never the rest
    return { socket, closed };
  }

  it('closes connections past maxConnections and slow-header connections after headersTimeoutMs, then serves again', async () => {
    const h = await startHarness({ limits: { maxConnections: 4, headersTimeoutMs: 300, requestTimeoutMs: 600, keepAliveTimeoutMs: 10_000 } });
    try {
      const slow = await Promise.all([0, 1, 2, 3].map(() => slowClient(h)));
      // Every slot is held: a fifth connection is closed without an answer.
      const refused = await rawExchange(h.port, `GET /api/stats HTTP/1.1\r\nHost: ${h.hostPort}\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`);
      assert.equal(refused, '');
      // The slow ones are timed out (408) and closed, which frees the slots.
      for (const s of slow) assert.match(await s.closed, /^(HTTP\/1\.1 408|$)/);
      const r = await h.request('GET', '/api/stats');
      assert.equal(r.status, 200);
    } finally {
      await h.close();
    }
  });

  it('closes connections that never send a byte after headersTimeoutMs, so silent sockets cannot hold every slot', { timeout: 30_000 }, async () => {
    // Before: Node times out headers only from a request's first byte; silent connections stayed
    // open for ever and maxConnections of them locked everyone out of the API and the web UI.
    const h = await startHarness({ limits: { maxConnections: 4, headersTimeoutMs: 300, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 10_000 } });
    const silent: Socket[] = [];
    let deadline: NodeJS.Timeout | undefined;
    try {
      const closed = [0, 1, 2, 3].map(() => {
        const socket = connect(h.port, '127.0.0.1');
        socket.on('error', () => undefined);
        // Read, as a real client does: Node's own header check (every connectionsCheckingInterval)
        // may win the race with the socket timeout and answer 408 before it closes. A client
        // that never reads never sees the end of a stream with unread bytes, so the test once
        // waited for a close that had happened (1 run in 3 under load).
        socket.setEncoding('latin1');
        let text = '';
        socket.on('data', (d: string) => (text += d));
        silent.push(socket);
        return new Promise<string>((r) => socket.on('close', () => r(text)));
      });
      const stillOpen = new Promise<string>((r) => (deadline = setTimeout(r, 10_000, 'still open')));
      const answers = await Promise.race([Promise.all(closed), stillOpen]);
      assert.notEqual(answers, 'still open');
      for (const text of answers) assert.match(text, /^(HTTP\/1\.1 408 |$)/, 'closed with nothing or a 408');
      assert.equal((await h.request('GET', '/api/stats')).status, 200);
    } finally {
      clearTimeout(deadline);
      for (const s of silent) s.destroy();
      await h.close();
    }
  });

  it('answers 408 to a body that trickles past requestTimeoutMs, closes idle keep-alive connections after keepAliveTimeoutMs, and a connection after maxRequestsPerSocket requests', async () => {
    const h = await startHarness({ limits: { headersTimeoutMs: 200, requestTimeoutMs: 400, keepAliveTimeoutMs: 300, maxRequestsPerSocket: 2 } });
    const auth = `Authorization: Bearer ${TOKEN}\r\n`;
    try {
      // Headers in time, then a body that never completes.
      const trickle = connect(h.port, '127.0.0.1');
      trickle.setEncoding('latin1');
      let answer = '';
      trickle.on('data', (d: string) => (answer += d));
      trickle.on('error', () => undefined);
      trickle.write(`PATCH /api/settings HTTP/1.1\r\nHost: ${h.hostPort}\r\n${auth}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"dht":`);
      await new Promise((r) => trickle.on('close', r));
      assert.match(answer, /^HTTP\/1\.1 408 /);

      // Two requests on one connection: the second answer says it closes, and it does.
      const keep = connect(h.port, '127.0.0.1');
      keep.setEncoding('latin1');
      let text = '';
      keep.on('data', (d: string) => (text += d));
      const closed = new Promise((r) => keep.on('close', r));
      const get = `GET /api/stats HTTP/1.1\r\nHost: ${h.hostPort}\r\n${auth}\r\n`;
      keep.write(get + get);
      await closed;
      const heads = [...text.matchAll(/HTTP\/1\.1 [\s\S]*?\r\n\r\n/g)].map((m) => m[0]);
      assert.deepEqual(heads.map((b) => b.split('\r\n')[0]), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK']);
      assert.match(heads[1], /\r\nconnection: close/i);

      // One request, then silence: the server closes the idle connection.
      const idle = connect(h.port, '127.0.0.1');
      idle.resume();
      const idleClosed = new Promise((r) => idle.on('close', r));
      idle.write(get);
      await idleClosed;
    } finally {
      await h.close();
    }
  });

  it('closes the connection after refusing a request (no token, foreign Host), without draining a body that trickles for requestTimeoutMs', { timeout: 30_000 }, async () => {
    // Before: the 401 went out and the server kept reading the refused body until requestTimeoutMs
    // (120 s by default), so a client without the token could hold a connection slot that long.
    const h = await startHarness({ limits: { requestTimeoutMs: 600_000 } });
    try {
      for (const head of [`Host: ${h.hostPort}\r\n`, `Host: evil.example\r\nAuthorization: Bearer ${TOKEN}\r\n`]) {
        const socket = connect({ port: h.port, host: '127.0.0.1', allowHalfOpen: true });
        socket.setEncoding('latin1');
        let answer = '';
        socket.on('data', (d: string) => (answer += d));
        socket.on('error', () => undefined);
        const closed = new Promise((r) => socket.on('close', r));
        socket.write(`POST /api/torrents HTTP/1.1\r\n${head}Content-Type: application/json\r\nContent-Length: 10000000\r\n\r\n{"torrent":"`);
        const trickle = setInterval(() => socket.destroyed || socket.write('QUFB'), 20);
        // Far below requestTimeoutMs: the old server was still reading when this ran out.
        let deadline: NodeJS.Timeout | undefined;
        const stillOpen = new Promise<string>((r) => (deadline = setTimeout(r, 10_000, 'still open')));
        const outcome = await Promise.race([closed.then(() => 'closed'), stillOpen]);
        clearTimeout(deadline);
        clearInterval(trickle);
        socket.destroy();
        assert.equal(outcome, 'closed');
        assert.match(answer, /^HTTP\/1\.1 40[13] /);
        assert.match(answer, /\r\nconnection: close\r\n/i);
      }
    } finally {
      await h.close();
    }
  });

  it('keeps an event stream open past the request and header timeouts (they bound the request, not the answer)', async () => {
    const h = await startHarness({ limits: { headersTimeoutMs: 100, requestTimeoutMs: 200 } });
    try {
      const res = await h.open('GET', '/api/events');
      const sse = new TextCollector(res);
      await sse.until((t) => t.includes(': connected'));
      await new Promise((r) => setTimeout(r, 1200)); // several timeout checks go by
      h.service.emit({ type: 'torrent-removed', infoHash: 'still-here' });
      await sse.until((t) => t.includes('still-here'));
      res.destroy();
    } finally {
      await h.close();
    }
  });
});
