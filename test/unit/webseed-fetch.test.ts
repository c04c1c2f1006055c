/**
 * BEP 19 pieces without a network: web seed URLs (single-file, directory, multi-file,
 * percent-encoding, pad files, names sanitised on disk asked for as the torrent wrote them) and what each HTTP answer means (`fetchRange` over a scripted
 * HTTP client): redirects and their limit, a 206 for another range, Retry-After, 404, a body
 * over the limit, a short 200.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PieceLayout } from '../../src/metainfo/layout.js';
import { HttpBodyTooLarge, NetworkError, type HttpClient, type HttpRequest, type HttpResponse } from '../../src/runtime/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { fetchRange as fetchRangeAt, retryAfterMs, type RangeFetchLimits } from '../../src/swarm/webseed-fetch.js';
import { parseWebSeedUrl, planRanges, webSeedFileUrl, WebSeedUrlError, type RenamedFile } from '../../src/swarm/webseed-url.js';
import { encode } from '../../src/bencode/encode.js';
import type { Encodable } from '../../src/bencode/types.js';
import { parseTorrent, realFiles } from '../../src/metainfo/torrent.js';

const file = (path: string[], length: number, pad = false) => ({ path, length, pad, attr: pad ? 'p' : '' });

describe('web seed URLs', () => {
  it('single-file: the URL is the file, or a directory + name when it ends in /', () => {
    const t = { name: 'my file.iso', multiFile: false, layout: PieceLayout.fromEntries([file(['my file.iso'], 10)], 4) };
    assert.equal(webSeedFileUrl('http://h/x.iso', t, 0), 'http://h/x.iso');
    assert.equal(webSeedFileUrl('http://h/pub/', t, 0), 'http://h/pub/my%20file.iso');
  });

  it('multi-file: root + name + path components, each percent-encoded; pad files are never fetched', () => {
    const layout = PieceLayout.fromEntries([file(['a#1.txt'], 5), file(['.pad', '3'], 3, true), file(['d ir', 'b?.bin'], 8)], 8);
    const t = { name: 'ä set', multiFile: true, layout };
    assert.equal(webSeedFileUrl('https://h/pub', t, 2), 'https://h/pub/%C3%A4%20set/d%20ir/b%3F.bin');
    // Bytes 2..14: the end of a, the pad (zeros, no URL), the start of b.
    assert.deepEqual(planRanges('https://h/pub/', t, 2, 12), [
      { spaceOffset: 2, length: 3, fileOffset: 2, url: 'https://h/pub/%C3%A4%20set/a%231.txt' },
      { spaceOffset: 5, length: 3, fileOffset: 0, url: undefined },
      { spaceOffset: 8, length: 6, fileOffset: 0, url: 'https://h/pub/%C3%A4%20set/d%20ir/b%3F.bin' },
    ]);
  });

  it('puts file names before a query string and leaves a fragment out', () => {
    const single = { name: 'a b.iso', multiFile: false, layout: PieceLayout.fromEntries([file(['a b.iso'], 10)], 4) };
    assert.equal(webSeedFileUrl('http://h/pub/?key=k1#top', single, 0), 'http://h/pub/a%20b.iso?key=k1');
    assert.equal(webSeedFileUrl('http://h/x.iso?key=k1', single, 0), 'http://h/x.iso?key=k1');
    assert.equal(webSeedFileUrl('http://h/x.iso#frag', single, 0), 'http://h/x.iso');
    const multi = { name: 'set', multiFile: true, layout: PieceLayout.fromEntries([file(['d', 'f.bin'], 10)], 4) };
    assert.equal(webSeedFileUrl('http://h/pub?key=k1', multi, 0), 'http://h/pub/set/d/f.bin?key=k1');
  });

  it('asks for files by the torrent\'s own names, not the ones sanitised for the disk (device names, collisions, cut names)', () => {
    const long = `${'n'.repeat(300)}.bin`;
    const files = [['CON'], ['d', 'x.txt'], ['D', 'x.txt'], [long], ['tail. ']];
    const bytesOf = (info: Record<string, Encodable>) => encode({ info: { 'piece length': 16_384, pieces: new Uint8Array(20), ...info } });
    const multi = parseTorrent(bytesOf({ name: 'set.', files: files.map((path) => ({ length: 1, path })) }));
    // On disk: made safe and distinct.
    assert.deepEqual(realFiles(multi).map((f) => f.path.join('/')), ['CON_', 'd/x.txt', 'D/x.1.txt', `${'n'.repeat(251)}.bin`, 'tail. _']);
    // From the server: the torrent's own names, percent-encoded (the name too).
    const urls = realFiles(multi).map((f) => webSeedFileUrl('http://h/pub/', multi, multi.layout.files.indexOf(f)));
    assert.deepEqual(urls, ['http://h/pub/set./CON', 'http://h/pub/set./d/x.txt', 'http://h/pub/set./D/x.txt', `http://h/pub/set./${'n'.repeat(300)}.bin`, 'http://h/pub/set./tail.%20']);
    // A file the daemon renamed keeps the torrent's own name for the server.
    const renamed: RenamedFile = { ...multi.layout.files[0], path: ['mine.txt'], torrentPath: multi.layout.files[0].path };
    assert.equal(webSeedFileUrl('http://h/pub/', { ...multi, layout: new PieceLayout([renamed, ...multi.layout.files.slice(1)], multi.pieceLength) }, 0), 'http://h/pub/set./CON');
    // Single file: the name as the torrent wrote it, though it is saved as NUL_.txt.
    const single = parseTorrent(bytesOf({ name: 'NUL.txt', length: 5 }));
    assert.deepEqual(single.layout.files[0].path, ['NUL_.txt']);
    assert.equal(webSeedFileUrl('http://h/pub/', single, 0), 'http://h/pub/NUL.txt');
    // Names needing no change keep no copy.
    assert.equal(parseTorrent(bytesOf({ name: 'ok', files: [{ length: 1, path: ['a'] }] })).layout.files[0].rawPath, undefined);
  });

  it('v2 file tree names are kept as written for web seeds too', () => {
    const tree = { 'aux.log': { '': { length: 5, 'pieces root': new Uint8Array(32).fill(1) } }, b: { '': { length: 5, 'pieces root': new Uint8Array(32).fill(2) } } };
    const t = parseTorrent(encode({ info: { name: 'v2', 'piece length': 16_384, 'meta version': 2, 'file tree': tree } }));
    assert.deepEqual(realFiles(t).map((f) => f.path.join('/')), ['aux_.log', 'b']);
    assert.equal(webSeedFileUrl('http://h/', t, t.layout.files.findIndex((f) => f.path[0] === 'aux_.log')), 'http://h/v2/aux.log');
  });

  it('takes http: and https: only (BEP 19: other protocols are ignored)', () => {
    assert.equal(parseWebSeedUrl('https://h/x').protocol, 'https:');
    assert.throws(() => parseWebSeedUrl('ftp://h/x'), WebSeedUrlError);
    assert.throws(() => parseWebSeedUrl('not a url'), WebSeedUrlError);
  });
});

/**
 * An HTTP client answering from a script keyed by URL; records what it was asked. Like the
 * runtime's client it follows redirects itself, up to the request's `maxRedirects` (default 5).
 */
function scripted(answers: Record<string, (o: HttpRequest) => HttpResponse | Error>): HttpClient & { asked: string[]; requests: HttpRequest[] } {
  const asked: string[] = [];
  const requests: HttpRequest[] = [];
  return {
    asked,
    requests,
    get: async (o) => {
      requests.push(o);
      let url = o.url;
      for (let hop = 0; ; hop++) {
        asked.push(`${url} ${o.headers?.range ?? ''}`);
        const a = answers[url]?.(o) ?? new NetworkError('ECONNREFUSED', 'refused');
        if (a instanceof Error) throw a;
        const location = a.headers?.get('location');
        if (a.status < 300 || a.status >= 400 || location === undefined || hop >= (o.maxRedirects ?? 5)) return a;
        url = new URL(location, url).href.replace(/#.*$/, '');
      }
    },
  };
}
const res = (status: number, headers: Record<string, string> = {}, body = new Uint8Array()): HttpResponse => ({ status, headers: new Map(Object.entries(headers)), body });
const LIMITS: RangeFetchLimits = { maxRedirects: 3, maxUnrangedBodyBytes: 100, maxRetryAfterMs: 3_600_000, requestTimeoutMs: 1000 };
const clock = new FakeClock();
const timer = (ms: number, fn: () => void) => clock.setTimer(ms, fn);
const fetchRange = (http: HttpClient, url: string, start: number, length: number, limits: RangeFetchLimits) => fetchRangeAt(http, url, start, length, limits, timer);

describe('fetchRange', () => {
  it('asks for bytes=start-end and takes a 206 with the matching Content-Range', async () => {
    const http = scripted({ 'http://h/f': () => res(206, { 'content-range': 'bytes 10-13/100' }, Uint8Array.of(1, 2, 3, 4)) });
    assert.deepEqual(await fetchRange(http, 'http://h/f', 10, 4, LIMITS), { kind: 'data', body: Uint8Array.of(1, 2, 3, 4) });
    assert.deepEqual(http.asked, ['http://h/f bytes=10-13']);
  });

  it('drops a server answering 206 for another range', async () => {
    const http = scripted({ 'http://h/f': () => res(206, { 'content-range': 'bytes 0-3/100' }, Uint8Array.of(1, 2, 3, 4)) });
    assert.equal((await fetchRange(http, 'http://h/f', 10, 4, LIMITS)).kind, 'gone');
  });

  it('follows at most maxRedirects redirects itself; a 3xx still coming back drops the web seed', async () => {
    const loop = scripted({ 'http://h/a': () => res(307, { location: '/a' }) });
    const r = await fetchRange(loop, 'http://h/a', 0, 2, LIMITS);
    assert.equal(r.kind, 'gone');
    assert.deepEqual(loop.asked, Array(4).fill('http://h/a bytes=0-1'), 'the first request and 3 redirects');
    assert.ok(loop.requests.every((q) => q.maxRedirects === 0), 'each hop is checked here, not followed blindly by the client');
  });

  it('follows a redirect to another public host (a mirror per request) with the same Range', async () => {
    const http = scripted({
      'http://h/f': () => res(302, { location: 'https://mirror.example.org/f?sig=1#frag' }),
      'https://mirror.example.org/f?sig=1': () => res(206, { 'content-range': 'bytes 4-5/10' }, Uint8Array.of(7, 8)),
    });
    assert.deepEqual(await fetchRange(http, 'http://h/f', 4, 2, LIMITS), { kind: 'data', body: Uint8Array.of(7, 8) });
    assert.deepEqual(http.asked, ['http://h/f bytes=4-5', 'https://mirror.example.org/f?sig=1 bytes=4-5']);
  });

  it('refuses a redirect from a public host to a loopback, private or link-local address (SSRF), and to another scheme', async () => {
    for (const target of ['http://127.0.0.1:8080/admin', 'http://192.168.1.1/', 'http://[::1]/x', 'http://[fe80::1]/', 'http://10.0.0.1/', 'http://localhost/x', 'http://[::ffff:192.168.0.1]/', 'http://2130706433/', 'file:///etc/passwd']) {
      const http = scripted({ 'http://seed.example.com/f': () => res(301, { location: target }) });
      const r = await fetchRange(http, 'http://seed.example.com/f', 0, 2, LIMITS);
      assert.equal(r.kind, 'gone', target);
      assert.equal(http.asked.length, 1, `${target} was not asked`);
    }
    // A web seed on the LAN (a NAS) may redirect within the LAN.
    const lan = scripted({
      'http://192.168.1.5/f': () => res(302, { location: 'http://192.168.1.6/f' }),
      'http://192.168.1.6/f': () => res(206, { 'content-range': 'bytes 0-1/2' }, Uint8Array.of(1, 2)),
    });
    assert.equal((await fetchRange(lan, 'http://192.168.1.5/f', 0, 2, LIMITS)).kind, 'data');
  });

  it('aborts a request that has no complete answer within requestTimeoutMs, and backs off', async () => {
    const hang: HttpClient = {
      get: (o) => new Promise((_, reject) => o.signal?.addEventListener('abort', () => reject(new NetworkError('ECANCELED', 'cancelled')))),
    };
    const p = fetchRange(hang, 'http://h/slow', 0, 2, LIMITS);
    clock.advance(999);
    clock.advance(1);
    const r = await p;
    assert.equal(r.kind, 'failed');
    assert.match(r.kind === 'failed' ? r.reason : '', /no complete answer in 1000 ms/);
  });

  it('503 with Retry-After waits (capped at maxRetryAfterMs); 503 without it and 5xx back off; 404 drops', async () => {
    const http = scripted({
      'http://h/busy': () => res(503, { 'retry-after': '120' }),
      'http://h/forever': () => res(503, { 'retry-after': '999999' }),
      'http://h/bare': () => res(503),
      'http://h/err': () => res(500),
      'http://h/404': () => res(404),
    });
    assert.deepEqual(await fetchRange(http, 'http://h/busy', 0, 1, LIMITS), { kind: 'retry-after', ms: 120_000, reason: 'http://h/busy: 503, retry after 120 s' });
    const capped = await fetchRange(http, 'http://h/forever', 0, 1, LIMITS);
    assert.equal(capped.kind === 'retry-after' && capped.ms, 3_600_000);
    assert.equal((await fetchRange(http, 'http://h/bare', 0, 1, LIMITS)).kind, 'failed');
    assert.equal((await fetchRange(http, 'http://h/err', 0, 1, LIMITS)).kind, 'failed');
    assert.equal((await fetchRange(http, 'http://h/404', 0, 1, LIMITS)).kind, 'gone');
    assert.equal((await fetchRange(http, 'http://h/nothing', 0, 1, LIMITS)).kind, 'failed', 'refused: back off');
  });

  it('a 200 (Range ignored) is cut to the range when small, dropped when short, and a body over the limit drops', async () => {
    const whole = Uint8Array.from({ length: 50 }, (_, i) => i);
    const http = scripted({
      'http://h/small': (o) => (o.maxBodyBytes >= 50 ? res(200, {}, whole) : new HttpBodyTooLarge('http://h/small', o.maxBodyBytes)),
      'http://h/short': () => res(200, {}, whole.subarray(0, 5)),
      'http://h/big': (o) => new HttpBodyTooLarge('http://h/big', o.maxBodyBytes),
    });
    assert.deepEqual(await fetchRange(http, 'http://h/small', 10, 3, LIMITS), { kind: 'data', body: Uint8Array.of(10, 11, 12) });
    assert.equal((await fetchRange(http, 'http://h/short', 10, 3, LIMITS)).kind, 'gone');
    const big = await fetchRange(http, 'http://h/big', 10, 3, LIMITS);
    assert.equal(big.kind, 'gone');
  });

  it('reads Retry-After as seconds only', () => {
    assert.equal(retryAfterMs('5'), 5000);
    assert.equal(retryAfterMs(' 30 '), 30_000);
    assert.equal(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT'), undefined);
    assert.equal(retryAfterMs('-1'), undefined);
    assert.equal(retryAfterMs(undefined), undefined);
  });
});
