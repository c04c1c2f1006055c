/**
 * Tracker hardening: one source address cannot fill the tracker (its entries are capped over
 * all torrents, IPv6 counted per /64, and freed again by `stopped`, expiry and the allow-list);
 * a front end whose address is taken fails naming it and leaves nothing running; closing the
 * client ends requests in flight at once, leaving no retransmit timer behind.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import { createRandom } from '../../src/runtime/random.js';
import { Announcer, DEFAULT_STAGGER_MS, TrackerClient } from '../../src/tracker/announcer.js';
import { TrackerListenError, TrackerUnreachable } from '../../src/tracker/errors.js';
import { httpAnnounce, MAX_TRACKER_REDIRECTS } from '../../src/tracker/http-client.js';
import type { HttpClient } from '../../src/runtime/types.js';
import { TrackerCore } from '../../src/tracker/server-core.js';
import { startTrackerServer } from '../../src/tracker/server.js';
import type { AnnounceRequest } from '../../src/tracker/types.js';
import { UdpTrackerClient } from '../../src/tracker/udp-client.js';
import { FakeClock, FakeUdpEndpoint } from '../helpers/fake-clock.js';
import { UdpTrackerServer } from '../../src/tracker/udp-server.js';

/** A distinct info hash per `n` (all 20 bytes vary with n). */
const hashOf = (n: number) => Uint8Array.from({ length: 20 }, (_, i) => (n >>> ((i % 4) * 8)) & 0xff ^ i);
const req = (n: number, o: Partial<AnnounceRequest> = {}): AnnounceRequest => ({ infoHash: hashOf(n), peerId: new Uint8Array(20).fill(65), port: 6881, uploaded: 0, downloaded: 0, left: 100, event: 'started', ...o });

describe('tracker: per-source limits', () => {
  it('10,000 announces for distinct torrents from one address do not make the tracker full for another', () => {
    const core = new TrackerCore({ clock: new FakeClock(), random: createRandom(7), maxTorrents: 1000, maxEntriesPerIp: 100 });
    let refused = 0;
    for (let n = 0; n < 10_000; n++) {
      const out = core.announce(req(n), '10.9.9.9');
      if (!out.ok) {
        refused++;
        assert.match(out.reason, /too many torrents announced from your address/);
      }
    }
    assert.equal(refused, 9_900);
    assert.deepEqual([core.stats().torrents, core.stats().peers, core.stats().sourceLimited], [100, 100, 9_900]);
    const honest = core.announce(req(1_000_000), '10.1.2.3');
    assert.ok(honest.ok, `an honest new torrent was refused: ${honest.ok ? '' : honest.reason}`);
    assert.equal(core.stats().torrents, 101);
  });

  it('a source at its cap is still answered for torrents already tracked, but not stored', () => {
    const core = new TrackerCore({ clock: new FakeClock(), random: createRandom(8), maxEntriesPerIp: 2 });
    core.announce(req(1), '10.0.0.1');
    core.announce(req(2), '10.0.0.1');
    core.announce(req(3), '10.0.0.2');
    const out = core.announce(req(3, { numwant: 10 }), '10.0.0.1');
    assert.ok(out.ok && out.response.peers.length === 1 && out.response.peers[0].host === '10.0.0.2');
    assert.deepEqual(core.scrape([hashOf(3)]), [{ complete: 0, downloaded: 0, incomplete: 1 }]);
    // Another port of the same address is the same source.
    assert.equal(core.announce(req(4, { port: 7000 }), '10.0.0.1').ok, false);
  });

  it('frees a source entry on stopped, on expiry and when the allow-list drops its torrent', () => {
    const clock = new FakeClock();
    const core = new TrackerCore({ clock, random: createRandom(9), maxEntriesPerIp: 2, intervalSeconds: 60 });
    core.start();
    core.announce(req(1), '10.0.0.1');
    core.announce(req(2), '10.0.0.1');
    assert.equal(core.announce(req(3), '10.0.0.1').ok, false);
    core.announce(req(1, { event: 'stopped' }), '10.0.0.1');
    assert.ok(core.announce(req(3), '10.0.0.1').ok, 'stopped gave the entry back');
    clock.advance(200_000); // silent for longer than 1.5 × interval: expired
    assert.deepEqual([core.stats().peers, core.stats().sources], [0, 0]);
    assert.ok(core.announce(req(4), '10.0.0.1').ok && core.announce(req(5), '10.0.0.1').ok);
    core.setAllowList(new Set([Buffer.from(hashOf(4)).toString('hex')]));
    assert.equal(core.stats().torrents, 1);
    assert.ok(core.announce(req(4, { port: 7001 }), '10.0.0.1').ok);
    assert.equal(core.stats().peers, 2, 'the dropped torrent released its entry');
    core.stop();
  });

  it('counts IPv6 sources per /64', () => {
    const core = new TrackerCore({ clock: new FakeClock(), random: createRandom(10), maxEntriesPerIp: 2 });
    assert.ok(core.announce(req(1), 'fd00:1:2:3::1').ok);
    assert.ok(core.announce(req(2), 'fd00:1:2:3:ffff::9').ok);
    assert.equal(core.announce(req(3), 'fd00:1:2:3:abcd::2').ok, false, 'same /64, over the cap');
    assert.ok(core.announce(req(3), 'fd00:1:2:4::1').ok, 'another /64');
    assert.equal(core.stats().sources, 2);
  });
});

describe('tracker server: taken addresses', () => {
  it('names the HTTP address in use and leaves the UDP socket it opened closed', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as AddressInfo).port;
    const runtime = createNodeRuntime();
    try {
      await assert.rejects(startTrackerServer({ runtime, udp: { host: '127.0.0.1', port: 0 }, http: { host: '127.0.0.1', port } }), (e: unknown) => {
        assert.ok(e instanceof TrackerListenError);
        assert.deepEqual([e.transport, e.address, e.code], ['http', `127.0.0.1:${port}`, 'EADDRINUSE']);
        assert.match(e.message, /already in use/);
        return true;
      });
      // Nothing of the failed server is left open in the runtime.
      const again = await runtime.udp.bind({ host: '127.0.0.1', port: 0 });
      again.close();
    } finally {
      runtime.close();
      blocker.close();
    }
  });

  it('names the UDP address in use', async () => {
    const blocker = createSocket('udp4');
    await new Promise<void>((r) => blocker.bind(0, '127.0.0.1', () => r()));
    const port = blocker.address().port;
    const runtime = createNodeRuntime();
    try {
      await assert.rejects(startTrackerServer({ runtime, udp: { host: '127.0.0.1', port } }), (e: unknown) => e instanceof TrackerListenError && e.transport === 'udp' && e.code === 'EADDRINUSE');
    } finally {
      runtime.close();
      blocker.close();
    }
  });
});

describe('tracker server: HTTP connections', () => {
  /**
   * Opens `n` connections that send nothing; resolves each socket's close. They read (and
   * drop) what comes: Node's own header check may answer before it closes, and a socket that
   * never reads never sees the end of a stream with unread bytes (test/daemon/http-limits).
   */
  function silentSockets(port: number, n: number): { sockets: Socket[]; closed: Promise<unknown>[] } {
    const sockets = Array.from({ length: n }, () => connect(port, '127.0.0.1').on('error', () => undefined).resume());
    return { sockets, closed: sockets.map((s) => new Promise((r) => s.on('close', r))) };
  }

  /** 'closed' once every promise settles, 'still open' if that takes 10 s. */
  async function allClose(closed: Promise<unknown>[]): Promise<string> {
    let deadline: NodeJS.Timeout | undefined;
    const stillOpen = new Promise<string>((r) => (deadline = setTimeout(r, 10_000, 'still open')));
    const outcome = await Promise.race([Promise.all(closed).then(() => 'closed'), stillOpen]);
    clearTimeout(deadline);
    return outcome;
  }

  const announceUrl = (port: number): string =>
    `http://127.0.0.1:${port}/announce?info_hash=${'%AB'.repeat(20)}&peer_id=-XX0001-123456789012&port=6881&uploaded=0&downloaded=0&left=5`;

  it('closes connections that never send a request after the headers timeout (Node never did: they held a descriptor each for ever)', { timeout: 30_000 }, async () => {
    const runtime = createNodeRuntime();
    const server = await startTrackerServer({ runtime, http: { host: '127.0.0.1', port: 0 }, httpHeadersTimeoutMs: 300 });
    const { sockets, closed } = silentSockets(server.http!.address.port, 20);
    try {
      assert.equal(await allClose(closed), 'closed');
      const r = await fetch(announceUrl(server.http!.address.port));
      assert.equal(r.status, 200);
      assert.match(await r.text(), /^d8:complete/);
    } finally {
      for (const s of sockets) s.destroy();
      await server.close();
      runtime.close();
    }
  });

  it('holds at most maxHttpConnections: further connections are closed as they arrive', { timeout: 30_000 }, async () => {
    const runtime = createNodeRuntime();
    const server = await startTrackerServer({ runtime, http: { host: '127.0.0.1', port: 0 }, maxHttpConnections: 8, httpHeadersTimeoutMs: 60_000 });
    const port = server.http!.address.port;
    const held = silentSockets(port, 8);
    try {
      await Promise.all(held.sockets.map((s) => new Promise((r) => s.once('connect', r))));
      const extra = silentSockets(port, 5);
      assert.equal(await allClose(extra.closed), 'closed');
      for (const s of held.sockets) s.destroy();
      await Promise.all(held.closed);
      assert.equal((await fetch(announceUrl(port))).status, 200);
    } finally {
      for (const s of held.sockets) s.destroy();
      await server.close();
      runtime.close();
    }
  });
});

describe('tracker client: redirects (SSRF)', () => {
  const REPLY = new TextEncoder().encode('d8:intervali1800e5:peers0:e');

  /** A fake HTTP client over a table of URL -> answer that follows redirects as the runtime's does (unless maxRedirects is 0), recording every URL asked. */
  function scripted(routes: Record<string, { status: number; location?: string }>): HttpClient & { asked: string[] } {
    const asked: string[] = [];
    return {
      asked,
      async get(r) {
        let url = r.url;
        for (let hop = 0; ; hop++) {
          const base = url.split('?')[0];
          asked.push(base);
          const route = routes[base] ?? { status: 404 };
          if (route.location !== undefined && hop < (r.maxRedirects ?? 5)) {
            url = new URL(route.location, url).href;
            continue;
          }
          const headers = new Map(route.location === undefined ? [] : [['location', route.location]]);
          return { status: route.status, headers, body: route.status === 200 ? REPLY : new Uint8Array() };
        }
      },
    };
  }

  it('refuses a redirect from a public tracker to a loopback, private or link-local address without asking it', async () => {
    for (const target of ['http://192.168.1.1/cgi-bin/reboot', 'http://127.0.0.1:7878/api/torrents', 'http://[::1]/x', 'http://10.0.0.1/', 'http://[fe80::1]/', 'http://localhost:8080/admin', 'file:///etc/passwd']) {
      const http = scripted({ 'http://tracker.example.org/announce': { status: 302, location: target } });
      await assert.rejects(httpAnnounce('http://tracker.example.org/announce', req(1), { clock: new FakeClock(), http }), (e: unknown) => {
        assert.ok(e instanceof TrackerUnreachable, String(e));
        assert.match(e.message, /refused: SSRF|not http/);
        return true;
      }, target);
      assert.deepEqual(http.asked, ['http://tracker.example.org/announce'], `${target} was not asked`);
    }
  });

  it('follows redirects to public hosts and within the LAN, at most MAX_TRACKER_REDIRECTS', async () => {
    const http = scripted({
      'http://tracker.example.org/announce': { status: 301, location: 'https://mirror.example.net/announce' },
      'https://mirror.example.net/announce': { status: 200 },
      'http://192.168.1.5/announce': { status: 302, location: 'http://192.168.1.6/announce' },
      'http://192.168.1.6/announce': { status: 200 },
      'http://loop.example.org/announce': { status: 302, location: '/announce' },
    });
    assert.equal((await httpAnnounce('http://tracker.example.org/announce', req(1), { clock: new FakeClock(), http })).interval, 1800);
    assert.equal((await httpAnnounce('http://192.168.1.5/announce', req(1), { clock: new FakeClock(), http })).interval, 1800);
    http.asked.length = 0;
    await assert.rejects(httpAnnounce('http://loop.example.org/announce', req(1), { clock: new FakeClock(), http }), /more than 5 redirects/);
    assert.equal(http.asked.length, 1 + MAX_TRACKER_REDIRECTS);
  });
});

describe('announcer: dead trackers in a tier', () => {
  /** Advances the fake clock a second at a time, letting promise callbacks run in between. */
  async function advance(clock: FakeClock, ms: number): Promise<void> {
    const settle = () => new Promise((r) => setImmediate(r));
    for (let t = 0; t < ms; t += 1000) {
      await settle();
      clock.advance(1000);
    }
    await settle();
  }

  it('asks the next tracker when one has not answered within staggerMs, so a live tracker behind silent ones is reached', async () => {
    // Before: trackers were asked strictly one after another, each until it gave up (105 s for
    // a dead UDP tracker in a client), so a magnet with many dead trackers found its live one late.
    const clock = new FakeClock();
    const asked: [string, number][] = [];
    const urls = ['udp://dead-1.example:6969/announce', 'udp://dead-2.example:6969/announce', 'udp://dead-3.example:6969/announce', 'http://live.example/announce'];
    const client = {
      announce: (url: string) => {
        asked.push([url, clock.now()]);
        return url.includes('live') ? Promise.resolve({ interval: 1800, peers: [{ host: '10.0.0.9', port: 6881 }] }) : new Promise<never>(() => undefined);
      },
    };
    const got: string[] = [];
    const a = new Announcer({
      client, clock, random: createRandom(4), tiers: [urls], infoHash: new Uint8Array(20), peerId: new Uint8Array(20), port: 6881,
      counters: () => ({ uploaded: 0, downloaded: 0, left: 100 }), onPeers: (p) => got.push(...p.map((x) => x.host)),
    });
    a.start();
    await advance(clock, 3 * DEFAULT_STAGGER_MS);
    assert.deepEqual(got, ['10.0.0.9'], `asked: ${JSON.stringify(asked)}`);
    // Every tracker before the live one was asked DEFAULT_STAGGER_MS after the previous.
    const liveAt = asked.findIndex(([u]) => u.includes('live'));
    assert.deepEqual(asked.slice(0, liveAt + 1).map(([, t]) => t), Array.from({ length: liveAt + 1 }, (_, i) => i * DEFAULT_STAGGER_MS));
    assert.deepEqual(a.tierList.tiers[0][0], 'http://live.example/announce', 'the tracker that answered leads its tier');
  });

  it('a tracker that fails gives way at once, and the first answer wins while the others may still answer', async () => {
    const clock = new FakeClock();
    const asked: string[] = [];
    let slow = '';
    let lateAnswer: ((r: { interval: number; peers: { host: string; port: number }[] }) => void) | undefined;
    const client = {
      announce: (url: string) => {
        asked.push(url);
        if (url === 'http://refused/announce') return Promise.reject(new TrackerUnreachable('refused'));
        if (url === slow) return new Promise<{ interval: number; peers: { host: string; port: number }[] }>((r) => (lateAnswer = r));
        return Promise.resolve({ interval: 1800, peers: [{ host: '10.0.0.1', port: 1 }] });
      },
    };
    const got: string[] = [];
    const a = new Announcer({
      client, clock, random: createRandom(1), tiers: [['http://refused/announce'], ['http://b/announce', 'http://c/announce']],
      infoHash: new Uint8Array(20), peerId: new Uint8Array(20), port: 6881,
      counters: () => ({ uploaded: 0, downloaded: 0, left: 100 }), onPeers: (p) => got.push(...p.map((x) => x.host)),
    });
    const [first, second] = a.tierList.tiers[1]; // the order the tier was shuffled into
    slow = first;
    a.start();
    await advance(clock, 1000);
    assert.deepEqual(asked, ['http://refused/announce', first], 'the refused tier gave way to the next at once');
    await advance(clock, DEFAULT_STAGGER_MS);
    assert.deepEqual(asked.slice(2), [second]);
    assert.deepEqual(got, ['10.0.0.1']);
    lateAnswer?.({ interval: 1800, peers: [{ host: '10.0.0.2', port: 2 }] });
    await advance(clock, 1000);
    assert.deepEqual(got, ['10.0.0.1', '10.0.0.2'], 'a late answer still brings its peers');
    assert.equal(asked.length, 3, 'no re-announce yet');
    assert.equal(a.tierList.tiers[1][0], second, 'the tracker that answered first leads its tier');
  });
});

describe('tracker server: UDP replies to forged sources', () => {
  it('never answers a packet with a larger error reply (no amplification); a malformed announce still gets its error', () => {
    const clock = new FakeClock();
    const endpoint = new FakeUdpEndpoint({ host: '127.0.0.1', port: 6969 }, clock);
    const server = new UdpTrackerServer({ core: new TrackerCore({ clock, random: createRandom(2) }), endpoint, clock, random: createRandom(3) });
    const victim = { host: '10.7.7.7', port: 80 };
    const packet = (length: number, action: number) => {
      const b = new Uint8Array(length);
      const v = new DataView(b.buffer);
      v.setUint32(8, action);
      v.setUint32(12, 0x1234);
      return b;
    };
    // 16 bytes with an unknown action, a short announce, a scrape without hashes, a short
    // scrape with a forged connection id: each used to draw a 30-45 byte error.
    for (const p of [packet(16, 99), packet(16, 1), packet(16, 2), packet(36, 2)]) {
      const before = endpoint.sent.length;
      endpoint.deliver(p, victim);
      for (const d of endpoint.sent.slice(before)) assert.ok(d.data.length <= p.length, `a ${d.data.length}-byte reply to ${p.length} bytes`);
    }
    assert.equal(endpoint.sent.length, 1, "only the forged scrape's 29-byte 'invalid connection id' fits its 36 bytes");
    const before = endpoint.sent.length;
    const announce = packet(98, 1);
    new DataView(announce.buffer).setUint32(80, 9); // no such event
    endpoint.deliver(announce, victim);
    assert.equal(endpoint.sent.length, before + 1, 'the malformed announce is answered');
    assert.match(new TextDecoder().decode(endpoint.sent.at(-1)!.data.subarray(8)), /bad event/);
    assert.equal(server.dropped, 3);
  });
});

describe('tracker client: close ends requests in flight', () => {
  it('UDP: a request waiting for retransmits fails at once and leaves no timer armed', { timeout: 10_000 }, async () => {
    const clock = new FakeClock();
    const sent: Uint8Array[] = [];
    const endpoint = { address: { host: '127.0.0.1', port: 5000 }, send: (d: Uint8Array) => void sent.push(d), onMessage: () => undefined, close: () => undefined };
    const client = new UdpTrackerClient({ endpoint, clock, random: createRandom(3), maxRetries: 8 });
    const pending = client.announce('udp://127.0.0.1:9/announce', req(1));
    await new Promise((r) => setImmediate(r));
    assert.equal(sent.length, 1);
    assert.equal(clock.pending(), 1, 'a retransmit timer is armed');
    client.close();
    await assert.rejects(pending, TrackerUnreachable);
    assert.equal(clock.pending(), 0, 'no retransmit timer outlives close()');
    await assert.rejects(client.announce('udp://127.0.0.1:9/announce', req(1)), TrackerUnreachable);
  });

  it('HTTP: an announce to a tracker that never answers fails once the client is closed', { timeout: 20_000 }, async () => {
    const silent = createServer(() => undefined); // accepts, never replies
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
    const port = (silent.address() as AddressInfo).port;
    const runtime = createNodeRuntime();
    try {
      const client = new TrackerClient({ clock: runtime.clock, random: runtime.random, udp: runtime.udp, http: runtime.http, httpTimeoutMs: 600_000 });
      const pending = client.announce(`http://127.0.0.1:${port}/announce`, req(1));
      setTimeout(() => client.close(), 100);
      await assert.rejects(pending, TrackerUnreachable);
    } finally {
      runtime.close();
      silent.closeAllConnections();
      silent.close();
    }
  });
});
