/**
 * One live peer: a byte stream plus the wire `PeerConnection` state machine. Pumps bytes
 * both ways, keeps the connection's deadline timer, measures rates, and hands the
 * connection's events to the swarm.
 */
import type { Address, ByteStream, Runtime, TimerHandle } from '../runtime/types.js';
import { PeerPool } from './peer-pool.js';
import type { PeerConnection, PeerEvent } from '../wire/index.js';
import { RateMeter } from './rate-meter.js';

export interface PeerSessionHandler {
  onPeerEvents(peer: PeerSession, events: PeerEvent[]): void;
  onPeerClosed(peer: PeerSession, reason: string): void;
}

export class PeerSession {
  readonly key: string;
  readonly connectedAt: number;
  readonly download: RateMeter;
  readonly upload: RateMeter;
  /** When the last wanted block arrived (anti-snubbing, request timeouts). */
  lastBlockAt: number | undefined;
  /** When we last unchoked it (seed round robin); undefined while choked. */
  unchokedSince: number | undefined;
  /** Hash-check strikes: blocks it sent were part of a piece that failed. */
  strikes = 0;
  /** Peer is a seed (has every piece). */
  isSeed = false;
  closed = false;
  private timer: TimerHandle | undefined;
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
    this.connectedAt = runtime.clock.now();
    this.download = new RateMeter(this.connectedAt);
    this.upload = new RateMeter(this.connectedAt);
  }

  /** Starts pumping: from here on events go to `handler`. `pending` are events already produced. */
  attach(handler: PeerSessionHandler, pending: PeerEvent[] = []): void {
    this.handler = handler;
    this.stream.onData((bytes) => this.receive(bytes));
    this.stream.onClose((error) => this.close(error ? `connection closed: ${error.message}` : 'connection closed'));
    this.stream.onEnd(() => this.close('peer ended the connection'));
    if (pending.length > 0) handler.onPeerEvents(this, pending);
    this.flush();
  }

  private receive(bytes: Uint8Array): void {
    if (this.closed) return;
    const events = this.conn.receive(bytes, this.runtime.clock.now(), this.stream.volatileData === true);
    this.handler?.onPeerEvents(this, events);
    this.flush();
  }

  /** Writes whatever the connection queued and re-arms the deadline timer. */
  flush(): void {
    if (this.closed) return;
    const out = this.conn.takeOutgoing();
    if (out.length === 1) this.stream.write(out[0]);
    else if (out.length > 1) this.stream.writev(out);
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
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  private armTimer(): void {
    const at = this.conn.nextDeadline();
    if (at === this.timerAt) return;
    this.timer?.cancel();
    this.timerAt = at;
    if (!Number.isFinite(at)) return;
    const delay = Math.max(0, at - this.runtime.clock.now());
    this.timer = this.runtime.clock.setTimer(delay, () => {
      this.timerAt = Infinity;
      this.timer = undefined;
      if (this.closed) return;
      const events = this.conn.poll(this.runtime.clock.now());
      this.handler?.onPeerEvents(this, events);
      this.flush();
    });
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.conn.close();
    this.stream.destroy();
    this.handler?.onPeerClosed(this, reason);
  }
}
