/**
 * Per-connection upload caps (`setUploadCap`, swarm/uploads.ts), the hook BitTyrant's u_p
 * needs: a capped peer is served no faster than its cap, block by block, while other peers
 * are served at once (a peer waiting on its own cap holds up nobody's turn at the shared
 * limits); lifting the cap serves what waited.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { PeerSession } from '../../src/swarm/peer-session.js';
import { RateLimiter } from '../../src/swarm/rate-limit.js';
import type { TransferContext } from '../../src/swarm/transfer.js';
import { drainUploads, pumpUploads, setUploadCap, uploadCap } from '../../src/swarm/uploads.js';

const BLOCK = 16 * 1024;

function world() {
  let t = 0;
  const clock = { now: () => t, setTimer: () => ({ cancel: () => undefined }) };
  const reads: string[] = [];
  const wakes: number[] = [];
  const ctx = {
    runtime: { clock },
    picker: { have: { has: () => true } },
    storage: { readBlock: (index: number, begin: number) => (reads.push(`${index}:${begin}`), new Promise<Uint8Array>(() => undefined)) },
    limits: { download: [] as RateLimiter[], upload: [] as RateLimiter[] },
    uploadWaiting: new Set<PeerSession>(),
    maxQueuedUploadBytes: 64 * BLOCK,
    totals: { downloaded: 0, uploaded: 0, wasted: 0 },
    wakeAfter: (ms: number) => wakes.push(ms),
    emit: () => undefined,
    violation: () => undefined,
  };
  const peer = (name: string, blocks: number) => {
    const requests = new Map<string, { index: number; begin: number; length: number }>();
    for (let i = 0; i < blocks; i++) requests.set(`${name}${i}`, { index: i, begin: 0, length: BLOCK });
    const p = {
      closed: false, runtime: { clock }, uploading: new Set<string>(), uploadReadBytes: 0, awaitingDrain: false, sentMeter: undefined, sendWakeAt: undefined,
      conn: { peerRequests: requests, outgoingBytes: 0 },
      stream: { bufferedBytes: 0 },
      // A gigabyte sent per virtual millisecond: the send buffer watermark is then the whole
      // budget (send-watermark.ts measures what left); these tests are about caps.
      upload: { get total() { return 1e9 * (t + 1); } },
      get queuedUploadBytes() { return p.uploadReadBytes; },
    };
    return p as unknown as PeerSession;
  };
  // A fake of the swarm's context: only what uploads.ts reads.
  return { ctx: ctx as unknown as TransferContext, raw: ctx, peer, reads, wakes, advance: (ms: number) => (t += ms) };
}

describe('per-connection upload caps', () => {
  it('serves a capped peer no faster than its cap, block by block, and says when to come back', () => {
    const w = world();
    const p = w.peer('a', 20);
    setUploadCap(p, BLOCK); // 16 KiB/s
    assert.equal(uploadCap(p), BLOCK);
    pumpUploads(w.ctx, p);
    assert.equal(w.reads.length, 1, 'one block (the bucket holds one), not all 20');
    assert.ok(w.wakes.at(-1)! >= 900 && w.wakes.at(-1)! <= 1000, `wake in ${w.wakes.at(-1)} ms`);
    for (let s = 0; s < 5; s++) {
      w.advance(1000);
      drainUploads(w.ctx);
    }
    assert.equal(w.reads.length, 6, '1 + 5 s x 1 block/s');
  });

  it('a capped peer waiting for its bucket does not hold up others at the shared limit', () => {
    const w = world();
    w.raw.limits.upload.push(new RateLimiter(w.raw.runtime.clock, 1e9));
    const capped = w.peer('a', 4), free = w.peer('b', 4);
    setUploadCap(capped, 1024);
    pumpUploads(w.ctx, capped);
    pumpUploads(w.ctx, free);
    assert.equal(w.reads.filter((r) => r.length > 0).length, 5, 'one for the capped peer, all four for the other');
    assert.equal(w.raw.uploadWaiting.size, 0, 'nobody queued at the shared limit');
  });

  it('lifting the cap serves what waited', () => {
    const w = world();
    const p = w.peer('a', 5);
    setUploadCap(p, 1024);
    pumpUploads(w.ctx, p);
    assert.equal(w.reads.length, 1);
    setUploadCap(p, undefined);
    assert.equal(uploadCap(p), undefined);
    drainUploads(w.ctx);
    assert.equal(w.reads.length, 5);
  });
});
