/**
 * The simulated byte stream's unit of transfer: how large a segment is, what one carries, and
 * how it takes a host's link (a large one queues behind what is reserved, a small one slips in
 * after at most one packet).
 */
import type { LinkTable } from './links.js';
import { TCP_OVERHEAD_BYTES } from './network.js';

export const SEGMENT_BYTES = 16 * 1024;
/** A segment may run this far past `SEGMENT_BYTES` to take a whole write (a 13-byte piece header plus its 16 KiB block). */
export const SEGMENT_SLACK_BYTES = 1024;
export const HIGH_WATER_MARK_BYTES = 64 * 1024;

/**
 * A segment this small (requests, haves, a choke) is one packet. A real link interleaves the
 * packets of its flows, so such a packet waits for at most one packet of the others, not for
 * the 16 KiB segments every busy stream has reserved; it still takes its share of the link.
 */
export const SMALL_SEGMENT_BYTES = 1460;

/** What one event carries: one chunk, or several whole writes packed into a segment (in order). */
export type Segment = Uint8Array | Uint8Array[];

export function segmentBytes(seg: Segment): number {
  if (seg instanceof Uint8Array) return seg.byteLength;
  let n = 0;
  for (let i = 0; i < seg.length; i++) n += seg[i].byteLength;
  return n;
}

/**
 * Takes a host's uplink (or downlink) for one segment from `now`; returns when it is through.
 * A large segment queues behind what is reserved; a small one (`SMALL_SEGMENT_BYTES`) waits
 * for at most one packet in progress, and pushes the queue back by its own size.
 */
export function reserveLink(links: LinkTable, id: number, up: boolean, now: number, bytes: number, msPerByte: number): number {
  const busyArr = up ? links.upBusy : links.downBusy;
  let busy = busyArr[id];
  if (busy < now) busy = now;
  const cost = (bytes + TCP_OVERHEAD_BYTES) * msPerByte;
  if (bytes > SMALL_SEGMENT_BYTES) {
    busyArr[id] = busy + cost;
    return busy + cost;
  }
  const start = Math.min(busy, now + (SMALL_SEGMENT_BYTES + TCP_OVERHEAD_BYTES) * msPerByte);
  busyArr[id] = busy + cost;
  return start + cost;
}
