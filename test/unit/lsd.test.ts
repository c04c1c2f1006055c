/**
 * Local peer discovery (BEP 14): the announce codec (round trip, tolerance, refusals, a
 * seeded fuzz run), the sans-I/O core on a hand-driven clock (announce at start and every
 * 5 minutes, batching, private torrents, our own cookie, the incoming rate limits), and two
 * services finding each other over real multicast on the loopback interface.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatAnnounce, LSD_HASHES_PER_PACKET, LSD_MAX_PACKET_BYTES, LsdParseError, parseAnnounce } from '../../src/discovery/lsd-codec.js';
import { LocalDiscovery, type LsdOptions } from '../../src/discovery/lsd.js';
import { LsdService } from '../../src/discovery/lsd-service.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { createNodeRuntime } from '../../src/runtime/node/index.js';
import type { Address } from '../../src/runtime/types.js';
import { FakeClock } from '../helpers/fake-clock.js';

const enc = (s: string) => new TextEncoder().encode(s);
const H1 = 'aa'.repeat(20), H2 = 'bb'.repeat(20), H3 = 'cc'.repeat(20);

describe('LSD announce codec', () => {
  it('round-trips an announce with several infohashes and a cookie', () => {
    const bytes = formatAnnounce('239.192.152.143:6771', { port: 6881, infoHashes: [H1, H2.toUpperCase()], cookie: 'c00k1e' });
    assert.match(new TextDecoder().decode(bytes), /^BT-SEARCH \* HTTP\/1\.1\r\nHost: 239\.192\.152\.143:6771\r\nPort: 6881\r\nInfohash: a{40}\r\nInfohash: b{40}\r\ncookie: c00k1e\r\n\r\n\r\n$/);
    assert.deepEqual(parseAnnounce(bytes), { port: 6881, infoHashes: [H1, H2], cookie: 'c00k1e' });
  });

  it('takes headers in any case, bare \\n line ends and unknown headers (as libtorrent and qBittorrent send)', () => {
    const a = parseAnnounce(enc(`BT-SEARCH * HTTP/1.1\nhost: [ff15::efc0:988f]:6771\nX-Whatever: 1\nPORT: 51413\ninfohash: ${H3.toUpperCase()}\n\n`));
    assert.deepEqual(a, { port: 51413, infoHashes: [H3] });
  });

  it('keeps announces under 1400 bytes with as many infohashes as fit', () => {
    const hashes = Array.from({ length: LSD_HASHES_PER_PACKET }, (_, i) => i.toString(16).padStart(40, '0'));
    const bytes = formatAnnounce('[ff15::efc0:988f]:6771', { port: 65535, infoHashes: hashes, cookie: 'x'.repeat(16) });
    assert.ok(bytes.length <= LSD_MAX_PACKET_BYTES, `${bytes.length} bytes`);
    assert.ok(LSD_HASHES_PER_PACKET >= 20);
  });

  it('refuses what is not a usable announce with LsdParseError', () => {
    const bad = [
      'M-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ' + H1 + '\r\n\r\n',
      `BT-SEARCH * HTTP/1.1\r\nInfohash: ${H1}\r\n\r\n`, // no port
      `BT-SEARCH * HTTP/1.1\r\nPort: 0\r\nInfohash: ${H1}\r\n\r\n`,
      `BT-SEARCH * HTTP/1.1\r\nPort: 70000\r\nInfohash: ${H1}\r\n\r\n`,
      `BT-SEARCH * HTTP/1.1\r\nPort: 12ab\r\nInfohash: ${H1}\r\n\r\n`,
      'BT-SEARCH * HTTP/1.1\r\nPort: 6881\r\nInfohash: 1234\r\n\r\n', // no valid infohash
      `BT-SEARCH * HTTP/1.1\r\nno colon here\r\nPort: 1\r\nInfohash: ${H1}\r\n\r\n`,
      '',
    ];
    for (const b of bad) assert.throws(() => parseAnnounce(enc(b)), LsdParseError, JSON.stringify(b));
    const big = enc(`BT-SEARCH * HTTP/1.1\r\nPort: 1\r\nInfohash: ${H1}\r\nX: ${'y'.repeat(3000)}\r\n\r\n`);
    assert.throws(() => parseAnnounce(big), /over 2048/);
  });

  it('takes at most maxInfoHashes infohashes from one announce', () => {
    const many = Array.from({ length: 10 }, (_, i) => `Infohash: ${i.toString(16).padStart(40, '0')}`).join('\r\n');
    const a = parseAnnounce(enc(`BT-SEARCH * HTTP/1.1\r\nPort: 9\r\n${many}\r\n\r\n`), { maxBytes: 2048, maxInfoHashes: 3 });
    assert.equal(a.infoHashes.length, 3);
  });

  it('fuzz: mutated and random datagrams give an announce or LsdParseError, nothing else (seed 14)', () => {
    const rnd = new SeededRandom(14);
    const base = formatAnnounce('239.192.152.143:6771', { port: 6881, infoHashes: [H1, H2], cookie: 'abc' });
    let parsed = 0;
    for (let i = 0; i < 3000; i++) {
      let data: Uint8Array;
      if (i % 3 === 0) data = rnd.bytes(rnd.int(300));
      else {
        data = Uint8Array.from(base);
        for (let k = rnd.int(6) + 1; k > 0; k--) data[rnd.int(data.length)] = rnd.int(256);
        if (i % 3 === 2) data = data.subarray(0, rnd.int(data.length + 1));
      }
      try {
        const a = parseAnnounce(data);
        parsed++;
        assert.ok(a.port >= 1 && a.port <= 65535 && a.infoHashes.length > 0 && a.infoHashes.every((h) => /^[0-9a-f]{40}$/.test(h)));
      } catch (e) {
        assert.ok(e instanceof LsdParseError, String(e));
      }
    }
    assert.ok(parsed > 0);
  });
});

function core(options: LsdOptions = {}) {
  const clock = new FakeClock();
  const sent: { at: number; hashes: readonly string[] }[] = [];
  const peers: { hash: string; address: Address }[] = [];
  const lsd = new LocalDiscovery(clock, new SeededRandom(1), { send: (hashes) => sent.push({ at: clock.now(), hashes }), onPeer: (hash, address) => peers.push({ hash, address }) }, options);
  return { clock, sent, peers, lsd };
}
const from = (host: string): Address => ({ host, port: 6771 });
const announce = (port: number, hashes: string[], cookie?: string) => formatAnnounce('239.192.152.143:6771', { port, infoHashes: hashes, cookie });

describe('LocalDiscovery core', () => {
  it('announces a torrent at once, then every 5 minutes, torrents due together in one announce', () => {
    const { clock, sent, lsd } = core();
    lsd.add(H1, false);
    lsd.add(H2, false);
    clock.advance(0);
    assert.deepEqual(sent, [{ at: 0, hashes: [H1, H2] }]);
    clock.advance(5 * 60_000 - 1);
    assert.equal(sent.length, 1);
    clock.advance(1);
    assert.deepEqual(sent[1], { at: 300_000, hashes: [H1, H2] });
  });

  it('sends no more than one announce per minSendIntervalMs: a torrent added just after waits', () => {
    const { clock, sent, lsd } = core({ minSendIntervalMs: 5_000 });
    lsd.add(H1, false);
    clock.advance(1_000);
    lsd.add(H2, false);
    clock.advance(3_999);
    assert.equal(sent.length, 1);
    clock.advance(1);
    assert.deepEqual(sent[1], { at: 5_000, hashes: [H2] });
  });

  it('never announces a private torrent and ignores announces for it (BEP 27)', () => {
    const { clock, sent, peers, lsd } = core();
    lsd.add(H1, true);
    clock.advance(10 * 60_000);
    assert.deepEqual(sent, []);
    lsd.receive(announce(7000, [H1]), from('10.0.0.9'));
    assert.deepEqual(peers, []);
  });

  it('gives the sender IP with its announced port for torrents we have, and ignores our own cookie', () => {
    const { peers, lsd } = core();
    lsd.add(H1, false);
    lsd.receive(announce(7000, [H2, H1], 'theirs'), from('10.0.0.9'));
    assert.deepEqual(peers, [{ hash: H1, address: { host: '10.0.0.9', port: 7000 } }]);
    lsd.receive(announce(7001, [H1], lsd.cookie), from('10.0.0.1'));
    assert.equal(peers.length, 1);
    assert.equal(lsd.stats.ownDropped, 1);
    lsd.receive(enc('garbage'), from('10.0.0.9'));
    assert.equal(lsd.stats.malformed, 1);
  });

  it('takes at most maxAnnouncesPerSourcePerMinute from one IP, the rest of the minute dropped unread', () => {
    const { clock, peers, lsd } = core({ maxAnnouncesPerSourcePerMinute: 3 });
    lsd.add(H1, false);
    for (let i = 0; i < 5; i++) lsd.receive(announce(7000 + i, [H1]), from('10.0.0.9'));
    assert.equal(peers.length, 3);
    assert.equal(lsd.stats.rateLimited, 2);
    lsd.receive(announce(8000, [H1]), from('10.0.0.10')); // another sender is not held back
    assert.equal(peers.length, 4);
    clock.advance(60_000);
    lsd.receive(announce(7100, [H1]), from('10.0.0.9'));
    assert.equal(peers.length, 5);
  });

  it('takes at most maxAnnouncesPerSecond from everyone, and keeps counts for maxTrackedSources IPs', () => {
    const { clock, peers, lsd } = core({ maxAnnouncesPerSecond: 10, maxTrackedSources: 4, maxAnnouncesPerSourcePerMinute: 1 });
    lsd.add(H1, false);
    for (let i = 0; i < 25; i++) lsd.receive(announce(7000, [H1]), from(`10.0.1.${i}`));
    assert.equal(peers.length, 10);
    assert.equal(lsd.stats.rateLimited, 15);
    clock.advance(1_000);
    // The table holds 4 IPs: an IP pushed out starts a new window (bounded memory over exact counts).
    lsd.receive(announce(7000, [H1]), from('10.0.1.9'));
    assert.equal(peers.length, 10, '10.0.1.9 is still tracked and used its one announce');
    lsd.receive(announce(7000, [H1]), from('10.0.1.0'));
    assert.equal(peers.length, 11, '10.0.1.0 was forgotten (table of 4) and counts afresh');
  });
});

describe('LSD over loopback multicast', { timeout: 20_000 }, () => {
  it('two services on one host find each other and not themselves', async (t) => {
    const rt = createNodeRuntime({ seed: 3, unrefTimers: true });
    const groupPort = 46771; // not 6771: a client on this machine must not hear the test
    const found: { name: string; hash: string; address: Address }[] = [];
    let a: LsdService | undefined, b: LsdService | undefined;
    try {
      a = await LsdService.start({ runtime: rt, listenPort: 5001, interfaceHost: '127.0.0.1', groupPort, minSendIntervalMs: 0, onPeer: (hash, address) => found.push({ name: 'a', hash, address }) });
      b = await LsdService.start({ runtime: rt, listenPort: 5002, interfaceHost: '127.0.0.1', groupPort, minSendIntervalMs: 0, onPeer: (hash, address) => found.push({ name: 'b', hash, address }) });
      if (a.groups === 0 || b.groups === 0) return t.skip('no multicast on loopback here');
      a.core.add(H1, false);
      b.core.add(H1, false);
      for (let i = 0; i < 100 && !(found.some((f) => f.name === 'a') && found.some((f) => f.name === 'b')); i++) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(found.filter((f) => f.name === 'a').map((f) => f.address.port), [5002]);
      assert.deepEqual(found.filter((f) => f.name === 'b').map((f) => f.address.port), [5001]);
      assert.equal(found[0].hash, H1);
      assert.equal(a.core.stats.ownDropped, 1);
    } finally {
      a?.close();
      b?.close();
      rt.close();
    }
  });
});

describe('LSD service announcing the listen port', () => {
  it('reads the port at each announce and sends nothing while there is none (no throw from the timer)', async () => {
    const clock = new FakeClock();
    const sent: string[] = [];
    const endpoint = { send: (d: Uint8Array) => sent.push(new TextDecoder().decode(d)), onMessage: () => undefined, close: () => undefined };
    const runtime = { clock, random: new SeededRandom(5), multicast: { join: async () => endpoint } } as unknown as Parameters<typeof LsdService.start>[0]['runtime'];
    let port = 0; // no listener (yet)
    const lsd = await LsdService.start({ runtime, listenPort: () => port, interfaceHost: '127.0.0.1', minSendIntervalMs: 0, onPeer: () => undefined });
    assert.equal(lsd.groups, 1);
    lsd.core.add(H1, false);
    clock.advance(1000); // formatAnnounce refused port 0 by throwing here, inside a timer: the process ended
    assert.deepEqual(sent, []);
    port = 7001;
    clock.advance(5 * 60_000);
    assert.equal(sent.length, 1);
    assert.match(sent[0], /\r\nPort: 7001\r\n/);
    lsd.close();
  });
});
