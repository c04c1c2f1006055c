/**
 * One announcer, or one /24 of them, cannot own the DHT peer store (src/dht/peer-store.ts).
 * Before the per-source caps, one IP announcing 2000 made-up info hashes (it can get a valid
 * token for each: tokens only prove its own address) evicted every real torrent, and one IP
 * with 200 ports took a whole torrent's list.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/runtime/random.js';
import { randomId } from '../../src/dht/node-id.js';
import { PEER_STORE_DEFAULTS, PeerStore } from '../../src/dht/peer-store.js';

const peer = (a: number, b: number, c: number, d: number, port = 6881): Uint8Array => Uint8Array.of(a, b, c, d, port >> 8, port & 255);

describe('DHT peer store floods', () => {
  it(`stores one IP under at most maxInfoHashesPerIp (${PEER_STORE_DEFAULTS.maxInfoHashesPerIp}) info hashes; real torrents stay`, () => {
    const r = new SeededRandom(7);
    const s = new PeerStore();
    const real = Array.from({ length: 1900 }, () => randomId(r));
    real.forEach((ih, i) => assert.ok(s.add(ih, peer(10, (i >> 8) & 255, i & 255, 1), false, 0)));
    let stored = 0;
    for (let i = 0; i < 2000; i++) if (s.add(randomId(r), peer(192, 168, 7, 7), false, 1)) stored++;
    assert.equal(stored, PEER_STORE_DEFAULTS.maxInfoHashesPerIp);
    assert.equal(real.filter((ih) => s.get(ih, 2, r).length === 1).length, 1900, 'every real torrent kept its peer');
  });

  it(`stores at most maxEntriesPerPrefix (${PEER_STORE_DEFAULTS.maxEntriesPerPrefix}) entries from one /24, many IPs or not`, () => {
    const r = new SeededRandom(8);
    const s = new PeerStore();
    const real = Array.from({ length: 1800 }, () => randomId(r));
    real.forEach((ih, i) => s.add(ih, peer(10, (i >> 8) & 255, i & 255, 1), false, 0));
    let stored = 0;
    // 254 addresses of one /24, 20 info hashes each: 5080 announces.
    for (let host = 1; host < 255; host++) for (let k = 0; k < 20; k++) if (s.add(randomId(r), peer(172, 16, 5, host), false, 1)) stored++;
    assert.equal(stored, PEER_STORE_DEFAULTS.maxEntriesPerPrefix);
    assert.equal(real.filter((ih) => s.get(ih, 2, r).length === 1).length, 1800, 'every real torrent kept its peer');
    // Another /24 is not held back by it.
    assert.ok(s.add(randomId(r), peer(172, 16, 6, 1), false, 1));
  });

  it('keeps one entry per IP in a torrent: a new port replaces the old, honest peers stay', () => {
    const r = new SeededRandom(9);
    const s = new PeerStore({ maxValues: 1000 });
    const ih = randomId(r);
    for (let i = 0; i < 100; i++) s.add(ih, peer(10, 0, i, 1), false, 0);
    for (let port = 1; port <= 500; port++) assert.ok(s.add(ih, peer(192, 168, 1, 1, port), false, 1));
    const all = s.get(ih, 2, r);
    assert.equal(all.length, 101, 'the 100 honest peers and one entry for the flooding IP');
    assert.deepEqual([...all.find((p) => p[0] === 192)!], [...peer(192, 168, 1, 1, 500)], 'with its latest port');
  });

  it('gives an IP its quota back when its entries expire', () => {
    const r = new SeededRandom(10);
    const s = new PeerStore({ maxInfoHashesPerIp: 2, peerTtlMs: 1000 });
    assert.ok(s.add(randomId(r), peer(1, 2, 3, 4), false, 0));
    assert.ok(s.add(randomId(r), peer(1, 2, 3, 4), false, 0));
    assert.equal(s.add(randomId(r), peer(1, 2, 3, 4), false, 10), false);
    s.expire(1000);
    assert.ok(s.add(randomId(r), peer(1, 2, 3, 4), false, 1000));
  });

  it('counts an IPv6 /64 as one source', () => {
    const r = new SeededRandom(11);
    const s = new PeerStore({ maxInfoHashesPerIp: 3 });
    const v6 = (last: number): Uint8Array => Uint8Array.of(0xfd, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, last, 0x1a, 0xe1);
    let stored = 0;
    for (let i = 1; i <= 10; i++) if (s.add(randomId(r), v6(i), false, 0)) stored++;
    assert.equal(stored, 3);
  });
});
