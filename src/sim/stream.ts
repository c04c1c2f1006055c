/**
 * One side of a simulated ordered, reliable byte stream.
 *
 * Sending: with an unlimited uplink a write leaves at once as one segment. With a limited
 * uplink, writes queue in the stream and leave one segment (about 16 KiB) at a time: each
 * segment reserves the host's uplink when the previous one has left, so several streams on
 * one host interleave instead of one large write hogging the link. A segment packs whole
 * queued writes (a piece message's header and its block, a burst of haves) without copying
 * them, and is delivered as those same chunks: one event per segment, not per write. A
 * segment with nothing queued behind it needs no departure event: its arrival is scheduled
 * when it takes the uplink. `write` returns false while more than the high-water mark is
 * queued; `onDrain` fires when the queue empties.
 *
 * Receiving: segments arrive after the pair's one-way latency (never before an earlier
 * segment of the same stream), then pass the receiver's downlink if it is limited. Data
 * that arrives before `onData` is set waits in an inbox, and end-of-stream waits behind it.
 *
 * Closing: `end()` sends FIN after the queued data; a side closes once it has sent its FIN
 * and received the peer's. `destroy()` closes at once and sends a reset, which closes the
 * peer with ECONNRESET. A host going offline closes its streams with ENETDOWN and, after
 * the one-way delay plus the network's failure-detection time, its peers' with ETIMEDOUT.
 */
import type { Address, ByteStream } from '../runtime/types.js';
import { NetworkError } from '../runtime/types.js';
import type { SimHost } from './host.js';
import { simNetworkError } from './network.js';
import { reserveLink, SEGMENT_BYTES, SEGMENT_SLACK_BYTES, HIGH_WATER_MARK_BYTES, type Segment } from './segment.js';

export { SEGMENT_BYTES, HIGH_WATER_MARK_BYTES, SMALL_SEGMENT_BYTES } from './segment.js';

/** Control markers travel the same path as data, compared by identity. */
const FIN = new Uint8Array(0);
const RST = new Uint8Array(0);
const EMPTY_SEGMENT = new Uint8Array(0);

export class SimByteStream implements ByteStream {
  readonly local: Address;
  readonly remote: Address;
  readonly host: SimHost;
  /** The other side; set right after both sides are created. */
  peer!: SimByteStream;
  /** One-way latency towards the peer, ms. */
  readonly oneWayMs: number;

  closed = false;
  private closeError: Error | undefined;
  private lastArrival = 0;
  /** When this side's last segment is through its host's downlink (segments of one stream stay in order). */
  lastDelivery = 0;
  // Sending.
  private readonly sendQueue: Uint8Array[] = [];
  private sendOffset = 0;
  private queuedBytes = 0;
  private pumping = false;
  /**
   * A segment put on the uplink with nothing behind it was transmitted at once, without a
   * departure event; until it departs (`elidedDepart`) it still counts as queued and the
   * stream as pumping. A write or end meanwhile schedules the departure event after all.
   */
  private elidedDepart = -1;
  private elidedBytes = 0;
  private needDrain = false;
  private endRequested = false;
  private finSent = false;
  // Receiving.
  private inbox: Uint8Array[] = [];
  private flushScheduled = false;
  private remoteEnded = false;
  private endNotified = false;
  private closeNotified = false;
  private dataHandler: ((data: Uint8Array) => void) | null = null;
  private endHandler: (() => void) | null = null;
  private closeHandler: ((error?: Error) => void) | null = null;
  private drainHandler: (() => void) | null = null;
  /** `whenSent`'s waiter: called once, when the next segment has left the uplink. */
  private sentWaiter: (() => void) | null = null;

  constructor(host: SimHost, local: Address, remote: Address, oneWayMs: number) {
    this.host = host;
    this.local = local;
    this.remote = remote;
    this.oneWayMs = oneWayMs;
    host.streams.add(this);
  }

  get bufferedBytes(): number {
    this.settleElided();
    return this.queuedBytes;
  }

  /** The elided segment has left the uplink by now: it no longer counts. */
  private settleElided(): void {
    if (this.elidedDepart < 0 || this.elidedDepart > this.host.network.queue.now) return;
    this.elidedDepart = -1;
    this.pumping = false;
    this.queuedBytes -= this.elidedBytes;
  }

  /** Something waits behind the elided segment: its departure becomes an event after all. */
  private departureNeeded(): void {
    if (this.elidedDepart < 0) return;
    this.host.network.queue.push(this.elidedDepart, elidedDeparted, this, this.elidedBytes, undefined);
    this.elidedDepart = -1;
  }

  write(data: Uint8Array): boolean {
    if (!this.writable()) return false;
    if (data.byteLength === 0) return this.queuedBytes < HIGH_WATER_MARK_BYTES;
    if (this.host.upMsPerByte <= 0 && this.queuedBytes === 0) {
      this.transmit(data, data.byteLength);
      return true;
    }
    this.sendQueue.push(data);
    this.queuedBytes += data.byteLength;
    return this.queued();
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    let ok = true;
    for (const c of chunks) ok = this.write(c) && ok;
    return ok;
  }

  /** False (and the stream destroyed) after `end`; settles an elided segment that has left. */
  private writable(): boolean {
    if (this.closed) return false;
    if (this.endRequested) {
      this.destroy(new NetworkError('ERR_STREAM_WRITE_AFTER_END', 'write after end'));
      return false;
    }
    this.settleElided();
    return true;
  }

  /** New data is queued: it goes behind the segment on the link; false over the high-water mark. */
  private queued(): boolean {
    this.departureNeeded();
    this.pump();
    if (this.queuedBytes >= HIGH_WATER_MARK_BYTES) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  end(): void {
    if (this.closed || this.endRequested) return;
    this.endRequested = true;
    this.settleElided();
    this.departureNeeded();
    if (this.host.upMsPerByte <= 0 && this.queuedBytes === 0) {
      this.transmit(FIN, 0);
      this.finSent = true;
      this.maybeClose();
    } else {
      this.pump();
    }
  }

  destroy(error?: Error): void {
    if (this.closed) return;
    this.transmit(RST, 0);
    this.close(error);
  }

  onData(handler: (data: Uint8Array) => void): void {
    this.dataHandler = handler;
    if (this.inbox.length > 0) this.scheduleFlush();
  }

  onEnd(handler: () => void): void {
    this.endHandler = handler;
    if (this.remoteEnded && !this.endNotified) this.scheduleFlush();
  }

  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
    if (this.closed && !this.closeNotified) this.scheduleFlush();
  }

  onDrain(handler: () => void): void {
    this.drainHandler = handler;
  }

  whenSent(fn: () => void): boolean {
    if (this.closed) return false;
    this.settleElided();
    if (this.queuedBytes === 0) return false;
    this.sentWaiter = fn;
    // A lone segment departs without an event: someone now waits for it, so it gets one.
    this.departureNeeded();
    return true;
  }

  // ---- internals, driven by the event functions below ----

  /** Puts the next queued segment (or the FIN) on the uplink. */
  private pump(): void {
    if (this.pumping || this.closed) return;
    let seg: Segment;
    let bytes: number;
    const queue = this.sendQueue;
    const head = queue[0];
    if (head !== undefined) {
      const left = head.byteLength - this.sendOffset;
      if (left > SEGMENT_BYTES + SEGMENT_SLACK_BYTES) {
        // A large write leaves in 16 KiB views.
        seg = head.subarray(this.sendOffset, this.sendOffset + SEGMENT_BYTES);
        this.sendOffset += SEGMENT_BYTES;
        bytes = SEGMENT_BYTES;
      } else {
        // Whole writes from the head while they fit (the first always does).
        const first = this.sendOffset === 0 ? head : head.subarray(this.sendOffset);
        this.sendOffset = 0;
        let n = 1;
        bytes = left;
        while (n < queue.length && bytes < SEGMENT_BYTES && bytes + queue[n].byteLength <= SEGMENT_BYTES + SEGMENT_SLACK_BYTES) bytes += queue[n++].byteLength;
        if (n === 1) {
          seg = first;
          queue.shift();
        } else {
          seg = queue.splice(0, n);
          seg[0] = first;
        }
      }
    } else if (this.endRequested && !this.finSent) {
      seg = FIN;
      bytes = 0;
    } else {
      return;
    }
    const host = this.host;
    const q = host.network.queue;
    const depart = reserveLink(host.network.links, host.id, true, q.now, bytes, host.upMsPerByte);
    if (seg !== FIN && queue.length === 0 && !this.needDrain && !this.endRequested) {
      // Nothing behind it and nobody waiting for the drain: on its way now, departing later.
      this.pumping = true;
      this.elidedDepart = depart;
      this.elidedBytes = bytes;
      this.transmitAt(depart, seg, bytes);
      return;
    }
    this.pumping = true;
    q.push(depart, segmentDeparted, this, seg, bytes);
  }

  /** Called when a segment has left the uplink. */
  departed(seg: Segment, bytes: number, transmitted = false): void {
    this.pumping = false;
    if (this.closed) return;
    if (seg === FIN) this.finSent = true;
    else this.queuedBytes -= bytes;
    if (!transmitted) this.transmitAt(this.host.network.queue.now, seg, seg === FIN ? 0 : bytes);
    this.pump();
    if (this.needDrain && this.queuedBytes === 0) {
      this.needDrain = false;
      const h = this.drainHandler;
      if (h !== null) {
        this.host.network.quiet = false; // the owner's code runs
        h();
      }
    }
    if (seg === FIN) this.maybeClose();
    else if (this.sentWaiter !== null) {
      const w = this.sentWaiter;
      this.sentWaiter = null;
      if (!this.closed) {
        this.host.network.quiet = false;
        w();
      }
    }
  }

  /** Sends a segment that has left the uplink towards the peer. */
  private transmit(seg: Segment, bytes: number): void {
    this.transmitAt(this.host.network.queue.now, seg, bytes);
  }

  /** Sends a segment of `bytes` (counted once, by whoever cut it) that leaves the uplink at `departs` towards the peer. */
  private transmitAt(departs: number, seg: Segment, bytes: number): void {
    const peer = this.peer;
    const q = this.host.network.queue;
    let arrival = departs + this.oneWayMs;
    if (arrival < this.lastArrival) arrival = this.lastArrival;
    this.lastArrival = arrival;
    if (peer.host.downMsPerByte > 0 && seg !== RST) q.push(arrival, segmentArrived, peer, seg, bytes);
    else q.push(arrival, segmentDelivered, peer, seg, undefined);
  }

  /** A segment from the peer has fully arrived. */
  received(seg: Segment): void {
    if (this.closed) return;
    if (seg === RST) {
      this.inbox.length = 0;
      this.close(simNetworkError('ECONNRESET', `connection reset by ${this.remote.host}:${this.remote.port}`));
      return;
    }
    if (seg instanceof Uint8Array) return this.receivedChunk(seg);
    for (let i = 0; i < seg.length && !this.closed; i++) this.receivedChunk(seg[i]);
  }

  private receivedChunk(seg: Uint8Array): void {
    if (seg !== FIN) this.host.network.stats.streamBytesDelivered += seg.byteLength;
    if (this.inbox.length === 0 && !this.flushScheduled) this.accept(seg);
    else this.inbox.push(seg);
  }

  /** Processes one received item in order; returns false when it has to wait for a handler. */
  private accept(seg: Uint8Array): boolean {
    if (seg === FIN) {
      this.remoteEnded = true;
      if (this.endHandler !== null && !this.endNotified) {
        this.endNotified = true;
        this.endHandler();
      }
      this.maybeClose();
      return true;
    }
    const h = this.dataHandler;
    if (h === null) {
      this.inbox.push(seg);
      return false;
    }
    h(seg);
    return true;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const q = this.host.network.queue;
    q.push(q.now, flushStream, this, undefined, undefined);
  }

  /** Delivers what waited for a handler: data, then end, then close. */
  flush(): void {
    this.flushScheduled = false;
    if (!this.closed && this.inbox.length > 0) {
      const items = this.inbox;
      this.inbox = [];
      for (let i = 0; i < items.length; i++) {
        if (this.closed) return;
        if (!this.accept(items[i])) {
          // No handler yet: keep the rest, in order, behind the one just re-queued.
          for (let j = i + 1; j < items.length; j++) this.inbox.push(items[j]);
          return;
        }
      }
    }
    if (this.remoteEnded && !this.endNotified && this.endHandler !== null) {
      this.endNotified = true;
      this.endHandler();
    }
    if (this.closed) this.notifyClose();
  }

  private maybeClose(): void {
    if (this.finSent && this.remoteEnded && !this.closed) this.close(undefined);
  }

  /** Closes this side now; the close handler runs as an event at the current time. */
  close(error: Error | undefined): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = error;
    this.sendQueue.length = 0;
    this.sentWaiter = null;
    this.queuedBytes = 0;
    this.elidedDepart = -1;
    this.host.streams.delete(this);
    if (this.closeHandler !== null) this.scheduleFlush();
    else if (!this.flushScheduled) this.release();
  }

  private notifyClose(): void {
    const h = this.closeHandler;
    if (h === null || this.closeNotified) return;
    this.closeNotified = true;
    h(this.closeError);
    this.release();
  }

  /**
   * Closed and told: nothing will be delivered or called any more, so the owner's handlers
   * (and with them the owner's whole object graph) are let go. An event still in flight to
   * this stream, or the peer's stream, may hold it for a while; without this, that one
   * reference kept a departed client's swarm, its sessions and, through their streams' peers,
   * other departed clients alive (a 1,000-peer run held 18,000 closed sessions).
   */
  private release(): void {
    this.dataHandler = null;
    this.endHandler = null;
    this.closeHandler = null;
    this.drainHandler = null;
    this.inbox = [];
  }

  /** The host went offline: close here now, and the peer once it could notice. */
  fail(): void {
    if (this.closed) return;
    const peer = this.peer;
    const net = this.host.network;
    this.close(simNetworkError('ENETDOWN', `host ${this.host.address} went offline`));
    net.queue.push(net.queue.now + this.oneWayMs + net.linkFailureDetectMs, failPeer, peer, this.local, undefined);
  }
}

/** A departure is quiet (network.ts `quiet`) unless it wakes the owner: its drain handler or `whenSent` waiter. */
function segmentDeparted(stream: SimByteStream, seg: Segment, bytes: number): void {
  stream.host.network.quiet = true;
  stream.departed(seg, bytes);
}

function elidedDeparted(stream: SimByteStream, bytes: number): void {
  stream.host.network.quiet = true;
  stream.departed(EMPTY_SEGMENT, bytes, true);
}

function segmentArrived(stream: SimByteStream, seg: Segment, bytes: number): void {
  const host = stream.host;
  host.network.quiet = true; // only the simulator's own bookkeeping runs here
  if (stream.closed) return;
  const q = host.network.queue;
  let t = reserveLink(host.network.links, host.id, false, q.now, bytes, host.downMsPerByte);
  // A small segment may pass other streams' data on the link, never its own stream's.
  if (t < stream.lastDelivery) t = stream.lastDelivery;
  stream.lastDelivery = t;
  q.push(t, segmentDelivered, stream, seg, undefined);
}

function segmentDelivered(stream: SimByteStream, seg: Segment): void {
  stream.received(seg);
}

function flushStream(stream: SimByteStream): void {
  stream.flush();
}

function failPeer(stream: SimByteStream, gone: Address): void {
  stream.close(simNetworkError('ETIMEDOUT', `connection to ${gone.host}:${gone.port} timed out (peer went offline)`));
}
