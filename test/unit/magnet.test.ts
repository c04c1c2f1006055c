import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { InputError } from '../../src/errors.js';
import { MAGNET_DEFAULTS, MagnetError, formatMagnet, magnetTiers, parseMagnet, type Magnet } from '../../src/metainfo/magnet.js';
import { createRandom } from '../../src/runtime/random.js';
import { Announcer, DEFAULT_STAGGER_MS } from '../../src/tracker/announcer.js';
import { FakeClock } from '../helpers/fake-clock.js';

const HEX1 = 'c12fe1c06bba254a9dc9f519b335aa7c1367a88a';
const HEX2 = 'd8dd32ac93357c368556af3ac1d95c9d76bd0dff6fa9833ecdac3d53134efabb';
// RFC 4648 base32 of the same 20 bytes as HEX1.
const B32 = 'YEX6DQDLXISUVHOJ6UM3GNNKPQJWPKEK';
const hex = (b: Uint8Array | undefined): string | undefined => (b ? Buffer.from(b).toString('hex') : undefined);

function rejects(uri: string, pattern: RegExp): void {
  assert.throws(
    () => parseMagnet(uri),
    (e: unknown) => e instanceof MagnetError && e instanceof InputError && pattern.test(e.message),
    uri,
  );
}

describe('parseMagnet', () => {
  it('reads a v1 hex info hash, name, trackers in order, web seeds and peers', () => {
    const m = parseMagnet(
      `magnet:?xt=urn:btih:${HEX1.toUpperCase()}&dn=Big+Buck%20Bunny&tr=udp%3A%2F%2Fb.example%3A80&tr=http://a.example/ann` +
        '&ws=https%3A%2F%2Fseed.example%2Ff&x.pe=10.0.0.1:6881&x.pe=%5B2001:db8::1%5D:51413&x.pe=peer.example:1',
    );
    assert.equal(hex(m.infoHashV1), HEX1);
    assert.equal(m.infoHashV2, undefined);
    assert.equal(m.name, 'Big Buck Bunny');
    assert.deepEqual(m.trackers, ['udp://b.example:80', 'http://a.example/ann']);
    assert.deepEqual(m.webSeeds, ['https://seed.example/f']);
    assert.deepEqual(m.peers, [
      { host: '10.0.0.1', port: 6881 },
      { host: '2001:db8::1', port: 51413 },
      { host: 'peer.example', port: 1 },
    ]);
    assert.equal(m.selectOnly, undefined);
  });
  it('normalises a 32-character base32 info hash (any case) to the same bytes as hex', () => {
    assert.equal(hex(parseMagnet(`magnet:?xt=urn:btih:${B32}`).infoHashV1), HEX1);
    assert.equal(hex(parseMagnet(`magnet:?xt=urn:btih:${B32.toLowerCase()}`).infoHashV1), HEX1);
  });
  it('reads a v2 btmh sha2-256 multihash', () => {
    const m = parseMagnet(`magnet:?xt=urn:btmh:1220${HEX2}`);
    assert.equal(hex(m.infoHashV2), HEX2);
    assert.equal(m.infoHashV1, undefined);
  });
  it('reads both hashes of a hybrid torrent, also as numbered xt.1 / xt.2', () => {
    for (const uri of [`magnet:?xt=urn:btih:${HEX1}&xt=urn:btmh:1220${HEX2}`, `magnet:?xt.1=urn:btmh:1220${HEX2}&xt.2=urn:btih:${HEX1}`]) {
      const m = parseMagnet(uri);
      assert.equal(hex(m.infoHashV1), HEX1);
      assert.equal(hex(m.infoHashV2), HEX2);
    }
  });
  it('accepts a case-insensitive scheme, urn prefix and keys', () => {
    assert.equal(hex(parseMagnet(`MAGNET:?XT=URN:BTIH:${HEX1}`).infoHashV1), HEX1);
  });
  it('ignores other exact topics, unknown parameters, empty values and bare flags', () => {
    const m = parseMagnet(`magnet:?xt=urn:sha1:ABC&xt=urn:btih:${HEX1}&xl=10&kt=a+b&tr=&flag&&dn=`);
    assert.equal(hex(m.infoHashV1), HEX1);
    assert.deepEqual(m.trackers, []);
    assert.equal(m.name, undefined);
  });
  it('keeps the first dn and accepts numbered tr.N in order', () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${HEX1}&dn=first&dn=second&tr.1=a&tr=b&tr.2=c`);
    assert.equal(m.name, 'first');
    assert.deepEqual(m.trackers, ['a', 'b', 'c']);
  });
  it('accepts the same hash repeated', () => {
    assert.equal(hex(parseMagnet(`magnet:?xt=urn:btih:${HEX1}&xt=urn:btih:${B32}`).infoHashV1), HEX1);
  });
  it('expands so ranges to sorted unique indices (BEP 53)', () => {
    assert.deepEqual(parseMagnet(`magnet:?xt=urn:btih:${HEX1}&so=0,2,4-6`).selectOnly, [0, 2, 4, 5, 6]);
    assert.deepEqual(parseMagnet(`magnet:?xt=urn:btih:${HEX1}&so=9,3-4,0,4,3&so=1`).selectOnly, [0, 1, 3, 4, 9]);
    assert.deepEqual(parseMagnet(`magnet:?xt=urn:btih:${HEX1}&so=7-7`).selectOnly, [7]);
  });
  it('decodes UTF-8 names', () => {
    assert.equal(parseMagnet(`magnet:?xt=urn:btih:${HEX1}&dn=%E6%97%A5%E6%9C%AC+%26+more%3D`).name, '日本 & more=');
  });
});

describe('parseMagnet errors', () => {
  it('refuses a non-magnet URI', () => rejects(`http://x/?xt=urn:btih:${HEX1}`, /must start with 'magnet:\?'/));
  it('refuses a magnet without xt', () => rejects('magnet:?dn=x&tr=http://t', /no 'xt' parameter/));
  it('refuses a magnet whose xt are not BitTorrent hashes', () => rejects('magnet:?xt=urn:sha1:ABCDEF', /no BitTorrent info hash/));
  it('refuses a btih hash of the wrong length', () => {
    rejects(`magnet:?xt=urn:btih:${HEX1.slice(1)}`, /40 hex or 32 base32 characters, got 39/);
    rejects('magnet:?xt=urn:btih:', /no 'xt'|got 0/);
  });
  it('refuses non-hex characters in a 40-character hash', () => rejects(`magnet:?xt=urn:btih:${HEX1.slice(0, 39)}g`, /not hexadecimal/));
  it('refuses bad base32', () => {
    rejects(`magnet:?xt=urn:btih:${B32.slice(0, 31)}1`, /not base32.*bad character "1"/);
    rejects(`magnet:?xt=urn:btih:${B32.slice(0, 31)}=`, /not base32/);
  });
  it('refuses a btmh that is not a sha2-256 multihash of 32 bytes', () => {
    rejects(`magnet:?xt=urn:btmh:1320${HEX2}`, /'1220' \(sha2-256 multihash\)/);
    rejects(`magnet:?xt=urn:btmh:1220${HEX2}00`, /1220/);
    rejects(`magnet:?xt=urn:btmh:1220${HEX2.slice(0, 63)}x`, /not hexadecimal/);
  });
  it('refuses two different hashes of the same version', () => {
    rejects(`magnet:?xt=urn:btih:${HEX1}&xt=urn:btih:${'0'.repeat(40)}`, /two different v1 \(btih\) info hashes/);
    rejects(`magnet:?xt=urn:btmh:1220${HEX2}&xt=urn:btmh:1220${'0'.repeat(64)}`, /two different v2/);
  });
  it('refuses bad peer addresses', () => {
    const base = `magnet:?xt=urn:btih:${HEX1}&x.pe=`;
    rejects(`${base}10.0.0.1`, /must be 'host:port'/);
    rejects(`${base}10.0.0.1:0`, /port from 1 to 65535/);
    rejects(`${base}10.0.0.1:65536`, /port from 1 to 65535/);
    rejects(`${base}10.0.0.1:-1`, /port from 1 to 65535/);
    rejects(`${base}10.0.0.1:`, /port from 1 to 65535/);
    rejects(`${base}2001:db8::1:6881`, /IPv6 literals in brackets/);
    rejects(`${base}[2001:db8::1]`, /'\[ipv6\]:port'/);
    rejects(`${base}[not-ipv6]:1`, /bad IPv6 literal/);
    rejects(`${base}bad%20host:1`, /bad host name/);
    rejects(`${base}300.1.1.1:1`, /bad host name/);
    rejects(`${base}:1`, /bad host name/);
  });
  it('refuses malformed so lists', () => {
    const base = `magnet:?xt=urn:btih:${HEX1}&so=`;
    rejects(`${base}1,,2`, /file indices and ranges/);
    rejects(`${base}a`, /file indices and ranges/);
    rejects(`${base}-3`, /file indices and ranges/);
    rejects(`${base}1-2-3`, /file indices and ranges/);
    rejects(`${base}6-4`, /runs backwards: write '4-6'/);
  });
  it('refuses an so that selects more than maxSelectOnly files (default 1 Mi)', () => {
    assert.equal(MAGNET_DEFAULTS.maxSelectOnly, 1024 * 1024);
    rejects(`magnet:?xt=urn:btih:${HEX1}&so=0-999999999999999`, /maxSelectOnly \(1048576\)/);
    const uri = `magnet:?xt=urn:btih:${HEX1}&so=0-9,20-29`;
    assert.equal(parseMagnet(uri, { maxSelectOnly: 20 }).selectOnly?.length, 20);
    assert.throws(() => parseMagnet(uri, { maxSelectOnly: 19 }), /maxSelectOnly \(19\)/);
    assert.throws(() => parseMagnet(`${uri}&so=30`, { maxSelectOnly: 20 }), /maxSelectOnly \(20\)/);
  });
  it('refuses a raw lone surrogate, which is not text', () => rejects(`magnet:?xt=urn:btih:${HEX1}&dn=a\ud800`, /'dn' is not well-formed Unicode/));
  it('refuses bad percent-encoding', () => {
    rejects(`magnet:?xt=urn:btih:${HEX1}&dn=%E6%97`, /'dn' has bad percent-encoding/);
    rejects(`magnet:?xt=urn:btih:${HEX1}&tr=%zz`, /'tr' has bad percent-encoding/);
  });
  it('refuses a URI longer than maxLength (default 64 KiB)', () => {
    assert.equal(MAGNET_DEFAULTS.maxLength, 65536);
    const uri = `magnet:?xt=urn:btih:${HEX1}&dn=${'x'.repeat(65536)}`;
    rejects(uri, /longer than maxLength \(65536\)/);
    const short = `magnet:?xt=urn:btih:${HEX1}`;
    assert.ok(parseMagnet(short, { maxLength: short.length }));
    assert.throws(() => parseMagnet(short, { maxLength: short.length - 1 }), /maxLength \(59\)/);
  });
});

describe('formatMagnet', () => {
  it('writes hashes in lowercase hex, then dn, tr, ws, x.pe and a compressed so', () => {
    const m: Magnet = {
      infoHashV1: Buffer.from(HEX1, 'hex'),
      infoHashV2: Buffer.from(HEX2, 'hex'),
      name: 'a b&c',
      trackers: ['http://t/a?x=1&y=2', ''],
      webSeeds: ['https://w/'],
      peers: [{ host: '::1', port: 7 }, { host: 'h.example', port: 8 }],
      selectOnly: [6, 0, 2, 4, 5, 2],
    };
    assert.equal(
      formatMagnet(m),
      `magnet:?xt=urn:btih:${HEX1}&xt=urn:btmh:1220${HEX2}&dn=a%20b%26c&tr=http%3A%2F%2Ft%2Fa%3Fx%3D1%26y%3D2` +
        '&ws=https%3A%2F%2Fw%2F&x.pe=%5B%3A%3A1%5D%3A7&x.pe=h.example%3A8&so=0,2,4-6',
    );
  });
  it('refuses values it cannot write', () => {
    const base: Magnet = { trackers: [], peers: [], webSeeds: [] };
    assert.throws(() => formatMagnet(base), /needs a v1 or v2 info hash/);
    assert.throws(() => formatMagnet({ ...base, infoHashV1: new Uint8Array(19) }), /must be 20 bytes, got 19/);
    assert.throws(() => formatMagnet({ ...base, infoHashV2: new Uint8Array(20) }), /must be 32 bytes, got 20/);
    const ok = { ...base, infoHashV1: new Uint8Array(20) };
    assert.throws(() => formatMagnet({ ...ok, peers: [{ host: 'h', port: 0 }] }), /port from 1 to 65535/);
    assert.throws(() => formatMagnet({ ...ok, selectOnly: [-1] }), /non-negative integers/);
    assert.throws(() => formatMagnet({ ...ok, name: '\ud800' }), MagnetError);
  });
});

const magnetArb: fc.Arbitrary<Magnet> = fc
  .record(
    {
      infoHashV1: fc.uint8Array({ minLength: 20, maxLength: 20 }),
      infoHashV2: fc.uint8Array({ minLength: 32, maxLength: 32 }),
      name: fc.string({ unit: 'binary', minLength: 1 }),
      trackers: fc.array(fc.oneof(fc.webUrl(), fc.string({ unit: 'binary', minLength: 1 }))),
      webSeeds: fc.array(fc.webUrl()),
      peers: fc.array(fc.record({ host: fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6()), port: fc.integer({ min: 1, max: 65535 }) })),
      selectOnly: fc.uniqueArray(fc.nat({ max: 10_000 }), { minLength: 1 }).map((a) => a.sort((x, y) => x - y)),
    },
    { requiredKeys: ['trackers', 'webSeeds', 'peers'] },
  )
  .filter((m) => m.infoHashV1 !== undefined || m.infoHashV2 !== undefined);

describe('magnet round trip (fast-check)', () => {
  it('parseMagnet(formatMagnet(m)) gives m back', () => {
    fc.assert(
      fc.property(magnetArb, (m) => {
        const back = parseMagnet(formatMagnet(m));
        const norm = (x: Magnet): unknown => ({
          infoHashV1: hex(x.infoHashV1),
          infoHashV2: hex(x.infoHashV2),
          name: x.name,
          trackers: x.trackers,
          webSeeds: x.webSeeds,
          peers: x.peers.map((p) => ({ host: p.host, port: p.port })),
          selectOnly: x.selectOnly,
        });
        assert.deepEqual(norm(back), norm(m));
      }),
      { seed: 42, numRuns: 1000 },
    );
  });
});

describe('magnet trackers: tiers and announce order', () => {
  it('gives each tr its own tier, in the link order, as libtorrent does', () => {
    const m = parseMagnet(`magnet:?xt=urn:btih:${'ab'.repeat(20)}&tr=udp%3A%2F%2Fa%3A1&tr=http%3A%2F%2Fb%2Fannounce&tr=&tr.1=udp%3A%2F%2Fc%3A3`);
    assert.deepEqual(magnetTiers(m), [['udp://a:1'], ['http://b/announce'], ['udp://c:3']]);
  });

  it("asks a magnet's first tracker first, and the next one after staggerMs of silence", async () => {
    // Before: all of a magnet's trackers were one tier, shuffled, so its first tracker was
    // asked first only by chance. Now the link's order holds for every seed.
    const urls = Array.from({ length: 6 }, (_, i) => `udp://t${i}.example:6969/announce`);
    const link = `magnet:?xt=urn:btih:${'ab'.repeat(20)}${urls.map((u) => `&tr=${encodeURIComponent(u)}`).join('')}`;
    for (const seed of [1, 2, 3]) {
      const clock = new FakeClock();
      const asked: [string, number][] = [];
      const client = {
        announce: (url: string) => {
          asked.push([url, clock.now()]);
          return url === urls[2] ? Promise.resolve({ interval: 1800, peers: [{ host: '10.0.0.9', port: 6881 }] }) : new Promise<never>(() => undefined);
        },
      };
      const got: string[] = [];
      const a = new Announcer({
        client, clock, random: createRandom(seed), tiers: magnetTiers(parseMagnet(link)), infoHash: new Uint8Array(20), peerId: new Uint8Array(20), port: 6881,
        counters: () => ({ uploaded: 0, downloaded: 0, left: 100 }), onPeers: (p) => got.push(...p.map((x) => x.host)),
      });
      a.start();
      for (let t = 0; t < 3 * DEFAULT_STAGGER_MS; t += 1000) {
        await new Promise((r) => setImmediate(r));
        clock.advance(1000);
      }
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(asked, urls.slice(0, 3).map((u, i) => [u, i * DEFAULT_STAGGER_MS]), `seed ${seed}`);
      assert.deepEqual(got, ['10.0.0.9']);
    }
  });
});
