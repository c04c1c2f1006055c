/**
 * Serving a peer's requests with backpressure. The peer's accepted requests wait in its
 * connection (at most `maxPeerRequests`, our BEP 10 `reqq`); a block is read from disk only
 * while the bytes on their way to that peer (reads in flight plus the stream's unsent queue)
 * are under `maxQueuedUploadBytes`. A peer that requests and never reads therefore holds at
 * most that much of our memory; its stream's drain, a finished read, a new request or the
 * swarm's tick resume serving. The upload rate limits apply per block, peers taking turns.
 */
import { PieceNotAvailableError } from '../storage/errors.js';
import type { PeerSession } from './peer-session.js';
import { availableAcross, consumeAcross, delayAcross } from './rate-limit.js';
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
  if (requests.size <= peer.uploading.size) return;
  // Over budget, wait for a drain or a read to finish. With nothing in flight and no drain
  // coming (a budget under the stream's high-water mark) one more block goes: no stall.
  // Checked before the scan too: most calls find the budget full and return at once.
  const full = (length: number): boolean => peer.queuedUploadBytes + length > ctx.maxQueuedUploadBytes && (peer.uploadReadBytes > 0 || peer.awaitingDrain);
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
 * Charges the upload limits for one block. Peers held back wait their turn in
 * `ctx.uploadWaiting` (first come, first served); false when this peer must wait.
 */
function takeUploadTokens(ctx: TransferContext, peer: PeerSession, length: number, draining: boolean): boolean {
  const upload = ctx.limits.upload;
  if (upload.length === 0) return true;
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
  return true;
}

/** Serves the peers held back by the upload limits, in turn, as far as the limits now allow. */
export function drainUploads(ctx: TransferContext): void {
  for (const peer of [...ctx.uploadWaiting]) {
    ctx.uploadWaiting.delete(peer);
    pumpUploads(ctx, peer, true);
    if (ctx.uploadWaiting.has(peer)) return; // out of tokens again: the rest keep their turn
  }
}
