/**
 * The routes that read a torrent's file list load its metainfo first (`loadMetadata`, off the
 * event loop when large): before, GET /api/torrents/:id of a torrent left idle over a restart
 * parsed it inline in `details`, holding every other request for the whole parse.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness } from './http-harness.js';

describe('routes load metainfo before reading files', () => {
  it('GET details, GET trackers, file priorities and stream URLs ask the service to load it first', async () => {
    const h = await startHarness();
    try {
      const id = h.service.seed({ name: 'two', files: [{ path: 'two/a', data: new Uint8Array(1) }, { path: 'two/b', data: new Uint8Array(1) }] });
      assert.equal((await h.request('GET', `/api/torrents/${id}`)).status, 200);
      assert.equal((await h.request('GET', `/api/torrents/${id}/trackers`)).status, 200);
      assert.equal((await h.request('PUT', `/api/torrents/${id}/files/priorities`, { body: [{ index: 0, priority: 0 }] })).status, 204);
      assert.equal((await h.request('POST', `/api/torrents/${id}/files/1/stream-url`)).status, 201);
      assert.deepEqual(h.service.metadataLoads, [id, id, id, id]);
      assert.equal((await h.request('GET', `/api/torrents/${'0'.repeat(40)}`)).status, 404, 'an unknown torrent is still a 404');
    } finally {
      await h.close();
    }
  });
});
