/**
 * The send buffer watermark (libtorrent's `send_buffer_watermark_factor`, 50%): a block is
 * read for a peer only while less than half a second of the rate its blocks leave at is
 * queued to it (at least `SEND_BUFFER_MIN`, at most `maxQueuedUploadBytes`). The rest of its
 * requests wait in the connection, where a cancel still reaches them: a block another peer
 * delivered first (stealing, end game) is then not sent twice. With the whole
 * `maxQueuedUploadBytes` queued at once, a 128 kbit/s uplink shared by nine peers held a
 * minute of blocks per peer that no cancel could take back.
 *
 * A peer held back here is served again when its queue moves, not by polling: the stream's
 * `whenSent` (the simulator's, as each segment leaves the link), else its drain (Node 20's
 * TCP stream, with its 16 KiB high-water mark, refuses every block-sized write and drains
 * once the kernel took it), else, for a stream that has neither (uTP below its send buffer,
 * MSE wrappers, which do not pass `whenSent` on), a timer set for when the excess should
 * have left at the peer's rate. The swarm's one-second tick looks at every peer as well.
 */
import { BLOCK_LENGTH } from './piece-picker.js';
import type { PeerSession } from './peer-session.js';
import { RateMeter } from './rate-meter.js';

const SEND_BUFFER_SECONDS = 0.5;
/**
 * The least the watermark allows: one block. A block is read while less than the watermark
 * is queued, so at the least one block is on its way and the next is read as it leaves (two
 * blocks in the budget). libtorrent's floor (`send_buffer_low_watermark`) is 10 KiB.
 */
export const SEND_BUFFER_MIN = BLOCK_LENGTH;
/** The fallback timer's bounds (a stream without `whenSent` and no drain coming). */
const SEND_WAKE_MIN_MS = 5;
const SEND_WAKE_MAX_MS = 250;

/** Bytes we let queue to a peer uploading at `rate` bytes/s: `SEND_BUFFER_SECONDS` of it, within [SEND_BUFFER_MIN, maxQueued]. */
export function sendWatermark(maxQueued: number, rate: number): number {
  return Math.min(maxQueued, Math.max(SEND_BUFFER_MIN, rate * SEND_BUFFER_SECONDS));
}

/** Per peer (`PeerSession.sentMeter`): the rate its blocks leave our queue (the stream's, not the upload meter's), and how many had left when last looked. */
export interface SentMeter {
  readonly meter: RateMeter;
  sent: number;
}

/**
 * Bytes/s leaving the peer's queue for the network, as libtorrent counts its upload rate (at
 * the socket). The upload meter counts a block when it is queued: a burst of reads raises
 * that rate, the rate raises the watermark, the watermark lets more be read, and a slow
 * uplink ended up holding its whole request queue again. Fed whenever it is read: what left
 * since then is the upload total less what is still queued (block headers and the peer's
 * other messages make that a little low; it is never counted twice).
 */
export function sentRate(peer: PeerSession, now: number): number {
  let s = peer.sentMeter;
  if (s === undefined) peer.sentMeter = s = { meter: new RateMeter(now), sent: 0 };
  const sent = peer.upload.total - peer.conn.outgoingBytes - peer.stream.bufferedBytes;
  if (sent > s.sent) {
    s.meter.add(sent - s.sent, now);
    s.sent = sent;
  }
  return s.meter.rate(now);
}

/**
 * Arranges for `serve` to run once some of what is queued to the peer has left: at the
 * stream's next departure, or by a timer when `excess` bytes should have left at `rate`.
 * False when neither can be arranged (nothing on the stream and no timer wanted: the caller
 * then sends one more block rather than stall).
 */
export function serveWhenSent(peer: PeerSession, excess: number, rate: number, serve: () => void, timerAllowed: boolean): boolean {
  const stream = peer.stream;
  if (stream.whenSent?.(serve) === true) return true;
  if (!timerAllowed) return false;
  const clock = peer.runtime.clock;
  const ms = Math.min(SEND_WAKE_MAX_MS, Math.max(SEND_WAKE_MIN_MS, rate > 0 ? (excess * 1000) / rate : SEND_WAKE_MAX_MS));
  const at = clock.now() + ms;
  // One pending fallback timer per peer (`PeerSession.sendWakeAt`), the earliest kept.
  const pending = peer.sendWakeAt;
  if (pending !== undefined && pending <= at) return true;
  peer.sendWakeAt = at;
  clock.setTimer(ms, () => {
    if (peer.sendWakeAt !== at) return; // an earlier one replaced it
    peer.sendWakeAt = undefined;
    if (!peer.closed) serve();
  });
  return true;
}
