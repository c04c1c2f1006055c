/**
 * A full DHT peer store makes room by fair share (src/dht/peer-store.ts): each /24 (IPv6 /48)
 * has one unit of support spread over its entries. Before, a full store dropped the torrent
 * with the fewest peers and a full list its oldest entry, so ten /24s within their per-prefix
 * caps (200 entries each) announcing made-up info hashes evicted real torrents, and fifty /24s
 * announcing each fake hash from five of them evicted real torrents of three peers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from '../../src/runtime/random.js';
import { randomId, type NodeId } from '../../src/dht/node-id.js';
import { PEER_STORE_DEFAULTS, PeerStore } from '../../src/dht/peer-store.js';

const peer = (a: number, b: number, c: number, d: number, port = 6881): Uint8Array => Uint8Array.of(a, b, c, d, port >> 8, port & 255);
/** Honest address number `i`: its own /24 in 10/8, host .1. */
const honest = (i: number): Uint8Array => peer(10, (i >> 8) & 255, i & 255, 1);
/** Attacker /24 number `p` (172.16/12 and on), host `h`. */
const attacker = (p: number, h: number): Uint8Array => peer(172, 16 + (p >> 8), p & 255, h);

const { maxInfoHashes } = PEER_STORE_DEFAULTS;

/** A store holding `threePeer` torrents of three honest /24s each and `onePeer` torrents of one. */
function honestStore(r: SeededRandom, threePeer: number, onePeer: number): { s: PeerStore; three: NodeId[]; one: NodeId[] } {
  const s = new PeerStore({ maxValues: 1000 });
  let next = 0;
  const three = Array.from({ length: threePeer }, () => randomId(r));
  for (const ih of three) for (let k = 0; k < 3; k++) assert.ok(s.add(ih, honest(next++), false, 0));
  const one = Array.from({ length: onePeer }, () => randomId(r));
  for (const ih of one) assert.ok(s.add(ih, honest(next++), false, 0));
  return { s, three, one };
}

const kept = (s: PeerStore, r: SeededRandom, list: NodeId[], peers: number): number => list.filter((ih) => s.get(ih, 1, r).length === peers).length;

describe('DHT peer store fair share', () => {
  it(`10 attacker /24s announcing ${maxInfoHashes * 2} made-up info hashes evict no real torrent`, () => {
    const r = new SeededRandom(21);
    const { s, three, one } = honestStore(r, 300, 700);
    // Each /24: 254 hosts announcing two made-up info hashes each, 5080 announces a /24.
    for (let p = 0; p < 10; p++) for (let h = 1; h <= 254; h++) for (let k = 0; k < 2; k++) s.add(randomId(r), attacker(p, h), false, 1);
    assert.equal(s.infoHashCount, maxInfoHashes, 'the flood took the 1000 free places');
    assert.equal(kept(s, r, three, 3), 300, 'every three-peer real torrent kept all its peers');
    assert.equal(kept(s, r, one, 1), 700, 'every one-peer real torrent kept its peer');
    // A new real torrent still gets in: an attacker's torrent (support 1/100) makes room.
    const fresh = randomId(r);
    assert.ok(s.add(fresh, honest(5000), false, 2));
    assert.equal(s.get(fresh, 2, r).length, 1);
    assert.equal(s.infoHashCount, maxInfoHashes);
  });

  it('50 attacker /24s announcing each made-up info hash from five of them evict no real torrent of three /24s', () => {
    const r = new SeededRandom(22);
    const { s, three, one } = honestStore(r, 300, 200);
    // 50 /24s x 200 entries: 2000 fake torrents of five prefixes each, enough to fill the store
    // with torrents of more peers than the real ones.
    for (let t = 0; t < 2000; t++) {
      const ih = randomId(r);
      for (let k = 0; k < 5; k++) {
        const p = (t * 5 + k) % 50;
        s.add(ih, attacker(p, 1 + (Math.floor((t * 5 + k) / 50) % 254)), false, 1);
      }
    }
    assert.equal(kept(s, r, three, 3), 300, 'every three-peer real torrent kept all its peers');
    assert.equal(kept(s, r, one, 1), 200, 'every one-peer real torrent kept its peer');
    assert.equal(s.infoHashCount, maxInfoHashes);
  });

  it('refuses a newcomer whose /24 is as heavy as the lightest torrent (no churn among equals)', () => {
    const r = new SeededRandom(23);
    const s = new PeerStore({ maxInfoHashes: 4 });
    for (let i = 0; i < 4; i++) assert.ok(s.add(randomId(r), honest(i), false, 0));
    assert.equal(s.add(randomId(r), honest(99), false, 0), false, 'a full store of equals keeps what it has (libtorrent drops the announce)');
    // A /24 with two entries makes each of its torrents weigh 1/2: a one-entry newcomer wins.
    const s2 = new PeerStore({ maxInfoHashes: 3 });
    const heavy = [randomId(r), randomId(r)];
    s2.add(heavy[0], attacker(0, 1), false, 0);
    s2.add(heavy[1], attacker(0, 2), false, 0);
    const light = randomId(r);
    s2.add(light, honest(1), false, 0);
    assert.ok(s2.add(randomId(r), honest(2), false, 0));
    assert.equal(s2.get(light, 1, r).length, 1, 'the light torrent stays');
    assert.equal(heavy.filter((ih) => s2.get(ih, 1, r).length === 1).length, 1, 'one of the heavy /24s torrents made room');
  });

  it(`10 attacker /24s flooding a real torrent's full list (${PEER_STORE_DEFAULTS.maxPeersPerInfoHash} peers) get one place per /24`, () => {
    const r = new SeededRandom(24);
    const s = new PeerStore({ maxValues: 1000 });
    const ih = randomId(r);
    const max = PEER_STORE_DEFAULTS.maxPeersPerInfoHash;
    for (let i = 0; i < max; i++) assert.ok(s.add(ih, honest(i), false, i));
    let stored = 0;
    for (let p = 0; p < 10; p++) for (let h = 1; h <= 254; h++) if (s.add(ih, attacker(p, h), false, 1000)) stored++;
    assert.equal(stored, 10, 'each /24 took the place of one honest peer, then was refused');
    const all = s.get(ih, 1001, r);
    assert.equal(all.length, max);
    assert.equal(all.filter((c) => c[0] === 10).length, max - 10, 'the other honest peers kept their places');
    // The oldest honest peers were the ones that went.
    assert.equal(all.some((c) => c[0] === 10 && c[1] === 0 && c[2] < 10), false);
  });

  it('a full torrent list makes room with an expired entry first', () => {
    const r = new SeededRandom(25);
    const s = new PeerStore({ maxPeersPerInfoHash: 2, peerTtlMs: 100 });
    const ih = randomId(r);
    s.add(ih, attacker(0, 1), false, 0);
    s.add(ih, attacker(0, 2), false, 50);
    // The /24 is the largest, but its first entry has expired by now.
    assert.ok(s.add(ih, attacker(0, 3), false, 120));
    assert.equal(s.get(ih, 121, r).length, 2);
  });

  it('a store full of torrents from distinct /24s refuses a flood from a new /24', () => {
    const r = new SeededRandom(26);
    const { s, one } = honestStore(r, 0, maxInfoHashes);
    let stored = 0;
    for (let h = 1; h <= 254; h++) for (let k = 0; k < 3; k++) if (s.add(randomId(r), attacker(0, h), false, 1)) stored++;
    assert.equal(stored, 0, 'its first announce weighs no more than any stored torrent; later ones less');
    assert.equal(kept(s, r, one, 1), maxInfoHashes);
    assert.equal(s.fullScans, 1, 'refused announces change nothing: the store was walked once, not 762 times');
  });
});
