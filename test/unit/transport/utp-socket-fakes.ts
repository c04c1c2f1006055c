/**
 * A hand-driven clock and UDP endpoint for `UtpSocket` tests: timers run only when the test
 * advances time, and every datagram the socket sends is decoded and kept. Not a test file.
 */
import assert from 'node:assert/strict';
import { UtpSocket, type UtpSocketOptions } from '../../../src/transport/utp/socket.js';
import { decodePacket, encodePacket, ST_DATA, type UtpPacket } from '../../../src/transport/utp/packet.js';
import { SeededRandom } from '../../../src/runtime/random.js';
import type { Address, Clock, DatagramHandler, TimerHandle, UdpEndpoint } from '../../../src/runtime/types.js';

export class ManualClock implements Clock {
  nowMs = 1000;
  private timers: { at: number; fn: () => void; cancelled: boolean }[] = [];
  now(): number {
    return this.nowMs;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const t = { at: this.nowMs + ms, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }
  /** Moves time on by `ms`, running the timers that fall due, in order. */
  advance(ms: number): void {
    const end = this.nowMs + ms;
    for (;;) {
      const due = this.timers.filter((t) => !t.cancelled && t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      due.cancelled = true;
      this.nowMs = Math.max(this.nowMs, due.at);
      due.fn();
    }
    this.nowMs = end;
    this.timers = this.timers.filter((t) => !t.cancelled);
  }
}

export interface Sent {
  readonly p: UtpPacket;
  readonly to: Address;
  readonly bytes: number;
}

export class RecordingEndpoint implements UdpEndpoint {
  readonly address: Address = { host: '10.0.0.1', port: 6881 };
  readonly sent: Sent[] = [];
  handler: DatagramHandler | undefined;
  private deferred: (() => void)[] = [];
  readonly afterReads = (fn: () => void): void => void this.deferred.push(fn);
  send(data: Uint8Array, to: Address): void {
    this.sent.push({ p: decodePacket(data), to, bytes: data.length });
  }
  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }
  close(): void {}
  /** Runs what waits for the end of the current burst of reads. */
  endBurst(): void {
    for (const fn of this.deferred.splice(0)) fn();
  }
  /** Delivers one datagram (a packet with defaults filled in) from `from`. */
  receive(from: Address, p: Partial<UtpPacket>): void {
    const packet: UtpPacket = { type: ST_DATA, connectionId: 0, timestamp: 5, timestampDiff: 0, windowSize: 1 << 20, seqNr: 0, ackNr: 0, payload: new Uint8Array(0), ...p };
    this.handler!(encodePacket(packet), from);
  }
  ofType(type: number): Sent[] {
    return this.sent.filter((s) => s.p.type === type);
  }
}

export function makeSocket(options: Partial<UtpSocketOptions> = {}): { clock: ManualClock; endpoint: RecordingEndpoint; socket: UtpSocket } {
  const clock = new ManualClock();
  const endpoint = new RecordingEndpoint();
  const socket = new UtpSocket({ clock, random: new SeededRandom(7) }, endpoint, options);
  assert.ok(endpoint.handler, 'the socket listens on its endpoint');
  return { clock, endpoint, socket };
}
