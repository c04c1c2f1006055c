/** The daemon's counting semaphore (service/slots.ts): at most `max` holders, the rest served in arrival order. */
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { Slots } from '../../src/daemon/service/slots.js';

it('grants at most max slots, queues the rest in order, and a double release frees one slot only', async () => {
  const slots = new Slots(2);
  const a = await slots.acquire();
  const b = await slots.acquire();
  const order: string[] = [];
  const c = slots.acquire().then((r) => (order.push('c'), r));
  const d = slots.acquire().then((r) => (order.push('d'), r));
  await Promise.resolve();
  assert.deepEqual([slots.active, slots.waiting, order], [2, 2, []]);
  a();
  a(); // again: no effect
  const releaseC = await c;
  assert.deepEqual([slots.active, slots.waiting, order], [2, 1, ['c']]);
  b();
  const releaseD = await d;
  assert.deepEqual(order, ['c', 'd']);
  releaseC();
  releaseD();
  assert.deepEqual([slots.active, slots.waiting], [0, 0]);
  assert.throws(() => new Slots(0), RangeError);
});
