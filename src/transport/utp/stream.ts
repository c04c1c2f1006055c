/**
 * A uTP connection seen as a `ByteStream` (src/runtime/types.ts), so the swarm uses it like a
 * TCP stream. The `UtpSocket` feeds it packets and polls it; this class turns the core's
 * events into the stream callbacks (holding data and end-of-stream until handlers are set).
 */
import { NetworkError, formatAddress, type Address, type ByteStream } from '../../runtime/types.js';
import type { UtpCloseReason, UtpConnection, UtpEvent } from './connection.js';

/** What a stream needs from its socket. */
export interface UtpStreamHost {
  /** Polls the stream's core soon (batched with other work). */
  schedule(stream: UtpStream): void;
  /** Polls the stream's core now. */
  pollNow(stream: UtpStream): void;
}

const CLOSE_ERRORS: Record<Exclude<UtpCloseReason, 'fin' | 'destroyed'>, [string, string]> = {
  reset: ['ECONNRESET', 'uTP connection reset by peer'],
  refused: ['ECONNREFUSED', 'uTP connection refused'],
  timeout: ['ETIMEDOUT', 'uTP connection timed out'],
};

export class UtpStream implements ByteStream {
  readonly volatileData = false;
  readonly transport = 'utp' as const;
  /** True until the first DATA arrives on an accepted stream (counted against the half-open limit). */
  halfOpen: boolean;
  closed = false;
  /** Settles a pending `connect`. */
  onConnected: ((error?: Error) => void) | undefined;
  private dataHandler: ((data: Uint8Array) => void) | undefined;
  private endHandler: (() => void) | undefined;
  private closeHandler: ((error?: Error) => void) | undefined;
  private drainHandler: (() => void) | undefined;
  private inbox: Uint8Array[] = [];
  private ended = false;
  private endDelivered = false;
  private closeError: Error | undefined;
  private closeDelivered = false;
  private destroyError: Error | undefined;

  constructor(
    readonly host: UtpStreamHost,
    readonly conn: UtpConnection,
    readonly local: Address,
    readonly remote: Address,
    readonly incoming: boolean,
  ) {
    this.halfOpen = true;
  }

  /** Bytes written and not yet cut into packets (sent packets awaiting their ack are not counted). */
  get bufferedBytes(): number {
    return this.closed ? 0 : this.conn.bufferedBytes;
  }

  write(data: Uint8Array): boolean {
    if (this.closed) return false;
    const ok = this.conn.write(data);
    this.host.schedule(this);
    return ok;
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    if (this.closed) return false;
    let ok = true;
    // Each chunk is scheduled on its own: libutp (Transmission) does not act on bytes that follow
    // a BitTorrent handshake in the same packet until another packet arrives, so a handshake
    // written together with have_all and the extension handshake must not share one packet.
    for (const c of chunks) {
      ok = this.conn.write(c);
      this.host.schedule(this);
    }
    return ok;
  }

  end(): void {
    if (this.closed) return;
    this.conn.end();
    this.host.schedule(this);
  }

  destroy(error?: Error): void {
    if (this.closed) return;
    this.destroyError = error;
    this.conn.destroy();
    this.host.pollNow(this);
  }

  onData(handler: (data: Uint8Array) => void): void {
    this.dataHandler = handler;
    const held = this.inbox;
    this.inbox = [];
    for (const d of held) handler(d);
    this.deliverEndAndClose();
  }

  onEnd(handler: () => void): void {
    this.endHandler = handler;
    this.deliverEndAndClose();
  }

  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
    this.deliverEndAndClose();
  }

  onDrain(handler: () => void): void {
    this.drainHandler = handler;
  }

  /** Called by the socket with the core's events. */
  handle(events: readonly UtpEvent[]): void {
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      switch (e.type) {
        case 'connected': {
          const cb = this.onConnected;
          this.onConnected = undefined;
          cb?.();
          break;
        }
        case 'data': {
          this.halfOpen = false;
          // A burst of packets arrives as many small payloads: hand them up as one chunk, so
          // the wire decoder runs once per burst rather than once per packet.
          let end = i + 1;
          while (end < events.length && events[end].type === 'data') end++;
          const data = end - i === 1 ? e.data : joinData(events, i, end);
          i = end - 1;
          if (this.dataHandler && this.inbox.length === 0) this.dataHandler(data);
          else this.inbox.push(data);
          break;
        }
        case 'end':
          this.ended = true;
          break;
        case 'drained':
          this.drainHandler?.();
          break;
        case 'closed':
          this.closed = true;
          this.closeError = this.errorFor(e.reason);
          if (this.onConnected) {
            const cb = this.onConnected;
            this.onConnected = undefined;
            cb(this.closeError ?? new NetworkError('ECONNRESET', `uTP connection to ${formatAddress(this.remote)} closed before it opened`));
          }
          break;
      }
    }
    this.deliverEndAndClose();
  }

  private errorFor(reason: UtpCloseReason): Error | undefined {
    if (reason === 'fin') return undefined;
    if (reason === 'destroyed') return this.destroyError;
    const [code, message] = CLOSE_ERRORS[reason];
    return new NetworkError(code, `${message} (${formatAddress(this.remote)})`);
  }

  /** End-of-stream waits behind held data; close waits behind both (as the simulator's streams do). */
  private deliverEndAndClose(): void {
    if (this.inbox.length > 0 && this.dataHandler) {
      const held = this.inbox;
      this.inbox = [];
      for (const d of held) this.dataHandler(d);
    }
    if (this.inbox.length > 0) return;
    if (this.ended && !this.endDelivered && this.endHandler) {
      this.endDelivered = true;
      this.endHandler();
    }
    if (this.closed && !this.closeDelivered && this.closeHandler && (!this.ended || this.endDelivered || !this.endHandler || this.closeError !== undefined)) {
      this.closeDelivered = true;
      this.closeHandler(this.closeError);
    }
  }
}

/** The payloads of `events[from..to)` (all 'data') in one array. */
function joinData(events: readonly UtpEvent[], from: number, to: number): Uint8Array {
  let n = 0;
  for (let i = from; i < to; i++) n += (events[i] as { data: Uint8Array }).data.length;
  // Every byte is written below: no zero fill (a burst is 100+ KB; `new Uint8Array` cost ~0.5 us a packet).
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  for (let i = from; i < to; i++) {
    const d = (events[i] as { data: Uint8Array }).data;
    out.set(d, o);
    o += d.length;
  }
  return out;
}
