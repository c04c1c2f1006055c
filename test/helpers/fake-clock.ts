/**
 * A hand-driven clock and a recording UDP endpoint for unit tests of small sans-I/O cores:
 * time moves only when the test calls `advance`, so retry and renewal times are exact.
 */
import type { Address, Clock, DatagramHandler, TimerHandle, UdpEndpoint } from '../../src/runtime/types.js';

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

export class FakeClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Pending[] = [];

  now(): number {
    return this.t;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const p: Pending = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(p);
    return { cancel: () => { p.cancelled = true; } };
  }

  /** Number of timers still set. */
  pending(): number {
    return this.timers.filter((p) => !p.cancelled).length;
  }

  /** Runs every timer due within `ms`, in time order, moving the clock to each. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((p) => !p.cancelled);
      let next: Pending | undefined;
      for (const p of this.timers) if (p.at <= end && (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p;
      if (!next) break;
      next.cancelled = true;
      this.t = next.at;
      next.fn();
    }
    this.t = end;
  }
}

export interface SentDatagram {
  readonly at: number;
  readonly data: Uint8Array;
  readonly to: Address;
}

export class FakeUdpEndpoint implements UdpEndpoint {
  readonly sent: SentDatagram[] = [];
  private handler: DatagramHandler | undefined;
  closed = false;
  /** Called on each send (a fake server can answer from here). */
  onSend: ((d: SentDatagram) => void) | undefined;

  constructor(readonly address: Address, private readonly clock: Clock) {}

  send(data: Uint8Array, to: Address): void {
    const d = { at: this.clock.now(), data: Uint8Array.from(data), to };
    this.sent.push(d);
    this.onSend?.(d);
  }

  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }

  /** Delivers a datagram to the handler. */
  deliver(data: Uint8Array, from: Address): void {
    this.handler?.(data, from);
  }

  close(): void {
    this.closed = true;
  }
}
