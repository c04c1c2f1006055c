/**
 * Scrape floods at the tracker server: a scrape naming hundreds of info hashes is answered for
 * `maxScrapeHashes` (74) of them, and a full scrape is built once per `fullScrapeCacheSeconds`
 * however many ask (it was built and encoded again for each: 1000 torrents, ~80 KB, per GET).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decode } from '../../src/bencode/decode.js';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import { createRandom } from '../../src/runtime/random.js';
import { TRACKER_DEFAULTS, TrackerCore } from '../../src/tracker/server-core.js';
import { startTrackerServer } from '../../src/tracker/server.js';
import type { AnnounceRequest } from '../../src/tracker/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

const hashOf = (n: number) => Uint8Array.from({ length: 20 }, (_, i) => (n >>> ((i % 4) * 8)) & 0xff ^ i);
const req = (n: number): AnnounceRequest => ({ infoHash: hashOf(n), peerId: new Uint8Array(20).fill(65), port: 6881, uploaded: 0, downloaded: 0, left: 100, event: 'started' });
const q = (h: Uint8Array): string => `info_hash=${[...h].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')}`;

describe('tracker: scrape floods', () => {
  it(`answers the first maxScrapeHashes (${TRACKER_DEFAULTS.maxScrapeHashes}) info hashes of a scrape naming more`, () => {
    const core = new TrackerCore({ clock: new FakeClock(), random: createRandom(1) });
    core.announce(req(0), '10.0.0.1');
    const named = Array.from({ length: 1000 }, (_, i) => hashOf(i));
    const stats = core.scrape(named);
    assert.equal(stats.length, 74);
    assert.equal(stats[0].incomplete, 1);
    assert.equal(core.stats().scrapeHashesDropped, 926);
  });

  it('builds a full scrape once per fullScrapeCacheSeconds, at most maxFullScrapeTorrents long', () => {
    const clock = new FakeClock();
    const core = new TrackerCore({ clock, random: createRandom(2), maxFullScrapeTorrents: 100 });
    for (let n = 0; n < 300; n++) core.announce(req(n), `10.0.${n >> 8}.${n & 255}`);
    const first = core.scrapeAll();
    assert.equal(first.size, 100);
    for (let i = 0; i < 1000; i++) assert.equal(core.scrapeAll(), first);
    assert.equal(core.stats().fullScrapesBuilt, 1);
    core.announce(req(0), '10.9.9.9');
    assert.equal([...core.scrapeAll().values()].reduce((n, s) => n + s.incomplete, 0), 100, 'the same counts within the 30 s');
    clock.advance(30_000);
    assert.notEqual(core.scrapeAll(), first);
    assert.equal(core.stats().fullScrapesBuilt, 2);
    assert.equal([...core.scrapeAll().values()].reduce((n, s) => n + s.incomplete, 0), 101, 'then the new announce shows');
  });

  it('over HTTP: a scrape URL naming 100 info hashes gets 74 files; full scrapes share one body', async () => {
    const runtime = createNodeRuntime();
    const server = await startTrackerServer({ runtime, http: { host: '127.0.0.1', port: 0 }, maxFullScrapeTorrents: 50 });
    try {
      for (let n = 0; n < 200; n++) server.core.announce(req(n), `10.1.${n >> 8}.${n & 255}`);
      const base = `http://127.0.0.1:${server.http?.address.port}/scrape`;
      // 100 percent-encoded hashes: ~7 KB, under the 8192-character URL limit.
      const url = `${base}?${Array.from({ length: 100 }, (_, i) => q(hashOf(i))).join('&')}`;
      const reply = decode(new Uint8Array(await (await fetch(url)).arrayBuffer())) as Map<string, Map<string, unknown>>;
      assert.equal(reply.get('files')?.size, 74);
      const bodies = await Promise.all(Array.from({ length: 20 }, async () => Buffer.from(await (await fetch(base)).arrayBuffer())));
      assert.ok(bodies.every((b) => b.equals(bodies[0])));
      assert.equal((decode(new Uint8Array(bodies[0])) as Map<string, Map<string, unknown>>).get('files')?.size, 50);
      assert.equal(server.core.stats().fullScrapesBuilt, 1);
    } finally {
      await server.close();
      runtime.close();
    }
  });
});
