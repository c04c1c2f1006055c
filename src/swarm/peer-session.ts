/**
 * One live peer: a byte stream plus the wire `PeerConnection` state machine. Pumps bytes
 * both ways, keeps the connection's deadline timer, measures rates, and hands the
 * connection's events to the swarm.
 */
import type { Address, ByteStream, Runtime, TimerHandle } from '../runtime/types.js';
import { PeerPool } from './peer-pool.js';
import type { PeerConnection, PeerEvent } from '../wire/index.js';
import { RateMeter } from './rate-meter.js';
import { peerIpKey } from './peer-turnover.js';
import { transportOf } from '../transport/dual-streams.js';
import type { SentMeter } from './send-watermark.js';

/** How long a gracefully closed stream waits for the peer to close its side before a reset. */
export const LINGER_MS = 5_000;

/** Settled once: `.then` on it queues a microtask. */
const SETTLED = Promise.resolve();

export interface PeerSessionHandler {
  onPeerEvents(peer: PeerSession, events: PeerEvent[]): void;
  onPeerClosed(peer: PeerSession, reason: string): void;
  /** The stream's send queue emptied after a write was refused (upload backpressure). */
  onPeerDrain(peer: PeerSession): void;
}

export class PeerSession {
  /** Its key in the swarm's peer map: the address, or `<address>#2` for the second of two crossing uTP connections (BEP 55). */
  key: string;
  /** The key its connections are counted under per IP (peer-turnover.ts), made once. */
  readonly ipKey: string;
  readonly connectedAt: number;
  /** The stream runs over uTP (BEP 29), read once: PEX reads it for every peer each second. */
  readonly overUtp: boolean;
  readonly download: RateMeter;
  readonly upload: RateMeter;
  /** When the last wanted block arrived (anti-snubbing, request timeouts). */
  lastBlockAt: number | undefined;
  /** When we last sent it a block (the upload meter's last bytes), if ever. */
  get lastBlockSentAt(): number | undefined {
    return this.upload.lastAddAt;
  }
  /** When the request queue's current fast start began (its first block, or the first after an idle spell). */
  fastStartAt: number | undefined;
  /** Blocks it sent since then (late copies too). */
  fastStartBlocks = 0;
  /**
   * Its requests timed out: it gets one request at a time until that one is answered
   * (libtorrent keeps a snubbed peer's queue at one too), so a slow peer is not sent copies
   * of what it still owes.
   */
  snubbed = false;
  /** Counted among the peers we can request from (request-budget.ts keeps it). */
  requesting = false;
  /**
   * When we last asked it for blocks while it owed us none: the wait for its next block starts
   * there (transfer.ts `waitingSince`). Its last block may be minutes old (it choked us
   * meanwhile, or we wanted nothing of it), and counting from that timed out fresh requests at
   * the next tick: 579 times in a 200-peer run, each snubbing a peer about to deliver.
   */
  askedAt: number | undefined = undefined;
  /** When its outstanding requests last timed out (the next timeout counts from here). */
  requestsTimedOutAt: number | undefined;
  /** Where an incoming peer listens (its BEP 10 `p`), once it said so. */
  listenAddress: Address | undefined;
  /** When we last unchoked it (seed round robin); undefined while choked. */
  unchokedSince: number | undefined;
  /** Hash-check strikes: blocks it sent were part of a piece that failed. */
  strikes = 0;
  /** Peer is a seed (has every piece). */
  isSeed = false;
  /** Bytes we sent it while we downloaded and wanted its pieces, as of the look `owedLook` (owed.ts). */
  owedTaken = 0;
  /** Our upload total to it at that look. */
  owedSeen = 0;
  owedLook = 0;
  closed = false;
  /** Requests of the peer's whose block is being read from disk (block keys). */
  readonly uploading = new Set<string>();
  /** It has a request of ours to serve that no disk read has started on: our upload has work for it waiting. */
  get requestWaiting(): boolean {
    return this.conn.peerRequests.size > this.uploading.size;
  }
  /** Bytes of those reads: counted with the stream's queue against the upload budget. */
  uploadReadBytes = 0;
  /** A write was refused (over the stream's high-water mark) and its drain has not come yet. */
  awaitingDrain = false;
  /** How fast its blocks leave our queue (send-watermark.ts `sentRate`), once measured. */
  sentMeter: SentMeter | undefined = undefined;
  /** When its last ut_pex message was taken (pex-rate.ts `pexTooSoon`). */
  pexTakenAt: number | undefined = undefined;
  /** When the watermark's pending fallback timer fires (send-watermark.ts `serveWhenSent`), if one is set. */
  sendWakeAt: number | undefined = undefined;
  private timer: TimerHandle | undefined;
  /** After a graceful close: resets the stream if the peer has not closed its side by then. */
  private lingerTimer: TimerHandle | undefined;
  private timerAt = Infinity;
  private flushQueued = false;
  private handler: PeerSessionHandler | undefined;

  constructor(
    readonly runtime: Runtime,
    readonly stream: ByteStream,
    readonly conn: PeerConnection,
    readonly address: Address,
    readonly incoming: boolean,
  ) {
    this.key = PeerPool.key(address);
    this.overUtp = transportOf(stream) === 'utp';
    this.ipKey = peerIpKey(address.host);
    this.connectedAt = runtime.clock.now();
    this.download = new RateMeter(this.connectedAt);
    this.upload = new RateMeter(this.connectedAt);
  }

  /** Starts pumping: from here on events go to `handler`. `pending` are events already produced. */
  attach(handler: PeerSessionHandler, pending: PeerEvent[] = []): void {
    this.handler = handler;
    // The pending events (the peer's handshake among them) come first: a stream that holds
    // bytes which arrived meanwhile (uTP, MSE) hands them over synchronously inside onData, and
    // their messages must not be handled before the handshake (we would answer before our bitfield).
    if (pending.length > 0) this.deliver(pending);
    this.stream.onData((bytes) => this.receive(bytes));
    this.stream.onClose((error) => {
      this.lingerTimer?.cancel();
      this.close(error ? `connection closed: ${error.message}` : 'connection closed');
    });
    this.stream.onEnd(() => this.close('peer ended the connection'));
    this.stream.onDrain(() => {
      this.awaitingDrain = false;
      if (!this.closed) this.handler?.onPeerDrain(this);
    });
    this.flush();
  }

  /**
   * Hands events to the swarm. A throw there is a bug of ours, not the peer's doing; it
   * closes this one connection (with the reason) rather than the process.
   */
  private deliver(events: PeerEvent[]): void {
    try {
      this.handler?.onPeerEvents(this, events);
    } catch (e) {
      this.close(`internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private receive(bytes: Uint8Array): void {
    if (this.closed) return;
    const events = this.conn.receive(bytes, this.runtime.clock.now(), this.stream.volatileData === true);
    this.deliver(events);
    this.flush();
  }

  /**
   * Bytes of blocks on their way to this peer that are still ours to hold: reads from disk
   * in flight, what the connection has queued, and what the stream has not handed to the network. Uploads wait while this is
   * at the budget (`maxQueuedUploadBytes`); the stream's drain or a finished read resumes them.
   */
  get queuedUploadBytes(): number {
    return this.uploadReadBytes + this.conn.outgoingBytes + this.stream.bufferedBytes;
  }

  /** Writes whatever the connection queued and re-arms the deadline timer. */
  flush(): void {
    if (this.closed) return;
    // Most flushes (after a have, a request answered later) find nothing queued: no array taken.
    if (this.conn.outgoingBytes > 0) {
      const out = this.conn.takeOutgoing();
      let ok = true;
      if (out.length === 1) ok = this.stream.write(out[0]);
      else if (out.length > 1) ok = this.stream.writev(out);
      if (!ok) this.awaitingDrain = true;
    }
    this.armTimer();
  }

  /**
   * Flushes once the current run of promise reactions is over: blocks served from one read
   * (a piece loaded once, several requests answered from it) go out in one write, not one
   * write each.
   */
  flushSoon(): void {
    if (this.flushQueued || this.closed) return;
    this.flushQueued = true;
    // A reaction on a settled promise: the same place in the microtask queue as
    // `queueMicrotask`, without the AsyncResource and bound function Node wraps each of those in
    // (a verified piece queues one per peer). `queuedFlush` does not throw: flush() writes to a stream.
    void SETTLED.then(this.queuedFlush);
  }

  /** `flushSoon`'s task, made once per session (a piece verified queues one per peer). */
  private readonly queuedFlush = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  private armTimer(): void {
    const at = this.conn.nextDeadline();
    // Every write moves the keep-alive deadline later: a timer already set for earlier stays
    // (it polls early, finds nothing due and re-arms), instead of one timer per write.
    if (at >= this.timerAt) return;
    this.timer?.cancel();
    this.timerAt = at;
    if (!Number.isFinite(at)) return;
    const delay = Math.max(0, at - this.runtime.clock.now());
    this.timer = this.runtime.clock.setTimer(delay, () => {
      this.timerAt = Infinity;
      this.timer = undefined;
      if (this.closed) return;
      const events = this.conn.poll(this.runtime.clock.now());
      this.deliver(events);
      this.flush();
    });
  }

  /**
   * Closes the connection. `graceful` (the swarm stopping): what was already written still
   * leaves before our FIN, as the kernel sends a socket's buffer after a close, instead of a
   * reset that throws it away (blocks a departing seed had queued were 3-6% of all uploads in
   * `shoal sim swarm`); a peer that has not closed its side `LINGER_MS` later is reset.
   */
  close(reason: string, graceful = false): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.conn.close();
    if (graceful) {
      this.stream.end();
      const stream = this.stream;
      this.lingerTimer = this.runtime.clock.setTimer(LINGER_MS, () => stream.destroy());
    } else this.stream.destroy();
    const handler = this.handler;
    // Nothing reaches the swarm once closed: a closed session something still holds (an
    // event in flight, a peer's list) does not keep the swarm alive after it stopped.
    this.handler = undefined;
    handler?.onPeerClosed(this, reason);
  }
}
