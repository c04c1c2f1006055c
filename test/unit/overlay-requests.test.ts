import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock, TimerHandle } from '../../src/runtime/types.js';
import { RequestTable } from '../../src/overlays/common/requests.js';
import { AddressTable, parseKey } from '../../src/overlays/common/addresses.js';
import { SeededRandom } from '../../src/runtime/random.js';

/** A manual clock that counts the timers it was asked for and the ones still pending. */
class ManualClock implements Clock {
  t = 0;
  created = 0;
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  now(): number {
    return this.t;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer = { at: this.t + ms, fn, live: true };
    this.created++;
    this.timers.push(timer);
    return { cancel: () => void (timer.live = false) };
  }
  get pending(): number {
    return this.timers.filter((x) => x.live).length;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const next = this.timers.filter((x) => x.live && x.at <= end).sort((a, b) => a.at - b.at)[0];
      if (next === undefined) break;
      this.t = next.at;
      next.live = false;
      next.fn();
    }
    this.t = end;
  }
}

describe('overlay request table', () => {
  it('serves requests sent together with one timer, and cancels it with the last reply', () => {
    const clock = new ManualClock();
    const expired: string[] = [];
    const table = new RequestTable<string>(clock, new SeededRandom(1), (c) => expired.push(c));
    const a = table.open('stabilise', 10, 1000);
    const b = table.open('finger', 11, 1000);
    assert.equal(clock.created, 1, 'one timer for two requests with the same deadline');
    assert.equal(table.close(a, 10)?.context, 'stabilise');
    assert.equal(clock.pending, 1, 'still armed while a request is outstanding');
    clock.advance(100);
    const reply = table.close(b, 11);
    assert.equal(reply?.context, 'finger');
    assert.equal(reply?.rttMs, 100);
    assert.equal(clock.pending, 0, 'the last reply cancels the timer');
    clock.advance(5000);
    assert.deepEqual(expired, []);
  });

  it('times every unanswered request out at its own deadline, in the order sent', () => {
    const clock = new ManualClock();
    const expired: [string, number, number][] = [];
    const table = new RequestTable<string>(clock, new SeededRandom(2), (c, to) => expired.push([c, to, clock.now()]));
    table.open('a', 1, 1000);
    clock.advance(200);
    table.open('b', 2, 500); // earlier deadline (700) than a's (1000): re-armed
    table.open('c', 3, 800); // same deadline as a
    const answered = table.open('d', 4, 300);
    assert.ok(table.close(answered, 4) !== undefined);
    assert.equal(table.close(answered, 4), undefined, 'a reply is matched once');
    clock.advance(2000);
    assert.deepEqual(expired, [['b', 2, 700], ['a', 1, 1000], ['c', 3, 1000]]);
    assert.equal(table.size, 0);
    assert.equal(clock.pending, 0);
  });

  it('ignores a reply from another address than the one asked, and clear() drops everything silently', () => {
    const clock = new ManualClock();
    const expired: string[] = [];
    const table = new RequestTable<string>(clock, new SeededRandom(3), (c) => expired.push(c));
    const tx = table.open('x', 7, 1000);
    assert.equal(table.close(tx, 8), undefined);
    table.clear();
    assert.equal(clock.pending, 0);
    clock.advance(2000);
    assert.deepEqual(expired, []);
  });
});

describe('overlay address keys', () => {
  it('tags a registered address object with its key, and still parses fresh objects and frozen ones', () => {
    const t = new AddressTable();
    const registered = { host: '10.1.2.3', port: 7000 };
    const key = t.register(registered);
    assert.equal(t.keyOf(registered), key);
    assert.deepEqual(Object.keys(registered), ['host', 'port'], 'the tag is not enumerable');
    assert.equal(t.keyOf({ host: '10.1.2.3', port: 7000 }), key);
    const frozen = Object.freeze({ host: '10.1.2.4', port: 7000 });
    assert.equal(t.register(frozen), parseKey(frozen));
    assert.equal(t.keyOf(frozen), parseKey(frozen));
    assert.equal(t.get(parseKey(frozen)), frozen);
  });
});
