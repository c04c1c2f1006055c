import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Traversal, type QueryCallbacks } from '../../src/dht/traversal.js';
import { compareDistance, randomId, type NodeId } from '../../src/dht/node-id.js';
import type { Contact } from '../../src/dht/compact.js';
import { SeededRandom } from '../../src/runtime/random.js';

/** A fake network: every node knows a random subset of the others plus its 8 true closest. */
function world(n: number, seed: number) {
  const r = new SeededRandom(seed);
  const contacts: Contact[] = Array.from({ length: n }, (_, i) => ({ id: randomId(r), address: { host: `10.0.${i >> 8}.${i & 255}`, port: 1 } }));
  const byId = new Map(contacts.map((c) => [c.id, c]));
  const closestTo = (t: NodeId, k: number, pool: Contact[]) => [...pool].sort((a, b) => compareDistance(a.id, b.id, t)).slice(0, k);
  const know = new Map<NodeId, Contact[]>();
  for (const c of contacts) {
    const some = Array.from({ length: 30 }, () => contacts[r.int(n)]);
    know.set(c.id, [...new Set([...some, ...closestTo(c.id, 9, contacts)])].filter((x) => x.id !== c.id));
  }
  return { r, contacts, byId, know, closestTo };
}

describe('Traversal', () => {
  it('finds the true k closest nodes through a fake network', () => {
    const w = world(500, 1);
    for (let i = 0; i < 50; i++) {
      const target = randomId(w.r);
      let result: NodeId[] = [];
      const queue: (() => void)[] = [];
      const t = new Traversal<null>({
        target, seeds: w.contacts.slice(0, 3), k: 8, alpha: 3,
        query: (c, cb) => queue.push(() => cb.reply(null, w.closestTo(target, 8, w.know.get(c.id) ?? []))),
        onDone: (r) => {
          result = r.closest.map((x) => x.contact.id);
        },
      });
      t.start();
      while (queue.length > 0) (queue.shift() as () => void)();
      assert.ok(t.done);
      assert.deepEqual(result, w.closestTo(target, 8, w.contacts).map((c) => c.id));
    }
  });

  it('keeps at most alpha queries in flight, and a slow one frees its slot', () => {
    const w = world(200, 2);
    const target = randomId(w.r);
    const pending: { c: Contact; cb: QueryCallbacks<null> }[] = [];
    let maxInFlight = 0;
    const t = new Traversal<null>({
      target, seeds: w.contacts.slice(0, 20), k: 8, alpha: 2,
      query: (c, cb) => {
        pending.push({ c, cb });
        maxInFlight = Math.max(maxInFlight, pending.length);
      },
      onDone: () => {},
    });
    t.start();
    assert.equal(pending.length, 2);
    pending[0].cb.slow();
    assert.equal(pending.length, 3, 'a slow query stops counting against alpha');
    assert.ok(maxInFlight <= 3);
  });

  it('skips failed nodes and still ends with the closest that answered', () => {
    const w = world(300, 3);
    const target = randomId(w.r);
    const dead = new Set(w.closestTo(target, 3, w.contacts).map((c) => c.id));
    let result: NodeId[] = [];
    let failed = 0;
    const queue: (() => void)[] = [];
    new Traversal<null>({
      target, seeds: w.contacts.slice(0, 5), k: 8,
      query: (c, cb) => queue.push(() => (dead.has(c.id) ? cb.fail() : cb.reply(null, w.closestTo(target, 8, w.know.get(c.id) ?? [])))),
      onDone: (r) => {
        result = r.closest.map((x) => x.contact.id);
        failed = r.failed;
      },
    }).start();
    while (queue.length > 0) (queue.shift() as () => void)();
    const alive = w.contacts.filter((c) => !dead.has(c.id));
    assert.deepEqual(result, w.closestTo(target, 8, alive).map((c) => c.id));
    assert.equal(failed, 3);
  });

  it('ends at once with no seeds, and cancel stops it', () => {
    let ended = 0;
    new Traversal<null>({ target: randomId(new SeededRandom(1)), seeds: [], query: () => {}, onDone: () => ended++ }).start();
    assert.equal(ended, 1);
    let cancelled = false;
    const w = world(50, 4);
    const t = new Traversal<null>({ target: w.contacts[0].id, seeds: w.contacts.slice(0, 5), query: () => {}, onDone: (r) => (cancelled = r.cancelled) });
    t.start();
    t.cancel();
    assert.equal(cancelled, true);
  });

  it('survives queries that fail synchronously', () => {
    const w = world(50, 5);
    let done = false;
    new Traversal<null>({ target: w.contacts[0].id, seeds: w.contacts.slice(0, 20), query: (_c, cb) => cb.fail(), onDone: (r) => {
      done = true;
      assert.equal(r.closest.length, 0);
    } }).start();
    assert.ok(done);
  });
  it('asks past a slow node among the closest at once, instead of after its hard timeout', () => {
    const w = world(300, 6);
    const target = randomId(w.r);
    const dead = new Set(w.closestTo(target, 2, w.contacts).map((c) => c.id));
    const asked = new Set<NodeId>();
    const slowOnes: QueryCallbacks<null>[] = [];
    const queue: (() => void)[] = [];
    const t = new Traversal<null>({
      target, seeds: w.contacts.slice(0, 5), k: 8, alpha: 3,
      query: (c, cb) => {
        asked.add(c.id);
        if (dead.has(c.id)) queue.push(() => { slowOnes.push(cb); cb.slow(); });
        else queue.push(() => cb.reply(null, w.closestTo(target, 8, w.know.get(c.id) ?? [])));
      },
      onDone: () => {},
    });
    t.start();
    while (queue.length > 0) (queue.shift() as () => void)();
    // Both dead nodes went slow and neither failed yet, but the 8 closest live nodes were all asked.
    assert.equal(slowOnes.length, 2);
    const alive = w.contacts.filter((c) => !dead.has(c.id));
    for (const c of w.closestTo(target, 8, alive)) assert.ok(asked.has(c.id), 'a live node among the closest was asked while the slow ones were pending');
    assert.equal(t.done, false, 'slow nodes among the k closest are still waited for');
  });

  it('reports a stall when only slow queries are left, and endIfStalled ends it with what answered', () => {
    const w = world(300, 7);
    const target = randomId(w.r);
    const dead = new Set(w.closestTo(target, 1, w.contacts).map((c) => c.id));
    const queue: (() => void)[] = [];
    let stalls = 0;
    let result: NodeId[] | undefined;
    const t = new Traversal<null>({
      target, seeds: w.contacts.slice(0, 5), k: 8, alpha: 3,
      query: (c, cb) => queue.push(() => (dead.has(c.id) ? cb.slow() : cb.reply(null, w.closestTo(target, 8, w.know.get(c.id) ?? [])))),
      onStalled: () => stalls++,
      onDone: (r) => {
        result = r.closest.map((x) => x.contact.id);
      },
    });
    t.start();
    while (queue.length > 0) (queue.shift() as () => void)();
    assert.ok(stalls >= 1);
    assert.equal(result, undefined);
    t.endIfStalled();
    const alive = w.contacts.filter((c) => !dead.has(c.id));
    assert.deepEqual(result, w.closestTo(target, 8, alive).map((c) => c.id));
  });

  it('uses a slow node\'s late answer that comes before the grace ends', () => {
    const w = world(300, 8);
    const target = randomId(w.r);
    const [late] = w.closestTo(target, 1, w.contacts);
    const queue: (() => void)[] = [];
    let lateCb: QueryCallbacks<null> | undefined;
    let result: NodeId[] | undefined;
    const t = new Traversal<null>({
      target, seeds: w.contacts.slice(0, 5), k: 8, alpha: 3,
      query: (c, cb) => queue.push(() => {
        if (c.id === late.id) {
          lateCb = cb;
          cb.slow();
        } else cb.reply(null, w.closestTo(target, 8, w.know.get(c.id) ?? []));
      }),
      onDone: (r) => {
        result = r.closest.map((x) => x.contact.id);
      },
    });
    t.start();
    while (queue.length > 0) (queue.shift() as () => void)();
    assert.equal(result, undefined);
    assert.ok(lateCb !== undefined);
    lateCb.reply(null, []);
    assert.deepEqual(result, w.closestTo(target, 8, w.contacts).map((c) => c.id));
    t.endIfStalled();
  });
});
