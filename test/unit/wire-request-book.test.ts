/**
 * The request book's maps are made on first use (request-book.ts): a connection that never
 * exchanges a request holds none, and the empty map read before then is never written to,
 * so one book's entries never show in another's.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { blockKey, RequestBook } from '../../src/wire/request-book.js';

describe('RequestBook', () => {
  it('reads empty before its first request, and keeps each book to its own entries', () => {
    const a = new RequestBook(8), b = new RequestBook(8);
    assert.equal(a.ours.size, 0);
    assert.equal(a.theirs.size, 0);
    assert.equal(a.deleteTheirs(blockKey(0, 0, 16384)), false);
    assert.equal(a.settle(0, 0, 16384), false);
    assert.equal(a.addOurs(0, 0, 16384), true);
    a.addTheirs(blockKey(1, 0, 16384), { index: 1, begin: 0, length: 16384 });
    assert.deepEqual([a.ours.size, a.theirs.size], [1, 1]);
    assert.deepEqual([b.ours.size, b.theirs.size], [0, 0], 'the other book still reads empty');
    assert.equal(new RequestBook(8).ours.size, 0, 'and so does a new one');
    assert.equal(a.settle(0, 0, 16384), true);
    assert.equal(a.deleteTheirs(blockKey(1, 0, 16384)), true);
    assert.deepEqual([a.ours.size, a.theirs.size], [0, 0]);
  });

  it('keeps a forgotten request answerable once (late), in the order forgotten', () => {
    const a = new RequestBook(2);
    for (let i = 0; i < 3; i++) a.addOurs(i, 0, 16384);
    assert.equal(a.forgetAll().length, 3);
    assert.equal(a.ours.size, 0);
    assert.equal(a.settle(0, 0, 16384), false, 'the oldest of three went past maxLate 2');
    assert.equal(a.settle(2, 0, 16384), true);
    assert.equal(a.settle(2, 0, 16384), false, 'once');
  });
});
