/**
 * The tracker server over real loopback sockets, driven by Shoal's own clients: HTTP and
 * UDP announce and scrape, compact and dictionary replies, numwant cap, expiry, allow-list,
 * /stats, connection-id reuse, and BEP 12 tier behaviour of the announcer.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import { createRandom } from '../../src/runtime/random.js';
import { Announcer, TierList, TrackerClient } from '../../src/tracker/announcer.js';
import { TrackerFailure } from '../../src/tracker/errors.js';
import { httpAnnounce, httpScrape } from '../../src/tracker/http-client.js';
import { TrackerCore } from '../../src/tracker/server-core.js';
import { startTrackerServer } from '../../src/tracker/server.js';
import type { AnnounceRequest, AnnounceResponse } from '../../src/tracker/types.js';
import { UdpTrackerClient } from '../../src/tracker/udp-client.js';
import * as udpc from '../../src/tracker/udp-codec.js';
import { FakeClock } from '../helpers/fake-clock.js';

const hash = (n: number) => Uint8Array.from({ length: 20 }, (_, i) => (i === 0 ? n : i));
const peer = (n: number) => Uint8Array.from({ length: 20 }, (_, i) => (i === 19 ? n : 65));
const req = (o: Partial<AnnounceRequest> & { n: number }): AnnounceRequest => ({ infoHash: hash(1), peerId: peer(o.n), port: 1000 + o.n, uploaded: 0, downloaded: 0, left: 100, event: 'started', ...o });

describe('tracker core', () => {
  it('lists other peers, counts seeds/leechers, caps numwant, expires silent peers', () => {
    const clock = new FakeClock();
    const core = new TrackerCore({ clock, random: createRandom(1), intervalSeconds: 60, maxNumwant: 5 });
    core.start();
    for (let i = 1; i <= 10; i++) core.announce(req({ n: i, left: i <= 3 ? 0 : 100 }), '10.0.0.' + i);
    const out = core.announce(req({ n: 11, numwant: 100 }), '10.0.0.11');
    assert.ok(out.ok);
    if (!out.ok) return;
    assert.equal(out.response.peers.length, 5);
    assert.equal(out.response.complete, 3);
    assert.equal(out.response.incomplete, 8);
    assert.ok(!out.response.peers.some((p) => p.host === '10.0.0.11'));
    // A seed is not sent other seeds.
    const s = core.announce(req({ n: 1, left: 0, event: 'none', numwant: 50 }), '10.0.0.1');
    assert.ok(s.ok && s.response.peers.every((p) => Number(p.host.split('.')[3]) > 3));
    clock.advance(50_000);
    core.announce(req({ n: 2, event: 'none', left: 0 }), '10.0.0.2');
    clock.advance(80_000); // others silent for 130 s > 1.5 × 60 s (+ sweep period)
    assert.equal(core.stats().peers, 1);
    assert.ok(core.stats().expired >= 10);
    core.stop();
  });
  it('stopped removes the peer; completed counts downloads; allow-list refuses others', () => {
    const clock = new FakeClock();
    const core = new TrackerCore({ clock, random: createRandom(2) });
    core.announce(req({ n: 1 }), '1.1.1.1');
    core.announce(req({ n: 1, event: 'completed', left: 0 }), '1.1.1.1');
    assert.deepEqual(core.scrape([hash(1)]), [{ complete: 1, downloaded: 1, incomplete: 0 }]);
    core.announce(req({ n: 1, event: 'stopped' }), '1.1.1.1');
    assert.deepEqual(core.scrape([hash(1)]), [{ complete: 0, downloaded: 1, incomplete: 0 }]);
    core.setAllowList(new Set([Buffer.from(hash(2)).toString('hex')]));
    assert.deepEqual(core.announce(req({ n: 1 }), '1.1.1.1'), { ok: false, reason: 'info hash not allowed' });
    assert.ok(core.announce(req({ n: 1, infoHash: hash(2) }), '1.1.1.1').ok);
  });
  it('caps peers per torrent and overall (answered, not stored) and torrents (refused)', () => {
    const core = new TrackerCore({ clock: new FakeClock(), random: createRandom(4), maxPeersPerTorrent: 3, maxPeers: 5, maxTorrents: 2 });
    for (let i = 1; i <= 4; i++) core.announce(req({ n: i }), '10.0.0.' + i);
    const over = core.announce(req({ n: 9, numwant: 10 }), '10.0.0.9');
    assert.ok(over.ok && over.response.peers.length === 3, 'a peer beyond the cap still gets peers');
    assert.deepEqual([core.stats().peers, core.stats().notStored], [3, 2]);
    for (let i = 1; i <= 3; i++) core.announce(req({ n: i, infoHash: hash(2) }), '10.0.1.' + i);
    assert.deepEqual([core.stats().peers, core.stats().notStored], [5, 3]);
    // A stored peer re-announcing is still served and kept.
    assert.ok(core.announce(req({ n: 1, event: 'none' }), '10.0.0.1').ok);
    assert.equal(core.stats().peers, 5);
    assert.deepEqual(core.announce(req({ n: 1, infoHash: hash(3) }), '10.0.2.1'), { ok: false, reason: 'tracker full' });
    assert.equal(core.stats().torrents, 2);
  });
  it('keeps IPv6 peers apart for UDP and together for HTTP', () => {
    const core = new TrackerCore({ clock: new FakeClock(), random: createRandom(3) });
    core.announce(req({ n: 1 }), '::1');
    core.announce(req({ n: 2 }), '1.2.3.4');
    const a = core.announce(req({ n: 3 }), '5.6.7.8', 4);
    assert.ok(a.ok && a.response.peers.length === 1 && a.response.peers[0].host === '1.2.3.4');
    const b = core.announce(req({ n: 4 }), '::2', 'both');
    assert.ok(b.ok && b.response.peers.length === 3);
  });
});

describe('tracker server over loopback', () => {
  it('HTTP and UDP announce/scrape with Shoal clients; /stats; malformed HTTP gets failure', async () => {
    const runtime = createNodeRuntime();
    const server = await startTrackerServer({ runtime, http: { host: '127.0.0.1', port: 0 }, udp: { host: '127.0.0.1', port: 0 }, intervalSeconds: 30 });
    try {
      const httpUrl = `http://127.0.0.1:${server.http?.address.port}/announce`;
      const udpUrl = `udp://127.0.0.1:${server.udp?.address.port}/announce`;
      const o = { clock: runtime.clock, http: runtime.http };
      const r1 = await httpAnnounce(httpUrl, req({ n: 1, left: 0 }), o);
      assert.equal(r1.interval, 30);
      assert.equal(r1.peers.length, 0);
      const client = new UdpTrackerClient({ endpoint: await runtime.udp.bind({ host: '127.0.0.1', port: 0 }), clock: runtime.clock, random: runtime.random, baseTimeoutMs: 500, maxRetries: 1 });
      const r2 = await client.announce(udpUrl, req({ n: 2 }));
      assert.deepEqual(r2.peers, [{ host: '127.0.0.1', port: 1001 }]);
      assert.equal(r2.complete, 1);
      const r3 = await httpAnnounce(httpUrl, { ...req({ n: 3 }), compact: false }, o);
      assert.equal(r3.peers.length, 2);
      assert.ok(r3.peers.every((p) => p.host === '127.0.0.1'));
      const s1 = await client.scrape(udpUrl, [hash(1), hash(9)]);
      assert.deepEqual(s1.get(Buffer.from(hash(1)).toString('hex')), { complete: 1, downloaded: 0, incomplete: 2 });
      assert.deepEqual(s1.get(Buffer.from(hash(9)).toString('hex')), { complete: 0, downloaded: 0, incomplete: 0 });
      const s2 = await httpScrape(httpUrl, [hash(1)], o);
      assert.deepEqual(s2.get(Buffer.from(hash(1)).toString('hex')), { complete: 1, downloaded: 0, incomplete: 2 });
      await assert.rejects(httpAnnounce(httpUrl.replace('/announce', '/announce?info_hash=short'), req({ n: 4 }), o), TrackerFailure);
      const stats = (await (await fetch(httpUrl.replace('/announce', '/stats'))).json()) as Record<string, number>;
      assert.equal(stats.peers, 3);
      assert.equal(stats.torrents, 1);
      assert.ok(stats.udpPackets >= 3);
      client.close();
    } finally {
      await server.close();
      runtime.close();
    }
  });
  it('UDP: connection id is reused; a forged one gets an error reply', async () => {
    const runtime = createNodeRuntime();
    const server = await startTrackerServer({ runtime, udp: { host: '127.0.0.1', port: 0 } });
    const ep = await runtime.udp.bind({ host: '127.0.0.1', port: 0 });
    try {
      const to = server.udp?.address ?? { host: '', port: 0 };
      const got: Uint8Array[] = [];
      const sent: Uint8Array[] = [];
      const client = new UdpTrackerClient({ endpoint: { address: ep.address, send: (d, a) => (sent.push(d), ep.send(d, a)), onMessage: (h) => ep.onMessage((d, f) => (got.push(d), h(d, f))), close: () => ep.close() }, clock: runtime.clock, random: runtime.random, baseTimeoutMs: 500, maxRetries: 1 });
      const url = `udp://127.0.0.1:${to.port}`;
      await client.announce(url, req({ n: 1 }));
      await client.announce(url, req({ n: 1, event: 'none' }));
      await client.scrape(url, [hash(1)]);
      assert.equal(sent.filter((d) => d.length === 16 && new DataView(d.buffer, d.byteOffset).getUint32(8) === 0).length, 1, 'one connect for three requests');
      const raw = await runtime.udp.bind({ host: '127.0.0.1', port: 0 });
      const reply = new Promise<Uint8Array>((r) => raw.onMessage((d) => r(d)));
      raw.send(udpc.encodeAnnounce(12345n, 42, req({ n: 5 })), to);
      const e = udpc.decodeReply(await reply);
      assert.equal(e.action, 'error');
      raw.close();
    } finally {
      await server.close();
      runtime.close();
    }
  });
  it('allow-list file is enforced and reloaded on change', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shoal-allow-'));
    const file = join(dir, 'allow.txt');
    writeFileSync(file, `# allowed\n${Buffer.from(hash(1)).toString('hex')}\n`);
    const runtime = createNodeRuntime();
    const server = await startTrackerServer({ runtime, http: { host: '127.0.0.1', port: 0 }, allowListFile: file });
    try {
      const url = `http://127.0.0.1:${server.http?.address.port}/announce`;
      const o = { clock: runtime.clock, http: runtime.http };
      await httpAnnounce(url, req({ n: 1 }), o);
      await assert.rejects(httpAnnounce(url, req({ n: 1, infoHash: hash(2) }), o), /not allowed/);
      writeFileSync(file, `${Buffer.from(hash(2)).toString('hex').toUpperCase()}\n`);
      // The file is polled once a second; give a loaded machine up to 30 s to notice.
      for (let i = 0; i < 300; i++) {
        try {
          await httpAnnounce(url, req({ n: 1, infoHash: hash(2) }), o);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await httpAnnounce(url, req({ n: 1, infoHash: hash(2) }), o);
      await assert.rejects(httpAnnounce(url, req({ n: 1 }), o), /not allowed/);
    } finally {
      await server.close();
      runtime.close();
    }
  });
});

describe('announcer (BEP 12 tiers)', () => {
  it('shuffles within tiers deterministically and keeps tier order', () => {
    const t = new TierList([['a', 'b', 'c', 'd'], ['e'], []], createRandom(7));
    assert.equal(t.tiers.length, 2);
    assert.deepEqual([...t.tiers[0]].sort(), ['a', 'b', 'c', 'd']);
    assert.deepEqual(t.tiers[1], ['e']);
  });
  it('falls back past dead trackers, promotes the working one, re-announces at interval, sends stopped', async () => {
    const clock = new FakeClock();
    const calls: string[] = [];
    const ok: AnnounceResponse = { interval: 100, minInterval: 10, peers: [{ host: '1.2.3.4', port: 5 }] };
    const client = {
      announce: async (url: string, r: AnnounceRequest): Promise<AnnounceResponse> => {
        calls.push(`${url}:${r.event}`);
        if (url !== 'http://good') throw new Error('dead');
        return ok;
      },
    };
    const peers: string[] = [];
    const a = new Announcer({
      client, clock, random: createRandom(1), tiers: [['http://dead1', 'http://good'], ['http://tier2']], infoHash: hash(1), peerId: peer(1), port: 6881,
      counters: () => ({ uploaded: 1, downloaded: 2, left: 3 }), onPeers: (p) => peers.push(...p.map((x) => `${x.host}:${x.port}`)),
    });
    a.start();
    await new Promise((r) => setImmediate(r));
    assert.ok(calls.includes('http://good:started'));
    assert.ok(!calls.some((c) => c.startsWith('http://tier2')));
    assert.equal(a.tierList.tiers[0][0], 'http://good');
    assert.deepEqual(peers, ['1.2.3.4:5']);
    calls.length = 0;
    clock.advance(100_000);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(calls, ['http://good:none'], 'promoted tracker tried first on re-announce');
    await a.stop();
    assert.deepEqual(calls, ['http://good:none', 'http://good:stopped']);
  });
  it('a completed (and a started still in flight) reach the tracker before stopped, with the counters of the moment', async () => {
    const seen: string[] = [];
    const answers: (() => void)[] = [];
    const client = {
      announce: (url: string, r: AnnounceRequest): Promise<AnnounceResponse> => {
        seen.push(`${r.event} left=${r.left} down=${r.downloaded}`);
        // Each reply waits for the test to release it.
        return new Promise((resolve) => answers.push(() => resolve({ interval: 100, peers: [] })));
      },
    };
    let counters = { uploaded: 0, downloaded: 0, left: 100 };
    const a = new Announcer({ client, clock: new FakeClock(), random: createRandom(1), tiers: [['http://t']], infoHash: hash(1), peerId: peer(1), port: 6881, counters: () => counters, onPeers: () => undefined });
    const settle = () => new Promise((r) => setImmediate(r));
    a.start();
    await settle();
    counters = { uploaded: 0, downloaded: 100, left: 0 };
    a.completed();
    const stopping = a.stop();
    await settle();
    assert.deepEqual(seen, ['started left=100 down=0'], 'one announce at a time');
    answers.shift()?.();
    await settle();
    assert.deepEqual(seen.slice(1), ['completed left=0 down=100']);
    answers.shift()?.();
    await settle();
    assert.deepEqual(seen.slice(2), ['stopped left=0 down=100']);
    answers.shift()?.();
    await stopping;
  });
  it('TrackerClient tier fallback against a real dead HTTP tracker and a live UDP one', async () => {
    const runtime = createNodeRuntime();
    const server = await startTrackerServer({ runtime, udp: { host: '127.0.0.1', port: 0 }, intervalSeconds: 60 });
    try {
      const client = new TrackerClient({ clock: runtime.clock, random: runtime.random, udp: runtime.udp, http: runtime.http, udpBaseTimeoutMs: 300, udpMaxRetries: 0 });
      const tiers = [['http://127.0.0.1:1/announce', 'udp://127.0.0.1:2/announce'], [`udp://127.0.0.1:${server.udp?.address.port}/announce`]];
      const a = new Announcer({ client, clock: runtime.clock, random: runtime.random, tiers, infoHash: hash(1), peerId: peer(1), port: 7000, counters: () => ({ uploaded: 0, downloaded: 0, left: 0 }), onPeers: () => undefined });
      const res = await a.announceOnce('started');
      assert.equal(res?.interval, 60);
      assert.equal(server.core.stats().seeders, 1);
      client.close();
    } finally {
      await server.close();
      runtime.close();
    }
  });
});
