/**
 * How a peer held back by the send buffer watermark (swarm/send-watermark.ts) is served
 * again: by the stream's `whenSent` when it has one (no timer: the simulator's events stay
 * those of the link), else by a timer set for when the excess should have left at the rate
 * it is served at; and the rate is what left the queue, not what was put in it.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerSession } from '../../src/swarm/peer-session.js';
import { RateMeter } from '../../src/swarm/rate-meter.js';
import { newOwedLooks } from '../../src/swarm/owed.js';
import type { TransferContext } from '../../src/swarm/transfer.js';
import { sentRate } from '../../src/swarm/send-watermark.js';
import { pumpUploads } from '../../src/swarm/uploads.js';

const BLOCK = 16 * 1024;
const MESSAGE = BLOCK + 13;

/** A peer with `blocks` requests waiting, a stream that takes writes and sends nothing until told, and reads that finish at once. */
function world(withWhenSent: boolean, blocks = 8) {
  let t = 0;
  const timers: { at: number; fn: () => void }[] = [];
  const clock = { now: () => t, setTimer: (ms: number, fn: () => void) => (timers.push({ at: t + ms, fn }), { cancel: () => undefined }) };
  let waiter: (() => void) | undefined;
  let buffered = 0;
  const stream = {
    get bufferedBytes() { return buffered; },
    ...(withWhenSent ? { whenSent: (fn: () => void) => (buffered > 0 ? ((waiter = fn), true) : false) } : {}),
  };
  const reads: number[] = [];
  const requests = new Map<string, { index: number; begin: number; length: number }>();
  for (let i = 0; i < blocks; i++) requests.set(`${i}`, { index: i, begin: 0, length: BLOCK });
  const p = {
    closed: false, runtime: { clock }, uploading: new Set<string>(), uploadReadBytes: 0, awaitingDrain: false, sentMeter: undefined, sendWakeAt: undefined, stream,
    upload: new RateMeter(0),
    conn: {
      peerRequests: requests,
      outgoingBytes: 0,
      sendPiece: (index: number) => (requests.delete(`${index}`), (buffered += MESSAGE), true),
    },
    flushSoon: () => undefined,
    get queuedUploadBytes() { return p.uploadReadBytes + buffered; },
  };
  const ctx = {
    runtime: { clock },
    picker: { have: { has: () => true } },
    storage: { readBlock: (index: number) => (reads.push(index), Promise.resolve(new Uint8Array(BLOCK))) },
    limits: { download: [], upload: [] },
    uploadWaiting: new Set<PeerSession>(),
    maxQueuedUploadBytes: 1024 * 1024,
    totals: { downloaded: 0, uploaded: 0, wasted: 0 },
    wakeAfter: () => undefined,
    emit: () => undefined,
    violation: () => undefined,
    owedLooks: newOwedLooks(),
  };
  const settle = () => new Promise<void>((r) => setImmediate(r)); // the reads' promise reactions and queued pumps
  return {
    // A fake of the swarm's context and peer: only what uploads.ts reads.
    ctx: ctx as unknown as TransferContext, peer: p as unknown as PeerSession, reads, timers, settle,
    /** `bytes` leave the stream at `ms`; the waiter, if any, runs. */
    send(ms: number, bytes: number) {
      t = ms;
      buffered = Math.max(0, buffered - bytes);
      const w = waiter;
      waiter = undefined;
      w?.();
    },
    takeWaiter: () => waiter,
    advance: (ms: number) => (t = ms),
  };
}

describe('send buffer watermark: serving a held-back peer again', () => {
  it('waits for the stream to send a block, with no timer, then reads the next', async () => {
    const w = world(true);
    pumpUploads(w.ctx, w.peer);
    await w.settle();
    assert.deepEqual(w.reads, [0], 'one block while nothing has left yet');
    assert.ok(w.takeWaiter(), 'a whenSent waiter is set');
    assert.equal(w.timers.length, 0, 'and no timer');
    w.send(100, MESSAGE);
    await w.settle();
    assert.deepEqual(w.reads, [0, 1], 'the next block is read once the first has left');
    assert.equal(w.timers.length, 0);
  });

  it('without whenSent, sets one timer for when the excess should have left, and serves on it', async () => {
    const w = world(false);
    pumpUploads(w.ctx, w.peer);
    await w.settle();
    assert.deepEqual(w.reads, [0]);
    assert.equal(w.timers.length, 1, 'one timer');
    assert.ok(w.timers[0].at >= 5 && w.timers[0].at <= 250, `at ${w.timers[0].at} ms: within the fallback's 5-250 ms`);
    pumpUploads(w.ctx, w.peer); // another look (a request, the tick) sets no second timer
    assert.equal(w.timers.length, 1);
    w.send(w.timers[0].at, MESSAGE);
    w.timers[0].fn();
    await w.settle();
    assert.deepEqual(w.reads, [0, 1]);
  });

  it('measures the rate blocks leave at, not the rate they were queued at', () => {
    const w = world(true);
    const p = w.peer as unknown as { upload: RateMeter; stream: { bufferedBytes: number } };
    // Ten blocks queued at once (counted by the upload meter as they are queued), none sent.
    for (let i = 0; i < 10; i++) p.upload.add(BLOCK, 0);
    const queued = { get bufferedBytes() { return 10 * BLOCK; } };
    Object.defineProperty(p, 'stream', { value: queued });
    assert.equal(sentRate(w.peer, 0), 0, 'nothing has left: no rate, so no larger watermark to read more into');
    assert.ok(p.upload.rate(100) > 0);
    Object.defineProperty(p, 'stream', { value: { bufferedBytes: 6 * BLOCK } });
    assert.equal(sentRate(w.peer, 1000), (4 * BLOCK * 1000) / 1000, 'four blocks left within the first second');
  });
});
