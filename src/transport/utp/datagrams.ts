/**
 * Memory for outgoing uTP datagrams, carved from shared slabs: a packet costs a view rather
 * than an ArrayBuffer of its own. V8 gives every typed array over 64 bytes its own off-heap
 * backing store (a malloc, and work for the garbage collector's sweeper when it dies), which
 * per packet was a large share of a transfer's CPU. A slab lives while any view into it does
 * (a DATA packet is kept until acked, a receiver on the simulator may hold one out of order),
 * so slabs are small: one long-unacked packet holds at most `SLAB_BYTES`. Bytes handed out
 * are never handed out again.
 */
import { encodeHeader, headerLength, type UtpHeader } from './packet.js';
import type { SendQueue } from './send-queue.js';

const SLAB_BYTES = 16 * 1024;
/** Bigger requests get their own array (a slab holds at least four of the largest ones carved). */
const MAX_CARVED = SLAB_BYTES / 4;

let slab = new Uint8Array(0);
let used = 0;

/** `n` bytes for one datagram (contents unspecified: the caller writes every byte). */
export function allocDatagram(n: number): Uint8Array {
  if (n > MAX_CARVED) return new Uint8Array(n);
  if (used + n > slab.length) {
    slab = new Uint8Array(SLAB_BYTES);
    used = 0;
  }
  const out = slab.subarray(used, used + n);
  used += (n + 7) & ~7; // 8-byte aligned starts
  return out;
}

/**
 * One datagram: `h`'s header, then the payload, given or (a count) taken from `queue` straight
 * into the datagram, the one copy a DATA payload gets on its way out.
 */
export function encodeDatagram(h: UtpHeader, payload: Uint8Array | number, queue: SendQueue): Uint8Array {
  const length = typeof payload === 'number' ? payload : payload.length;
  const datagram = allocDatagram(headerLength(h) + length);
  const at = encodeHeader(h, datagram);
  if (typeof payload === 'number') queue.takeInto(datagram, at, length);
  else datagram.set(payload, at);
  return datagram;
}
