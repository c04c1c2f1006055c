/**
 * Serving a peer's requests with backpressure. The peer's accepted requests wait in its
 * connection (at most `maxPeerRequests`, our BEP 10 `reqq`); a block is read from disk only
 * while the bytes on their way to that peer (reads in flight plus the stream's unsent queue)
 * are under `maxQueuedUploadBytes`. A peer that requests and never reads therefore holds at
 * most that much of our memory; its stream's drain, a finished read, a new request or the
 * swarm's tick resume serving. The upload rate limits apply per block, peers taking turns.
 *
 * A connection may also have its own cap (`setUploadCap`), set by the choker: BitTyrant
 * (Piatek et al., NSDI 2007) gives each unchoked peer only u_p, the upload that buys its
 * reciprocation, so the same capacity unchokes more peers. A capped peer waits for its own
 * bucket without holding up the others' turns at the shared limits.
 */
import { syncOwed } from './owed.js';
import { hasChokedInterested } from './choking.js';
import { PieceNotAvailableError } from '../storage/errors.js';
import type { PeerSession } from './peer-session.js';
import { availableAcross, consumeAcross, delayAcross, RateLimiter } from './rate-limit.js';
import { BLOCK_LENGTH } from './piece-picker.js';
import { SEND_BUFFER_MIN, sendWatermark, sentRate, serveWhenSent } from './send-watermark.js';
import type { TransferContext } from './transfer.js';

/** A request the wire layer accepted (it is in `peer.conn.peerRequests`): serve it when there is room. */
export function serveRequest(ctx: TransferContext, peer: PeerSession, index: number): void {
  const picker = ctx.picker;
  if (!picker || !ctx.storage || !picker.have.has(index)) {
    // Asking for a piece we never announced breaks BEP 3 (the wire layer checks what we announced).
    return ctx.violation(peer, `requested piece ${index}, which we do not have`);
  }
  pumpUploads(ctx, peer);
}

/** Starts disk reads for the peer's waiting requests while its upload budget and the rate limits allow. */
export function pumpUploads(ctx: TransferContext, peer: PeerSession, draining = false): void {
  const storage = ctx.storage;
  if (!storage || peer.closed) return;
  const requests = peer.conn.peerRequests;
  if (requests.size <= peer.uploading.size) {
    if (!peer.conn.amChoking) noteIfIdle(ctx);
    return;
  }
  // Over budget, wait for a drain or a read to finish. With nothing in flight and no drain
  // coming (a budget under the stream's high-water mark) one more block goes: no stall.
  // Over the send buffer watermark (send-watermark.ts), wait for the stream to send some.
  // Checked before the scan too: most calls find the budget full and return at once.
  const max = ctx.maxQueuedUploadBytes;
  let watermark = -1, rate = 0; // the rate is read only once more than the least watermark is queued
  const full = (length: number): boolean => {
    const queued = peer.queuedUploadBytes;
    const pending = peer.uploadReadBytes > 0 || peer.awaitingDrain; // a finished read or a drain serves it again
    if (queued + length > max && pending) return true;
    if (queued < Math.min(SEND_BUFFER_MIN, max)) return false;
    if (watermark < 0) {
      rate = sentRate(peer, ctx.runtime.clock.now());
      watermark = sendWatermark(max, rate);
    }
    // Like libtorrent, a block is read while less than the watermark is queued (it may end up past it by that block).
    if (queued < watermark && queued + length <= max) return false;
    if (pending) return true;
    // At the whole budget with no departure to wait for, the old rule: one more block goes.
    return serveWhenSent(peer, queued - watermark + length, rate, () => pumpUploads(ctx, peer), watermark < max);
  };
  if (full(1)) return;
  for (const [key, r] of requests) {
    if (peer.uploading.has(key)) continue;
    if (full(r.length)) return;
    if (!takeUploadTokens(ctx, peer, r.length, draining)) return;
    peer.uploading.add(key);
    peer.uploadReadBytes += r.length;
    const done = (): void => {
      peer.uploading.delete(key);
      peer.uploadReadBytes -= r.length;
    };
    storage.readBlock(r.index, r.begin, r.length).then(
      (data) => {
        done();
        if (peer.closed) return;
        // False when the request was cancelled or choked away meanwhile.
        if (peer.conn.sendPiece(r.index, r.begin, data)) {
          syncOwed(ctx.owedLooks, peer); // its upload total changes
          peer.upload.add(r.length, ctx.runtime.clock.now());
          ctx.totals.uploaded += r.length;
        }
        // Blocks read together go out in one write (the outbox counts towards the budget
        // meanwhile); the next reads are decided after that write (queued after the flush).
        peer.flushSoon();
        queueMicrotask(() => pumpUploads(ctx, peer));
      },
      (e: unknown) => {
        done();
        if (!(e instanceof PieceNotAvailableError)) ctx.emit({ type: 'error', error: e as Error });
        if (peer.closed) return;
        if (peer.conn.reject(r.index, r.begin, r.length)) peer.flush();
        pumpUploads(ctx, peer);
      },
    );
  }
}

/**
 * A peer we unchoke has no request left to read. If none of the others has one either, our
 * upload is about to idle (only what is queued is left) and, with interested peers waiting
 * choked, the choker may open a demand slot at once (choker.ts `noteUploadIdle`): judged
 * from the requests, as they happen, not from the tick's one sample a second.
 */
function noteIfIdle(ctx: TransferContext): void {
  const now = ctx.runtime.clock.now();
  if (!ctx.choker.demandSlotDue(now)) return; // most calls: one slot per DEMAND_OPEN_MS at most
  for (const p of ctx.unchoked) if (p.requestWaiting) return;
  if (hasChokedInterested(ctx.peers) && ctx.choker.noteUploadIdle(now)) ctx.fillSlots();
}

/** Per-connection caps, bytes/s, as token buckets (the choker sets them; none by default). */
const caps = new WeakMap<PeerSession, RateLimiter>();
/** Peers waiting for their own cap's tokens, per swarm (served again by `drainUploads`). */
const capWaiting = new WeakMap<TransferContext, Set<PeerSession>>();

/**
 * Caps what we upload to one peer, bytes/s (undefined or 0: no cap of its own; the shared
 * limits still apply). A cap lowered or raised keeps the bucket's balance; its burst is one
 * block, so a slow cap is paced block by block.
 */
export function setUploadCap(peer: PeerSession, bytesPerSecond: number | undefined): void {
  if (!(bytesPerSecond !== undefined && bytesPerSecond > 0)) {
    caps.delete(peer);
    return;
  }
  const cap = caps.get(peer);
  if (cap) cap.setRate(bytesPerSecond);
  else caps.set(peer, new RateLimiter(peer.runtime.clock, bytesPerSecond, BLOCK_LENGTH));
}

/** The peer's own upload cap, bytes/s (undefined: none). */
export function uploadCap(peer: PeerSession): number | undefined {
  return caps.get(peer)?.bytesPerSecond;
}

/**
 * Charges the upload limits for one block: the peer's own cap, then the shared limits.
 * Peers held back by the shared limits wait their turn in `ctx.uploadWaiting` (first come,
 * first served); a peer over its own cap waits apart, for its own bucket. False when this
 * peer must wait.
 */
function takeUploadTokens(ctx: TransferContext, peer: PeerSession, length: number, draining: boolean): boolean {
  const cap = caps.get(peer);
  if (cap && cap.available() < length) {
    let waiting = capWaiting.get(ctx);
    if (!waiting) capWaiting.set(ctx, (waiting = new Set()));
    waiting.add(peer);
    ctx.wakeAfter(cap.delayFor(length));
    return false;
  }
  const upload = ctx.limits.upload;
  if (upload.length > 0) {
    if (!draining && ctx.uploadWaiting.size > 0) {
      ctx.uploadWaiting.add(peer);
      return false;
    }
    if (availableAcross(upload) < length) {
      ctx.uploadWaiting.add(peer);
      ctx.wakeAfter(delayAcross(upload, length));
      return false;
    }
    consumeAcross(upload, length);
  }
  cap?.consume(length);
  return true;
}

/**
 * Serves the peers held back by their own caps (each as far as its bucket allows), then
 * those held back by the shared limits, in turn, as far as the limits now allow.
 */
export function drainUploads(ctx: TransferContext): void {
  const waiting = capWaiting.get(ctx);
  if (waiting && waiting.size > 0) {
    const ready = [...waiting];
    waiting.clear();
    for (const peer of ready) if (!peer.closed) pumpUploads(ctx, peer);
  }
  for (const peer of [...ctx.uploadWaiting]) {
    ctx.uploadWaiting.delete(peer);
    pumpUploads(ctx, peer, true);
    if (ctx.uploadWaiting.has(peer)) return; // out of tokens again: the rest keep their turn
  }
}
