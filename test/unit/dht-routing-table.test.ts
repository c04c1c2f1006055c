import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { RoutingTable } from '../../src/dht/routing-table.js';
import { commonPrefixLength, compareDistance, randomId, randomIdInBucket, type NodeId } from '../../src/dht/node-id.js';
import { SeededRandom } from '../../src/runtime/random.js';
import { decodeNodes } from '../../src/dht/compact.js';

const addr = (i: number) => ({ host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 6881 });

function fill(t: RoutingTable, ids: NodeId[]): void {
  ids.forEach((id, i) => t.responded(id, addr(i + 1), 0));
}

describe('RoutingTable', () => {
  it('splits only the bucket holding our own id, keeping k per bucket', () => {
    const r = new SeededRandom(1);
    const self = randomId(r);
    const t = new RoutingTable(self, 0, { k: 8, extendedBuckets: false });
    const ids = Array.from({ length: 2000 }, () => randomId(r));
    fill(t, ids);
    assert.ok(t.bucketCount > 5);
    const info = t.bucketInfo();
    for (const b of info) assert.ok(b.size <= 8);
    // Far buckets are full (plenty of ids fall there); each node sits in the bucket of its prefix.
    assert.equal(info[0].size, 8);
    for (const n of t.nodes()) assert.equal(t.bucketIndex(n.id), Math.min(commonPrefixLength(self, n.id), t.bucketCount - 1));
  });

  it('gives extended far buckets 16k, 8k, 4k and 2k slots', () => {
    const t = new RoutingTable(randomId(new SeededRandom(2)), 0, { k: 8 });
    assert.deepEqual([0, 1, 2, 3, 4, 9].map((i) => t.capacity(i)), [128, 64, 32, 16, 8, 8]);
  });

  it('returns the true closest nodes it holds, closest first', () => {
    const r = new SeededRandom(3);
    const self = randomId(r);
    const t = new RoutingTable(self, 0, { k: 8 });
    fill(t, Array.from({ length: 3000 }, () => randomId(r)));
    const all = [...t.nodes()];
    for (let i = 0; i < 200; i++) {
      const target = i % 2 === 0 ? randomId(r) : randomIdInBucket(self, i % 12, r);
      const want = [...all].sort((a, b) => compareDistance(a.id, b.id, target)).slice(0, 8).map((n) => n.id);
      assert.deepEqual(t.closest(target, 8).map((n) => n.id), want);
    }
  });

  it('keeps newcomers to a full bucket in its replacement cache and promotes them when a node goes bad', () => {
    const r = new SeededRandom(4);
    const self = randomId(r);
    const t = new RoutingTable(self, 0, { k: 2, extendedBuckets: false, maxFailures: 2 });
    const far = Array.from({ length: 3 }, () => randomIdInBucket(self, 0, r));
    assert.equal(t.responded(far[0], addr(1), 0), 'added');
    assert.equal(t.responded(far[1], addr(2), 0), 'added');
    t.responded(randomIdInBucket(self, 5, r), addr(9), 0); // forces the split; bucket 0 is no longer the last
    assert.equal(t.responded(far[2], addr(3), 0), 'cached');
    assert.equal(t.get(far[2]), undefined);
    assert.equal(t.failed(far[0], addr(1)), false);
    assert.equal(t.failed(far[0], addr(1)), true);
    assert.ok(t.get(far[2]));
    assert.equal(t.get(far[0]), undefined);
  });

  it('replaces a node that has failed when a newcomer arrives at a full bucket', () => {
    const r = new SeededRandom(5);
    const self = randomId(r);
    const t = new RoutingTable(self, 0, { k: 2, extendedBuckets: false, maxFailures: 3 });
    const far = Array.from({ length: 3 }, () => randomIdInBucket(self, 0, r));
    t.responded(far[0], addr(1), 0);
    t.responded(far[1], addr(2), 0);
    t.responded(randomIdInBucket(self, 5, r), addr(9), 0);
    t.failed(far[1], addr(2));
    assert.equal(t.responded(far[2], addr(3), 0), 'replaced');
    assert.equal(t.get(far[1]), undefined);
  });

  it('does not trust an id that moves to another address, nor an address that changes its id', () => {
    const r = new SeededRandom(6);
    const t = new RoutingTable(randomId(r), 0);
    const a = randomId(r);
    t.responded(a, addr(1), 0);
    assert.equal(t.responded(a, addr(2), 0), 'rejected');
    assert.equal(t.responded(randomId(r), addr(1), 0), 'rejected');
    assert.deepEqual(t.get(a)?.address, addr(1));
    assert.equal(t.size, 1);
  });

  it('never adds itself and applies an accept policy', () => {
    const r = new SeededRandom(7);
    const self = randomId(r);
    const t = new RoutingTable(self, 0, { accept: (id) => id.charCodeAt(0) % 2 === 0 });
    assert.equal(t.responded(self, addr(1), 0), 'rejected');
    let added = 0;
    for (let i = 0; i < 100; i++) if (t.responded(randomId(r), addr(i + 2), 0) === 'added') added++;
    for (const n of t.nodes()) assert.equal(n.id.charCodeAt(0) % 2, 0);
    assert.equal(t.size, added);
  });

  it('reports questionable nodes after 15 minutes of silence', () => {
    const r = new SeededRandom(8);
    const self = randomId(r);
    const t = new RoutingTable(self, 0);
    const id = randomIdInBucket(self, 0, r);
    t.responded(id, addr(1), 0);
    assert.equal(t.stalest(0, 60_000), undefined);
    assert.equal(t.stalest(0, 16 * 60_000)?.id, id);
    t.queried(id, addr(1), 16 * 60_000);
    assert.equal(t.stalest(0, 17 * 60_000), undefined);
  });
  it('offers its nearest unverified nodes for verification first', () => {
    const r = new SeededRandom(41);
    const self = randomId(r);
    const t = new RoutingTable(self, 0, { k: 8 });
    const far = randomIdInBucket(self, 0, r);
    t.heardAbout({ id: far, address: addr(1) }, 0);
    for (let i = 0; i < 12; i++) t.responded(randomIdInBucket(self, 3 + (i % 4), r), addr(10 + i), 0);
    const near = randomIdInBucket(self, 12, r);
    t.heardAbout({ id: near, address: addr(99) }, 0);
    assert.ok(t.get(far) !== undefined && t.get(near) !== undefined, 'both unverified contacts were kept');
    assert.ok(t.bucketIndex(near) > t.bucketIndex(far));
    assert.deepEqual(t.unverified(1).map((n) => n.id), [near]);
  });
});

describe('RoutingTable (packed entries)', () => {
  it('hands out snapshots: changing a returned node changes nothing in the table', () => {
    const r = new SeededRandom(50);
    const self = randomId(r);
    const t = new RoutingTable(self, 0);
    const id = randomIdInBucket(self, 0, r);
    t.responded(id, addr(1), 1000, 40);
    const n = t.get(id);
    assert.ok(n);
    n.failures = 5;
    n.lastResponse = -1;
    n.rtt = 999;
    const again = t.get(id);
    assert.deepEqual([again?.failures, again?.lastResponse, again?.rtt, again?.verified], [0, 1000, 40, true]);
    assert.equal(t.verifiedNear(id), 1);
  });

  it('keeps IPv4 and IPv6 entries, their states and their buckets right through splits, failures and refills', () => {
    const r = new SeededRandom(51);
    const self = randomId(r);
    const t = new RoutingTable(self, 0, { k: 4, maxFailures: 2 });
    const v6 = (i: number) => ({ host: `fd00::${i.toString(16)}`, port: 7000 + (i % 1000) });
    const live = new Map<NodeId, { host: string; port: number }>();
    for (let i = 1; i <= 600; i++) {
      const id = i % 3 === 0 ? randomIdInBucket(self, i % 14, r) : randomId(r);
      const a = i % 2 === 0 ? v6(i) : addr(i);
      if (i % 5 === 0) t.heardAbout({ id, address: a }, i);
      else t.responded(id, a, i, i % 50);
      live.set(id, a);
      if (i % 7 === 0) {
        // Fail a random held node twice: it goes, a replacement may take its place.
        const held = [...t.nodes()];
        const victim = held[r.int(held.length)];
        t.failed(victim.id, victim.address);
        t.failed(victim.id, victim.address);
        assert.equal(t.get(victim.id), undefined);
      }
    }
    const nodes = [...t.nodes()];
    assert.equal(nodes.length, t.size);
    assert.equal(new Set(nodes.map((n) => n.id)).size, nodes.length, 'no id twice');
    assert.equal(new Set(nodes.map((n) => `${n.address.host}|${n.address.port}`)).size, nodes.length, 'no address twice');
    assert.ok(nodes.some((n) => n.family === 6) && nodes.some((n) => n.family === 4));
    for (const n of nodes) {
      assert.deepEqual(n.address, live.get(n.id), 'each id kept its own address');
      assert.equal(t.bucketIndex(n.id), Math.min(commonPrefixLength(self, n.id), t.bucketCount - 1));
      assert.deepEqual(t.atAddress(n.address)?.id, n.id);
    }
    for (const b of t.bucketInfo()) {
      const inBucket = nodes.filter((n) => t.bucketIndex(n.id) === b.index);
      assert.equal(inBucket.length, b.size);
      assert.ok(b.size <= b.capacity);
      assert.equal(t.verifiedNear(inBucket[0]?.id ?? self), inBucket.filter((n) => n.verified).length);
    }
    for (let i = 0; i < 50; i++) {
      const target = randomId(r);
      const live8 = nodes.filter((n) => n.verified && n.failures === 0).sort((a, b) => compareDistance(a.id, b.id, target)).slice(0, 8);
      assert.deepEqual(t.closest(target, 8, true).map((n) => n.id), live8.map((n) => n.id));
    }
  });

  it('removes a node after at most 32767 timeouts in a row, whatever maxFailures says (the packed count saturates there)', () => {
    const r = new SeededRandom(52);
    const self = randomId(r);
    const t = new RoutingTable(self, 0, { maxFailures: 1_000_000 });
    const id = randomId(r);
    t.responded(id, addr(1), 0);
    let removedAt = 0;
    for (let i = 1; i <= 40_000 && removedAt === 0; i++) if (t.failed(id, addr(1))) removedAt = i;
    assert.equal(removedAt, 32_767);
  });
  it('keeps exact times through weeks of uptime (32-bit times whose epoch moves on)', () => {
    const r = new SeededRandom(53);
    const self = randomId(r);
    const start = 5_000;
    const t = new RoutingTable(self, start, { k: 8 });
    const [a, b, c, d] = [randomId(r), randomId(r), randomId(r), randomId(r)];
    t.responded(a, addr(1), 1_000); // before the table existed (as after an id change)
    t.heardAbout({ id: b, address: addr(2) }, 2_000);
    const late = 2 ** 31 + 10_000; // 24.9 days: past what 32 bits hold from the first epoch
    t.responded(c, addr(3), late);
    assert.equal(t.get(a)?.lastResponse, 1_000);
    assert.equal(t.get(b)?.verified, false);
    assert.equal(t.get(b)?.lastResponse, -1);
    assert.equal(t.get(c)?.lastResponse, late);
    assert.equal(t.queried(c, addr(3), late + 1), true);
    assert.equal(t.get(c)?.lastQuery, late + 1);
    const later = 4e9 + 7; // 46 days: the first response is now older than any time held
    t.responded(d, addr(4), later);
    assert.equal(t.get(d)?.lastResponse, later);
    assert.equal(t.get(c)?.lastResponse, late);
    assert.equal(t.get(c)?.lastQuery, late + 1);
    const old = t.get(a);
    assert.equal(old?.verified, true, 'an old response still counts as a response');
    assert.ok(old !== undefined && old.lastResponse > 0 && old.lastResponse < later - 24 * 86_400_000);
    assert.equal(t.get(b)?.lastResponse, -1);
  });

  it('writes its closest live nodes as compact node info, the same nodes in the same order as closest()', () => {
    const r = new SeededRandom(9);
    for (const family of [4, 6] as const) {
      const t = new RoutingTable(randomId(r), 0, { k: 8 });
      const at = (i: number) => (family === 4 ? addr(i) : { host: `fd00::${i.toString(16)}`, port: 6881 });
      Array.from({ length: 300 }, () => randomId(r)).forEach((id, i) => t.responded(id, at(i + 1), 0));
      const target = randomId(r);
      const contacts = t.closest(target, 16, true);
      const compact = t.closestCompact(target, 16, true, family);
      assert.equal(compact.length, contacts.length * (family === 4 ? 26 : 38));
      assert.deepEqual(
        decodeNodes(compact, family).map((c) => ({ id: c.id, address: c.address })),
        contacts.map((c) => ({ id: c.id, address: c.address })),
      );
      // Asked for the other family, a table of one family writes nothing.
      assert.equal(t.closestCompact(target, 16, true, family === 4 ? 6 : 4).length, 0);
    }
  });
  it('keeps each table its own entries while tables grow and split in turn (shared split scratch, reused buffers)', () => {
    // Tables of a big simulation share scratch space when they split and take the buffers
    // other tables grew out of: interleaved, each must end exactly as it would alone.
    const r = new SeededRandom(10);
    const selves = [randomId(r), randomId(r), randomId(r)];
    const ids = selves.map(() => Array.from({ length: 1500 }, () => randomId(r)));
    const alone = selves.map((self, j) => {
      const t = new RoutingTable(self, 0, { k: 8 });
      ids[j].forEach((id, i) => t.responded(id, addr(i + 1), 0));
      return t;
    });
    const together = selves.map((self) => new RoutingTable(self, 0, { k: 8 }));
    for (let i = 0; i < 1500; i++) together.forEach((t, j) => t.responded(ids[j][i], addr(i + 1), 0));
    const target = randomId(r);
    together.forEach((t, j) => {
      const view = (x: RoutingTable) => [...x.nodes()].map((n) => `${n.id}@${n.address.host}`).sort();
      assert.deepEqual(view(t), view(alone[j]));
      assert.deepEqual(t.bucketInfo(), alone[j].bucketInfo());
      assert.deepEqual(t.closest(target, 8).map((n) => n.id), alone[j].closest(target, 8).map((n) => n.id));
    });
    // Compact node info is written into scratch space per family: one table's bytes stay
    // whole while another's of the same family are made, once copied out.
    const first = Uint8Array.from(together[0].closestCompact(target, 8, true, 4));
    together[1].closestCompact(target, 8, true, 4);
    assert.deepEqual(decodeNodes(first, 4).map((c) => c.id), together[0].closest(target, 8, true).map((c) => c.id));
  });
});
