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
});
