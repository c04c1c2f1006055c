/** Server-Sent Events: service events reach the client, and a closed client is unsubscribed. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatEvent } from '../../src/daemon/http/events.js';
import type { SessionStats } from '../../src/daemon/types.js';
import { startHarness, TextCollector, TOKEN, type Harness } from './http-harness.js';

interface Sse {
  event: string;
  data: unknown;
}

/** Complete events in an SSE text (comments and `retry:` lines skipped). */
function parseSse(text: string): Sse[] {
  const out: Sse[] = [];
  for (const block of text.split('\n\n').slice(0, -1)) {
    const lines = block.split('\n');
    const event = lines.find((l) => l.startsWith('event: '))?.slice(7);
    const data = lines.filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
    if (event !== undefined) out.push({ event, data: JSON.parse(data) });
  }
  return out;
}

describe('HTTP API: events', () => {
  let h: Harness;
  before(async () => (h = await startHarness()));
  after(() => h.close());

  it('streams service events as `event: <type>` + `data: <json>` and unsubscribes when the client leaves', async () => {
    const res = await h.open('GET', '/api/events');
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/event-stream/);
    assert.equal(res.headers['cache-control'], 'no-store');
    const sse = new TextCollector(res);
    await sse.until((t) => t.includes(': connected\n\n'));
    assert.equal(h.service.listenerCount, 1);

    const added = await h.request('POST', '/api/torrents', { body: { magnet: 'magnet:?xt=urn:btih:' + 'ab'.repeat(20) + '&dn=live' } });
    const { infoHash } = added.json() as { infoHash: string };
    await h.request('POST', `/api/torrents/${infoHash}/pause`);
    const stats = h.service.stats();
    h.service.emit({ type: 'stats', stats });
    await h.request('DELETE', `/api/torrents/${infoHash}`);

    const events = parseSse(await sse.until((t) => parseSse(t).length >= 4));
    assert.deepEqual(events.map((e) => e.event), ['torrent-added', 'torrent-updated', 'stats', 'torrent-removed']);
    assert.equal((events[0].data as { torrent: { name: string } }).torrent.name, 'live');
    assert.equal((events[1].data as { torrent: { state: string } }).torrent.state, 'paused');
    assert.deepEqual((events[2].data as { stats: SessionStats }).stats, stats);
    assert.deepEqual(events[3].data, { type: 'torrent-removed', infoHash });

    res.destroy();
    await h.service.listenersReach(0);
    assert.equal((await h.request('GET', '/api/stats')).status, 200);
  });

  it('serves every client from one subscription, held while any client stays, and accepts ?token= (EventSource cannot set headers)', async () => {
    const a = await h.open('GET', `/api/events?token=${TOKEN}`, { auth: null });
    const b = await h.open('GET', '/api/events');
    const [sa, sb] = [new TextCollector(a), new TextCollector(b)];
    await Promise.all([sa.until((t) => t.includes(': connected')), sb.until((t) => t.includes(': connected'))]);
    assert.equal(h.service.listenerCount, 1);
    h.service.emit({ type: 'torrent-removed', infoHash: 'both' });
    await Promise.all([sa, sb].map((s) => s.until((t) => t.includes('"infoHash":"both"'))));
    a.destroy();
    await sa.until(() => sa.ended).catch(() => undefined);
    h.service.emit({ type: 'torrent-removed', infoHash: 'b-only' });
    await sb.until((t) => t.includes('"infoHash":"b-only"'));
    assert.equal(h.service.listenerCount, 1);
    b.destroy();
    await h.service.listenersReach(0);
  });

  it('ends open event streams when the server closes', async () => {
    const own = await startHarness();
    const res = await own.open('GET', '/api/events');
    const sse = new TextCollector(res);
    await sse.until((t) => t.includes(': connected'));
    await own.close();
    await sse.until(() => sse.ended);
    assert.equal(own.service.listenerCount, 0);
  });

  it('formats a multi-line-free data field (JSON has no raw newlines)', () => {
    const text = formatEvent({ type: 'torrent-removed', infoHash: 'a\nb' });
    assert.equal(text, 'event: torrent-removed\ndata: {"type":"torrent-removed","infoHash":"a\\nb"}\n\n');
  });
});
