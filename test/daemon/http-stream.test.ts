/**
 * File streaming: Range handling (206/416/200), content types from the file name, reads that
 * wait for a piece still downloading, and a client hanging up ending the read.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { decideRange } from '../../src/daemon/http/range.js';
import { ServiceError } from '../../src/daemon/types.js';
import { startHarness, type Harness } from './http-harness.js';

const LENGTH = 1000;
const DATA = Uint8Array.from({ length: LENGTH }, (_, i) => (i * 7 + 3) % 251);

/** Collects a binary response body as it arrives. */
function collect(res: IncomingMessage): { bytes: () => Buffer; atLeast: (n: number) => Promise<void>; end: Promise<Buffer> } {
  const chunks: Buffer[] = [];
  let size = 0;
  let wake = (): void => undefined;
  res.on('data', (c: Buffer) => {
    chunks.push(c);
    size += c.length;
    wake();
  });
  const end = new Promise<Buffer>((resolve, reject) => {
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });
  return {
    bytes: () => Buffer.concat(chunks),
    atLeast: async (n) => {
      while (size < n) await new Promise<void>((r) => (wake = r));
    },
    end,
  };
}

describe('decideRange', () => {
  it('reads first, middle, open-ended, suffix and clipped ranges', () => {
    assert.deepEqual(decideRange('bytes=0-99', 1000), { kind: 'partial', range: { start: 0, end: 99 } });
    assert.deepEqual(decideRange('bytes=300-555', 1000), { kind: 'partial', range: { start: 300, end: 555 } });
    assert.deepEqual(decideRange('bytes=900-', 1000), { kind: 'partial', range: { start: 900, end: 999 } });
    assert.deepEqual(decideRange('bytes=-100', 1000), { kind: 'partial', range: { start: 900, end: 999 } });
    assert.deepEqual(decideRange('bytes=-5000', 1000), { kind: 'partial', range: { start: 0, end: 999 } });
    assert.deepEqual(decideRange('bytes=990-5000', 1000), { kind: 'partial', range: { start: 990, end: 999 } });
    // A last byte beyond any number (a download manager's 2^64 - 1) is clipped like any other.
    assert.deepEqual(decideRange('bytes=0-18446744073709551615', 1000), { kind: 'partial', range: { start: 0, end: 999 } });
    assert.deepEqual(decideRange('bytes=-18446744073709551615', 1000), { kind: 'partial', range: { start: 0, end: 999 } });
  });

  it('is unsatisfiable past the end, for an empty suffix, and on an empty file', () => {
    for (const h of ['bytes=1000-', 'bytes=1000-1001', 'bytes=-0', 'bytes=99999999999999999999-']) assert.deepEqual(decideRange(h, 1000), { kind: 'unsatisfiable' }, h);
    assert.deepEqual(decideRange('bytes=0-', 0), { kind: 'unsatisfiable' });
  });

  it('ignores what it does not understand: other units, several ranges, reversed ranges, junk', () => {
    for (const h of [undefined, 'items=0-5', 'bytes=0-5,10-20', 'bytes=50-10', 'bytes=-', 'bytes=abc', 'bytes 0-5']) assert.deepEqual(decideRange(h, 1000), { kind: 'full' }, String(h));
  });
});

describe('HTTP API: file streaming', () => {
  let h: Harness;
  let id: string;
  before(async () => {
    h = await startHarness();
    id = h.service.seed({ name: 'movie', pieceLength: 256, files: [{ path: 'movie/readme.txt', data: new Uint8Array(24) }, { path: 'movie/Movie.MP4', data: DATA }] });
  });
  after(() => h.close());
  const url = (index = 1): string => `/api/torrents/${id}/files/${index}/stream`;

  it('serves the whole file with 200, Accept-Ranges and a Content-Type from the extension', async () => {
    const r = await h.request('GET', url());
    assert.equal(r.status, 200);
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.equal(r.headers['content-type'], 'video/mp4');
    assert.equal(r.headers['content-length'], String(LENGTH));
    assert.deepEqual(new Uint8Array(r.body), DATA);
    assert.match(String((await h.request('GET', url(0))).headers['content-type']), /^text\/plain/);
  });

  it('serves first, middle and suffix ranges with 206 and Content-Range', async () => {
    for (const [range, start, end] of [['bytes=0-99', 0, 99], ['bytes=300-555', 300, 555], ['bytes=-100', 900, 999], ['bytes=950-', 950, 999]] as const) {
      const r = await h.request('GET', url(), { headers: { range } });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${LENGTH}`);
      assert.equal(r.headers['content-length'], String(end - start + 1));
      assert.deepEqual(new Uint8Array(r.body), DATA.slice(start, end + 1), range);
    }
    // The read asked of the service is exactly the range, offsets within the file.
    assert.deepEqual(h.service.reads.slice(-4).map((x) => [x.index, x.start, x.end]), [[1, 0, 99], [1, 300, 555], [1, 900, 999], [1, 950, 999]]);
  });

  it('answers 416 with Content-Range: bytes */length for a range past the end', async () => {
    for (const range of ['bytes=1000-', 'bytes=-0']) {
      const r = await h.request('GET', url(), { headers: { range } });
      assert.equal(r.status, 416, range);
      assert.equal(r.headers['content-range'], `bytes */${LENGTH}`);
      assert.match((r.json() as { error: string }).error, /not satisfiable/);
    }
  });

  it('answers HEAD with the headers and no read', async () => {
    const before = h.service.reads.length;
    const r = await h.request('HEAD', url(), { headers: { range: 'bytes=10-19' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-length'], '10');
    assert.equal(r.body.length, 0);
    assert.equal(h.service.reads.length, before);
  });

  it('answers 404 for an unknown file or torrent and 400 for a bad index', async () => {
    assert.equal((await h.request('GET', url(2))).status, 404);
    assert.equal((await h.request('GET', `/api/torrents/${'e'.repeat(40)}/files/0/stream`)).status, 404);
    assert.equal((await h.request('GET', `/api/torrents/${id}/files/-1/stream`)).status, 400);
  });

  it('serves a range across a piece that is still downloading once it is verified', async () => {
    // File 1 starts at byte 24 of the torrent; piece 2 covers file bytes 488..743.
    const late = h.service.seed({ name: 'late', pieceLength: 256, files: [{ path: 'late/a.txt', data: new Uint8Array(24) }, { path: 'late/b.webm', data: DATA }], have: [0, 1, 3] });
    const res = await h.open('GET', `/api/torrents/${late}/files/1/stream`, { headers: { range: 'bytes=400-799' } });
    assert.equal(res.statusCode, 206);
    assert.equal(res.headers['content-type'], 'video/webm');
    const body = collect(res);
    await body.atLeast(88); // bytes 400..487 come from piece 1, which we have
    const read = h.service.reads[h.service.reads.length - 1];
    assert.equal(read.done, false, 'the read is waiting for piece 2');
    assert.equal(body.bytes().length, 88);
    h.service.completePiece(late, 2);
    assert.deepEqual(new Uint8Array(await body.end), DATA.slice(400, 800));
    assert.equal(read.done, true);
  });

  it('answers with the service\'s status when a read fails before its first byte', async () => {
    const open = h.service.openFile.bind(h.service);
    h.service.openFile = (tid, index) => ({
      fileLength: open(tid, index).fileLength,
      // eslint-disable-next-line require-yield -- fails before yielding, like a paused torrent
      async *read() {
        throw new ServiceError(409, 'the torrent is paused');
      },
    });
    try {
      const r = await h.request('GET', url(), { headers: { range: 'bytes=0-9' } });
      assert.equal(r.status, 409);
      assert.deepEqual(r.json(), { error: 'the torrent is paused' });
    } finally {
      h.service.openFile = open;
    }
  });

  it('stops reading when the client hangs up', async () => {
    const stuck = h.service.seed({ name: 'stuck', pieceLength: 256, files: [{ path: 'stuck/c.mkv', data: DATA }], have: [0] });
    const res = await h.open('GET', `/api/torrents/${stuck}/files/0/stream`);
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'video/x-matroska');
    const body = collect(res);
    body.end.catch(() => undefined);
    await body.atLeast(256);
    const read = h.service.reads[h.service.reads.length - 1];
    res.destroy();
    await read.finished;
    assert.equal(read.aborted, true);
    assert.equal(read.done, false);
    assert.equal((await h.request('GET', '/api/stats')).status, 200, 'still serving');
  });
});
