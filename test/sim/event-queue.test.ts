import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EventQueue } from '../../src/sim/event-queue.js';
import { SeededRandom } from '../../src/runtime/random.js';

function record(log: string[], label: string): void {
  log.push(label);
}

describe('EventQueue', () => {
  it('dispatches in time order and advances now to each event', () => {
    const q = new EventQueue(16);
    const log: string[] = [];
    const times: number[] = [];
    for (const t of [30, 10, 20, 0, 25]) q.push(t, (l: string[], t2: number) => { l.push(`t${t2}`); times.push(q.now); }, log, t, undefined);
    while (q.size > 0) q.dispatchNext();
    assert.deepEqual(log, ['t0', 't10', 't20', 't25', 't30']);
    assert.deepEqual(times, [0, 10, 20, 25, 30]);
  });

  it('breaks ties by insertion order', () => {
    const q = new EventQueue(16);
    const log: string[] = [];
    for (let i = 0; i < 50; i++) q.push(i % 2 === 0 ? 5 : 7, record, log, `e${i}`, undefined);
    while (q.size > 0) q.dispatchNext();
    const even = Array.from({ length: 25 }, (_, i) => `e${2 * i}`);
    const odd = Array.from({ length: 25 }, (_, i) => `e${2 * i + 1}`);
    assert.deepEqual(log, [...even, ...odd]);
  });

  it('runs an event scheduled at the current time after the ones already due then', () => {
    const q = new EventQueue(16);
    const log: string[] = [];
    q.push(1, () => { log.push('first'); q.push(q.now, record, log, 'scheduled-now', undefined); }, undefined, undefined, undefined);
    q.push(1, record, log, 'second', undefined);
    while (q.size > 0) q.dispatchNext();
    assert.deepEqual(log, ['first', 'second', 'scheduled-now']);
  });

  it('clamps events scheduled in the past to now', () => {
    const q = new EventQueue(16);
    q.push(10, () => q.push(3, () => assert.equal(q.now, 10), undefined, undefined, undefined), undefined, undefined, undefined);
    q.dispatchNext();
    assert.equal(q.nextTime(), 10);
    q.dispatchNext();
  });

  it('cancels pending events and ignores stale cancels', () => {
    const q = new EventQueue(16);
    const log: string[] = [];
    const a = q.push(5, record, log, 'a', undefined);
    const genA = q.generation(a);
    q.push(6, record, log, 'b', undefined);
    assert.equal(q.cancel(a, genA), true);
    assert.equal(q.size, 1);
    assert.equal(q.nextTime(), 6, 'a cancelled event is not next');
    assert.equal(q.cancel(a, genA), false, 'second cancel is a no-op');
    q.dispatchNext();
    assert.deepEqual(log, ['b']);
    // The old slot is free again; an event reusing it must not be cancelled by the old handle.
    const c = q.push(7, record, log, 'c', undefined);
    const d = q.push(8, record, log, 'd', undefined);
    assert.ok(c === a || d === a, 'the freed slot is reused');
    assert.equal(q.cancel(a, genA), false);
    while (q.size > 0) q.dispatchNext();
    assert.deepEqual(log, ['b', 'c', 'd']);
  });

  it('stays bounded when almost every event is cancelled', () => {
    const q = new EventQueue(16);
    let fired = 0;
    const bump = (): void => {
      fired++;
    };
    for (let i = 0; i < 100_000; i++) {
      const slot = q.push(30_000 + i, bump, undefined, undefined, undefined);
      if (i % 100 !== 0) q.cancel(slot, q.generation(slot));
      assert.ok(q.entries <= 2 * q.size + 1100, `${q.entries} entries for ${q.size} pending`);
    }
    assert.equal(q.size, 1000);
    while (q.size > 0) q.dispatchNext();
    assert.equal(fired, 1000);
    assert.equal(q.now, 30_000 + 99_900);
  });

  it('matches a sorted reference under random pushes, cancels and pops, while growing', () => {
    const rnd = new SeededRandom(11);
    const q = new EventQueue(16);
    const ref: { t: number; seq: number; id: number }[] = [];
    const handles = new Map<number, { slot: number; gen: number }>();
    const popped: number[] = [];
    let seq = 0;
    for (let step = 0; step < 20_000; step++) {
      const op = rnd.next();
      if (op < 0.55) {
        const t = q.now + rnd.int(100);
        const id = seq++;
        const slot = q.push(t, (p: number[], i: number) => p.push(i), popped, id, undefined);
        handles.set(id, { slot, gen: q.generation(slot) });
        ref.push({ t, seq: id, id });
      } else if (op < 0.7 && ref.length > 0) {
        const k = rnd.int(ref.length);
        const victim = ref[k];
        const h = handles.get(victim.id);
        assert.ok(h !== undefined);
        assert.equal(q.cancel(h.slot, h.gen), true);
        ref.splice(k, 1);
      } else if (ref.length > 0) {
        ref.sort((x, y) => x.t - y.t || x.seq - y.seq);
        const expected = ref.shift();
        q.dispatchNext();
        assert.equal(popped[popped.length - 1], expected?.id);
        assert.equal(q.now, expected?.t);
      }
      assert.equal(q.size, ref.length);
    }
  });
});
