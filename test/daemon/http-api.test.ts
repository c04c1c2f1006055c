/**
 * The JSON endpoints against an in-memory TorrentService: every route, list paging and
 * filters, and the 4xx answers for bad input (validation, service errors, bodies).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Settings, TorrentDetails, TorrentPage } from '../../src/daemon/types.js';
import { startHarness, type Harness } from './http-harness.js';

const MAGNET = 'magnet:?xt=urn:btih:0123456789abcdef0123456789abcdef01234567&dn=ubuntu';

describe('HTTP API: torrents', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    for (let i = 0; i < 25; i++) h.service.seed({ name: `linux-${String(i).padStart(2, '0')}`, state: i % 5 === 0 ? 'paused' : 'seeding', downloadRate: i * 10 });
    h.service.seed({ name: 'Big Buck Bunny', state: 'downloading', have: [] });
  });
  after(() => h.close());

  it('lists torrents with total, offset and the summaries', async () => {
    const r = await h.request('GET', '/api/torrents');
    assert.equal(r.status, 200);
    assert.match(String(r.headers['content-type']), /^application\/json/);
    const page = r.json() as TorrentPage;
    assert.equal(page.total, 26);
    assert.equal(page.offset, 0);
    assert.equal(page.torrents.length, 26);
    assert.deepEqual(Object.keys(page.torrents[0]).sort(), ['addedAt', 'category', 'downloadRate', 'downloaded', 'eta', 'infoHash', 'name', 'peers', 'progress', 'savePath', 'size', 'state', 'uploadRate', 'uploaded']);
  });

  it('pages with offset and limit, sorts, orders, filters by state and search', async () => {
    const page = (await h.request('GET', '/api/torrents?sort=name&order=desc&offset=2&limit=3')).json() as TorrentPage;
    assert.equal(page.total, 26);
    assert.equal(page.offset, 2);
    assert.deepEqual(page.torrents.map((t) => t.name), ['linux-22', 'linux-21', 'linux-20']);

    const paused = (await h.request('GET', '/api/torrents?state=paused')).json() as TorrentPage;
    assert.deepEqual(paused.torrents.map((t) => t.name), ['linux-00', 'linux-05', 'linux-10', 'linux-15', 'linux-20']);

    const found = (await h.request('GET', `/api/torrents?search=${encodeURIComponent('buck bun')}`)).json() as TorrentPage;
    assert.deepEqual(found.torrents.map((t) => t.name), ['Big Buck Bunny']);

    const fastest = (await h.request('GET', '/api/torrents?sort=downloadRate&order=desc&limit=1')).json() as TorrentPage;
    assert.equal(fastest.torrents[0].name, 'linux-24');
  });

  it('answers 400 naming the parameter for bad list parameters', async () => {
    for (const [query, word] of [
      ['state=sleeping', 'state'], ['sort=color', 'sort'], ['order=up', 'order'], ['offset=-1', 'offset'],
      ['limit=0', 'limit'], ['limit=1001', 'limit'], ['limit=ten', 'limit'], ['offset=1.5', 'offset'], ['state=paused&state=seeding', 'state'],
    ]) {
      const r = await h.request('GET', `/api/torrents?${query}`);
      assert.equal(r.status, 400, query);
      assert.match((r.json() as { error: string }).error, new RegExp(word), query);
    }
  });

  it('adds a magnet (201 with the info hash), paused and with a save path; then 409 for a duplicate', async () => {
    const r = await h.request('POST', '/api/torrents', { body: { magnet: MAGNET, savePath: '/media/iso', paused: true } });
    assert.equal(r.status, 201);
    const { infoHash } = r.json() as { infoHash: string };
    assert.match(infoHash, /^[0-9a-f]{40}$/);
    const d = (await h.request('GET', `/api/torrents/${infoHash}`)).json() as TorrentDetails;
    assert.equal(d.name, 'ubuntu');
    assert.equal(d.state, 'paused');
    assert.equal(d.savePath, '/media/iso');

    const again = await h.request('POST', '/api/torrents', { body: { magnet: MAGNET } });
    assert.equal(again.status, 409);
    assert.match((again.json() as { error: string }).error, /already/);
  });

  it('adds a .torrent given as base64', async () => {
    const torrent = Buffer.from('d4:infod4:name4:testee');
    const r = await h.request('POST', '/api/torrents', { body: { torrent: torrent.toString('base64') } });
    assert.equal(r.status, 201);
    const { infoHash } = r.json() as { infoHash: string };
    assert.equal((await h.request('GET', `/api/torrents/${infoHash}`)).status, 200);
  });

  it('refuses bad add bodies with 400: invalid base64, not a torrent, not a magnet, both, neither, wrong types', async () => {
    const cases: [unknown, RegExp][] = [
      [{ torrent: 'not base64!!' }, /base64/],
      [{ torrent: Buffer.from('hello').toString('base64') }, /not a \.torrent/],
      [{ magnet: 'http://example.com/file.torrent' }, /magnet/],
      [{ magnet: MAGNET, torrent: 'ZGU=' }, /exactly one/],
      [{}, /exactly one/],
      [{ magnet: 42 }, /magnet/],
      [{ magnet: MAGNET, paused: 'yes' }, /paused/],
      [{ magnet: MAGNET, savePath: 7 }, /savePath/],
      [{ magnet: MAGNET, color: 'red' }, /unknown field/],
      [[MAGNET], /JSON object/],
    ];
    for (const [body, pattern] of cases) {
      const r = await h.request('POST', '/api/torrents', { body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.match((r.json() as { error: string }).error, pattern, JSON.stringify(body));
    }
  });

  it('answers 400 for invalid JSON and for JSON carrying __proto__, 415 for other content types', async () => {
    const bad = await h.request('POST', '/api/torrents', { body: '{"magnet": ' });
    assert.equal(bad.status, 400);
    assert.equal(typeof (bad.json() as { error: string }).error, 'string');
    const poisoned = await h.request('POST', '/api/torrents', { body: `{"magnet": "${MAGNET}", "__proto__": {"x": 1}}` });
    assert.equal(poisoned.status, 400);
    const form = await h.request('POST', '/api/torrents', { body: 'magnet=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
    assert.equal(typeof (form.json() as { error: string }).error, 'string');
  });

  it('refuses oversized bodies with 413: small JSON endpoints at 64 KiB, uploads above 20 MiB of torrent', async () => {
    const settings = await h.request('PATCH', '/api/settings', { body: { downloadDir: 'x'.repeat(70 * 1024) } });
    assert.equal(settings.status, 413);
    assert.equal(typeof (settings.json() as { error: string }).error, 'string');
    const huge = Buffer.alloc(21 * 1024 * 1024, 0x61).toString('base64');
    const upload = await h.request('POST', '/api/torrents', { body: { torrent: huge } });
    assert.equal(upload.status, 413);
  });

  it('shows details with files, peers, trackers and the piece bitfield', async () => {
    const id = h.service.seed({ name: 'detailed', files: [{ path: 'detailed/a.mkv', data: new Uint8Array(600) }, { path: 'detailed/b.srt', data: new Uint8Array(100) }], have: [0, 2] });
    const d = (await h.request('GET', `/api/torrents/${id.toUpperCase()}`)).json() as TorrentDetails;
    assert.equal(d.infoHash, id);
    assert.deepEqual(d.files.map((f) => [f.index, f.path, f.length, f.priority]), [[0, 'detailed/a.mkv', 600, 1], [1, 'detailed/b.srt', 100, 1]]);
    assert.equal(d.pieceCount, 3);
    assert.deepEqual([...Buffer.from(d.pieces, 'base64')], [0b1010_0000]);
    assert.equal(d.peerList[0].address, '192.0.2.7:6881');
    assert.equal(d.trackers[0].status, 'working');
  });

  it('answers 404 for an unknown torrent and 400 for a malformed info hash', async () => {
    const unknown = 'f'.repeat(40);
    assert.equal((await h.request('GET', `/api/torrents/${unknown}`)).status, 404);
    assert.equal((await h.request('POST', `/api/torrents/${unknown}/pause`)).status, 404);
    assert.equal((await h.request('DELETE', `/api/torrents/${unknown}`)).status, 404);
    const bad = await h.request('GET', '/api/torrents/xyz');
    assert.equal(bad.status, 400);
    assert.match((bad.json() as { error: string }).error, /infoHash/);
  });

  it('pauses and resumes (204), with or without an empty JSON body', async () => {
    const id = h.service.seed({ name: 'toggle' });
    const paused = await h.request('POST', `/api/torrents/${id}/pause`, { headers: { 'content-type': 'application/json' } });
    assert.equal(paused.status, 204);
    assert.equal(h.service.torrents.get(id)?.summary.state, 'paused');
    assert.equal((await h.request('POST', `/api/torrents/${id}/resume`)).status, 204);
    assert.equal(h.service.torrents.get(id)?.summary.state, 'seeding');
  });

  it('deletes a torrent, passing deleteData through; 400 for a bad flag', async () => {
    const id = h.service.seed({ name: 'doomed' });
    let seen: boolean | undefined;
    const remove = h.service.remove.bind(h.service);
    h.service.remove = (rid, options) => {
      seen = options.deleteData;
      return remove(rid, options);
    };
    try {
      assert.equal((await h.request('DELETE', `/api/torrents/${id}?deleteData=maybe`)).status, 400);
      assert.equal((await h.request('DELETE', `/api/torrents/${id}?deleteData=1`)).status, 204);
      assert.equal(seen, true);
      assert.equal(h.service.torrents.has(id), false);
      const other = h.service.seed({ name: 'kept-data' });
      assert.equal((await h.request('DELETE', `/api/torrents/${other}`)).status, 204);
      assert.equal(seen, false);
    } finally {
      h.service.remove = remove;
    }
  });

  it('sets file priorities with PUT or POST; validates the list', async () => {
    const id = h.service.seed({ name: 'prio', files: [{ path: 'prio/a', data: new Uint8Array(10) }, { path: 'prio/b', data: new Uint8Array(10) }] });
    assert.equal((await h.request('PUT', `/api/torrents/${id}/files/priorities`, { body: [{ index: 0, priority: 0 }, { index: 1, priority: 7 }] })).status, 204);
    assert.deepEqual(h.service.torrents.get(id)?.files.map((f) => f.priority), [0, 7]);
    assert.equal((await h.request('POST', `/api/torrents/${id}/files/priorities`, { body: [{ index: 1, priority: 4 }] })).status, 204);
    assert.equal(h.service.torrents.get(id)?.files[1].priority, 4);
    for (const body of [{ index: 0, priority: 1 }, [{ index: 0, priority: 8 }], [{ index: -1, priority: 1 }], [{ index: 0 }], [{ index: 0, priority: 1.5 }]]) {
      assert.equal((await h.request('PUT', `/api/torrents/${id}/files/priorities`, { body })).status, 400, JSON.stringify(body));
    }
    // The service's own error (no such file) comes through with its status.
    const missing = await h.request('PUT', `/api/torrents/${id}/files/priorities`, { body: [{ index: 9, priority: 1 }] });
    assert.equal(missing.status, 400);
    assert.match((missing.json() as { error: string }).error, /no file 9/);
  });

  it("sets a torrent's own rate limits with PATCH .../limits; validates them", async () => {
    const id = h.service.seed({ name: 'limited' });
    const r = await h.request('PATCH', `/api/torrents/${id}/limits`, { body: { uploadRateLimit: 65536 } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { downloadRateLimit: 0, uploadRateLimit: 65536 });
    assert.deepEqual(((await h.request('GET', `/api/torrents/${id}`)).json() as { limits: unknown }).limits, { downloadRateLimit: 0, uploadRateLimit: 65536 });
    for (const body of [{ uploadRateLimit: -1 }, { downloadRateLimit: 1.5 }, { speed: 1 }, [1]]) {
      assert.equal((await h.request('PATCH', `/api/torrents/${id}/limits`, { body })).status, 400, JSON.stringify(body));
    }
    assert.equal((await h.request('PATCH', `/api/torrents/${'0'.repeat(40)}/limits`, { body: { uploadRateLimit: 1 } })).status, 404);
  });
});

describe('HTTP API: settings and stats', () => {
  let h: Harness;
  before(async () => (h = await startHarness()));
  after(() => h.close());

  it('reads and patches settings; the answer is the new settings', async () => {
    const s = (await h.request('GET', '/api/settings')).json() as Settings;
    assert.equal(s.maxActiveDownloads, 3);
    const r = await h.request('PATCH', '/api/settings', { body: { downloadRateLimit: 1_000_000, dht: false, encryption: 'require' } });
    assert.equal(r.status, 200);
    const updated = r.json() as Settings;
    assert.equal(updated.downloadRateLimit, 1_000_000);
    assert.equal(updated.dht, false);
    assert.equal(updated.encryption, 'require');
    assert.equal(updated.downloadDir, '/downloads');
    assert.deepEqual((await h.request('GET', '/api/settings')).json(), updated);
  });

  it('refuses unknown settings and wrong types with 400', async () => {
    for (const body of [{ colour: 'blue' }, { dht: 'on' }, { encryption: 'maybe' }, { maxConnections: 0 }, { uploadRateLimit: -5 }, { downloadDir: '' }, [1],
      { altEnabled: 1 }, { altDownloadRateLimit: 1.5 }, { altSchedule: { from: '24:00', to: '06:00', days: [1] } },
      { altSchedule: { from: '22:00', to: '06:00', days: [7] } }, { altSchedule: { from: '22:00', to: '06:00' } },
      { altSchedule: { from: '22:00', to: '06:00', days: [], at: 1 } }, { altSchedule: '22-06' }]) {
      const r = await h.request('PATCH', '/api/settings', { body });
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    assert.equal(((await h.request('GET', '/api/settings')).json() as Settings).maxConnections, 200);
  });

  it('reports session stats', async () => {
    h.service.seed({ name: 'a', state: 'seeding' });
    h.service.seed({ name: 'b', state: 'paused' });
    const r = await h.request('GET', '/api/stats');
    assert.equal(r.status, 200);
    const stats = r.json() as { torrents: Record<string, number>; dht: { nodes: number } };
    assert.equal(stats.torrents.seeding, 1);
    assert.equal(stats.torrents.paused, 1);
    assert.equal(stats.dht.nodes, 42);
  });

  it('answers unknown routes and methods with a JSON 404', async () => {
    for (const [method, path] of [['GET', '/api/nothing'], ['POST', '/api/stats'], ['DELETE', '/api/settings'], ['GET', '/api']]) {
      const r = await h.request(method, path);
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.equal(typeof (r.json() as { error: string }).error, 'string');
    }
  });

  it('turns an unexpected throw into a JSON 500 and keeps serving', async () => {
    const stats = h.service.stats.bind(h.service);
    const errors: unknown[] = [];
    const log = console.error;
    h.service.stats = () => {
      throw new TypeError('boom');
    };
    console.error = (...args: unknown[]) => void errors.push(args);
    try {
      const r = await h.request('GET', '/api/stats');
      assert.equal(r.status, 500);
      assert.deepEqual(r.json(), { error: 'internal error' });
      assert.equal(errors.length, 1);
    } finally {
      h.service.stats = stats;
      console.error = log;
    }
    assert.equal((await h.request('GET', '/api/stats')).status, 200);
  });
});
