/**
 * Two uTP connection cores joined by a scripted link on virtual time (microseconds), for the
 * connection tests: a `filter` may drop or delay each datagram. Not a test file itself.
 */
import { UtpConnection, type UtpEvent } from '../../../src/transport/utp/connection.js';
import { decodePacket, type UtpPacket } from '../../../src/transport/utp/packet.js';
import type { UtpConnectionOptions } from '../../../src/transport/utp/options.js';

export type Side = 'a' | 'b';
/** Returns the extra delay in µs for this datagram, or 'drop'. */
export type LinkFilter = (p: UtpPacket, from: Side, now: number) => number | 'drop';

interface Flight { at: number; to: Side; bytes: Uint8Array; order: number }

export class Pair {
  now = 0;
  a: UtpConnection;
  b: UtpConnection | undefined;
  readonly events: Record<Side, UtpEvent[]> = { a: [], b: [] };
  readonly received: Record<Side, Uint8Array[]> = { a: [], b: [] };
  /** Every datagram put on the link, decoded, with its send time. */
  readonly log: { at: number; from: Side; p: UtpPacket }[] = [];
  filter: LinkFilter = () => 0;
  private flights: Flight[] = [];
  private pending: Record<Side, { data: Uint8Array; offset: number; end: boolean } | undefined> = { a: undefined, b: undefined };
  private order = 0;
  private deadlines: Record<Side, number | undefined> = { a: 0, b: undefined };

  constructor(readonly oneWayUs: number, readonly options: Partial<UtpConnectionOptions> = {}, readonly acceptSeq = 1000) {
    this.a = UtpConnection.connect(0x1234, 0, options);
  }

  conn(side: Side): UtpConnection {
    const c = side === 'a' ? this.a : this.b;
    if (!c) throw new Error('side b not accepted yet');
    return c;
  }

  /** Polls a side now and puts its packets on the link. */
  poll(side: Side): void {
    const c = side === 'a' ? this.a : this.b;
    if (!c) return;
    let out = c.poll(this.now);
    let drained = false;
    for (const e of out.events) {
      this.events[side].push(e);
      if (e.type === 'data') this.received[side].push(e.data);
      if (e.type === 'drained' || e.type === 'connected') drained = true;
    }
    if (drained && this.pump(side, c)) {
      const more = c.poll(this.now);
      for (const e of more.events) {
        this.events[side].push(e);
        if (e.type === 'data') this.received[side].push(e.data);
      }
      out = { ...more, packets: [...out.packets, ...more.packets] };
    }
    for (const bytes of out.packets) {
      const p = decodePacket(bytes);
      this.log.push({ at: this.now, from: side, p });
      const extra = this.filter(p, side, this.now);
      if (extra === 'drop') continue;
      this.flights.push({ at: this.now + this.oneWayUs + extra, to: side === 'a' ? 'b' : 'a', bytes, order: this.order++ });
    }
    this.deadlines[side] = out.nextDeadline;
  }

  /** Runs events until `untilUs` or until nothing is left to do. */
  run(untilUs: number): void {
    for (;;) {
      this.flights.sort((x, y) => x.at - y.at || x.order - y.order);
      const f = this.flights[0];
      const da = this.deadlines.a ?? Infinity;
      const db = this.deadlines.b ?? Infinity;
      const t = Math.min(f ? f.at : Infinity, da, db);
      if (t > untilUs || t === Infinity) {
        this.now = Math.max(this.now, Math.min(untilUs, Number.MAX_SAFE_INTEGER));
        return;
      }
      this.now = Math.max(this.now, t);
      if (f && f.at <= t) {
        this.flights.shift();
        this.deliver(f);
        continue;
      }
      this.poll(da <= db ? 'a' : 'b');
    }
  }

  private deliver(f: Flight): void {
    const p = decodePacket(f.bytes);
    if (f.to === 'b' && !this.b) {
      if (p.type !== 4) return;
      this.b = UtpConnection.accept(p, this.acceptSeq, this.now, this.options);
    } else this.conn(f.to).receive(p, this.now);
    this.poll(f.to);
  }

  /** Streams `data` from a side in 64 KiB writes as the send buffer allows; `end` then half-closes. */
  send(side: Side, data: Uint8Array, end = false): void {
    this.pending[side] = { data, offset: 0, end };
    this.pump(side, this.conn(side));
    this.poll(side);
  }

  private pump(side: Side, c: UtpConnection): boolean {
    const p = this.pending[side];
    if (!p) return false;
    while (p.offset < p.data.length) {
      const chunk = p.data.subarray(p.offset, p.offset + 65536);
      p.offset += chunk.length;
      if (!c.write(chunk)) break;
    }
    if (p.offset >= p.data.length) {
      this.pending[side] = undefined;
      if (p.end) c.end();
    }
    return true;
  }

  /** Writes on a side and polls it. */
  write(side: Side, data: Uint8Array): boolean {
    const ok = this.conn(side).write(data);
    this.poll(side);
    return ok;
  }

  bytes(side: Side): Uint8Array {
    return Uint8Array.from(Buffer.concat(this.received[side]));
  }
}
