/**
 * Garbage in: a few hundred malformed raw requests over sockets, and random JSON bodies on
 * every endpoint, leave the server answering with 4xx and still serving.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { rawExchange, startHarness, TOKEN, type Harness } from './http-harness.js';

const SEED = 0x5eed;

describe('HTTP API: robustness', () => {
  let h: Harness;
  let id: string;
  before(async () => {
    h = await startHarness();
    id = h.service.seed({ name: 'target' });
  });
  after(() => h.close());

  it('survives malformed raw requests and keeps serving', async () => {
    const auth = `Authorization: Bearer ${TOKEN}\r\n`;
    const host = `Host: ${h.hostPort}\r\n`;
    const handWritten = [
      '\r\n\r\n',
      'GARBAGE\r\n\r\n',
      'GET\r\n\r\n',
      `GET /api/torrents HTTP/9.9\r\n${host}\r\n`,
      `GET /api/torrents HTTP/1.1\r\n${host}${auth}Content-Length: -1\r\n\r\n`,
      `POST /api/torrents HTTP/1.1\r\n${host}${auth}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`,
      `POST /api/torrents HTTP/1.1\r\n${host}${auth}Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
      `POST /api/torrents HTTP/1.1\r\n${host}${auth}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"magnet":`,
      `GET /api/torrents?limit=${'9'.repeat(5000)} HTTP/1.1\r\n${host}${auth}Connection: close\r\n\r\n`,
      `GET /${'a/'.repeat(20000)} HTTP/1.1\r\n${host}Connection: close\r\n\r\n`,
      `GET / HTTP/1.1\r\n${host}X-Big: ${'x'.repeat(100_000)}\r\n\r\n`,
      `GET /api/torrents/${id}/files/0/stream HTTP/1.1\r\n${host}${auth}Range: bytes=${'1'.repeat(400)}-\r\nConnection: close\r\n\r\n`,
      `PATCH /api/settings HTTP/1.1\r\n${host}${auth}Content-Type: application/json; charset=utf-16\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
      `GET /api/torrents HTTP/1.1\r\nHost: ${h.hostPort}\r\nHost: evil.example\r\n${auth}Connection: close\r\n\r\n`,
      'GET / HTTP/1.1\r\nHost: \u00ff\u00fe\r\n\r\n',
    ];
    const random = fc.sample(
      fc.tuple(
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'G\u0000T', ''),
        fc.constantFrom('/api/torrents', `/api/torrents/${id}`, `/api/torrents/${id}/pause`, '/api/settings', '/api/events?token=x', '/metrics', '/', `/api/torrents/${id}/files/0/stream`),
        fc.string({ maxLength: 40 }),
        fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x', ''),
        fc.oneof(fc.json(), fc.string({ unit: 'binary', maxLength: 200 })),
        fc.boolean(),
      ).map(([method, path, suffix, type, body, lie]) => {
        const length = Buffer.byteLength(body) + (lie ? 7 : 0);
        return `${method} ${path}${encodeURI(suffix)} HTTP/1.1\r\n${host}${auth}Content-Type: ${type}\r\nContent-Length: ${length}\r\nConnection: close\r\n\r\n${body}`;
      }),
      { seed: SEED, numRuns: 300 },
    );
    const requests = [...handWritten, ...random];
    const statuses = new Map<string, number>();
    for (let i = 0; i < requests.length; i += 20) {
      const answers = await Promise.all(requests.slice(i, i + 20).map((r) => rawExchange(h.port, r)));
      for (const answer of answers) {
        const status = /^HTTP\/1\.1 (\d{3}) /.exec(answer)?.[1] ?? 'none';
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        assert.ok(!status.startsWith('5'), `5xx for a bad request: ${answer.slice(0, 300)}`);
      }
    }
    // Only requests whose Content-Length promises more than is sent may go unanswered (the socket ends first).
    assert.ok((statuses.get('none') ?? 0) < requests.length / 10, JSON.stringify([...statuses]));
    assert.equal((await h.request('GET', '/api/torrents')).status, 200);
    assert.equal(h.service.torrents.has(id), true);
  });

  it('answers random JSON bodies on every write endpoint with 2xx or a JSON 4xx', async () => {
    const endpoints: [string, string][] = [
      ['POST', '/api/torrents'], ['PATCH', '/api/settings'], ['PUT', `/api/torrents/${id}/files/priorities`], ['POST', `/api/torrents/${id}/pause`],
    ];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...endpoints), fc.jsonValue(), async ([method, path], body) => {
        const r = await h.request(method, path, { body: JSON.stringify(body) });
        if (r.status >= 300) {
          assert.ok(r.status >= 400 && r.status < 500, `${method} ${path} ${JSON.stringify(body)}: ${r.status} ${r.body.toString()}`);
          assert.equal(typeof (r.json() as { error: unknown }).error, 'string');
        }
      }),
      { seed: SEED, numRuns: 200 },
    );
    assert.equal((await h.request('GET', '/api/stats')).status, 200);
  });
});
