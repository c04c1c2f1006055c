/**
 * One uTP connection (BEP 29) as a sans-I/O state machine: `receive(packet, now)`,
 * `write(bytes)`, `end()`, `destroy()` change its state; `poll(now)` runs its timers and
 * returns the datagrams to send, the events for the layer above and the next deadline.
 * Times are microseconds from the caller's clock. No sockets, timers or randomness here.
 *
 * States: syn-sent -> connected -> closed. FIN is half-close (`end` event when the peer's
 * FIN and every packet before it arrived; `closed` with `fin` once both FINs are acked).
 */
import { RttEstimator, Ledbat } from './congestion.js';
import { UTP_DEFAULTS, type UtpConnectionOptions } from './options.js';
import { seqDiff, ST_DATA, ST_FIN, ST_RESET, ST_STATE, ST_SYN, type UtpHeader, type UtpPacket, type UtpPacketType } from './packet.js';
import { encodeDatagram } from './datagrams.js';
import { MtuProbe } from './mtu.js';
import { ReceiveBuffer } from './receive-buffer.js';
import { SendQueue } from './send-queue.js';
import { SendLedger, type OutPacket } from './send-ledger.js';
import type { UtpCloseReason, UtpEvent, UtpPoll, UtpState } from './events.js';

export type { UtpCloseReason, UtpEvent, UtpPoll, UtpState } from './events.js';

const EMPTY = new Uint8Array(0);
const US_PER_MS = 1000;
const MAX_SACK_BYTES = 128;
const HEADER_BYTES = 20;
/** Room kept in a grown DATA packet for a selective ACK of 4 bytes and its extension header. */
const SACK_ROOM = 6;
/** The header being encoded: one object for every packet (encoding is synchronous), not one each. */
const HEADER: UtpHeader = { type: ST_DATA, connectionId: 0, timestamp: 0, timestampDiff: 0, windowSize: 0, seqNr: 0, ackNr: 0, selectiveAck: undefined, padding: undefined };

export interface UtpConnectionInit {
  /** Our receive id (the multiplexer's key) and send id. */
  recvId: number;
  sendId: number;
  /** Our first sequence number. */
  seqNr: number;
  nowUs: number;
  options?: Partial<UtpConnectionOptions>;
}

export class UtpConnection {
  readonly recvId: number;
  readonly sendId: number;
  readonly options: UtpConnectionOptions;
  state: UtpState;
  /** Why it closed, once closed. */
  closeReason: UtpCloseReason | undefined;
  readonly rtt: RttEstimator;
  readonly cc: Ledbat;
  /** The peer's advertised receive window. */
  peerWindow: number;
  /** Counters for status and tests. */
  readonly stats = { packetsSent: 0, retransmits: 0, timeouts: 0, fastRetransmits: 0, lostResends: 0, packetsReceived: 0 };

  private seqNr: number;
  /** Our packets in flight (send-ledger.ts). */
  private readonly outbuf: SendLedger;
  private recv: ReceiveBuffer | undefined;
  private readonly sendQueue = new SendQueue();
  /** Path MTU probing (mtu.ts): the payload size of new DATA packets. */
  readonly mtu: MtuProbe;
  private wantDrain = false;
  private ending = false;
  private finSeq: number | undefined;
  private finAcked = false;
  private endEmitted = false;
  private resetToSend = false;
  private ackNeeded = false;
  /** seq_nr of a FIN that refused our SYN (we never had a receive buffer to ack it from). */
  private refusalFinSeq: number | undefined;
  private keepaliveNeeded = false;
  /** No further window cut for losses until this sequence number is acked (one cut per window). */
  private lossSeq: number;
  private cwndLimited = false;
  private nextLossCutUs = -Infinity;
  private replyMicro = 0;
  private lastSentUs: number;
  private lastReceivedUs: number;
  /** When the retransmission timer was last reset (a send into an empty window or progress). */
  private timerStartUs: number;
  private consecutiveTimeouts = 0;
  private events: UtpEvent[] = [];
  private readonly deliverData = (data: Uint8Array): void => {
    this.events.push({ type: 'data', data });
  };
  private packets: Uint8Array[] = [];
  /** The time of the ack being handled, for `onLost` (one handler for every packet, not a closure each). */
  private ackNowUs = 0;
  private readonly onLost = (seq: number, sack?: Uint8Array, ackNr?: number): void => this.lost(seq, this.ackNowUs, sack, ackNr);

  private constructor(init: UtpConnectionInit, state: UtpState) {
    this.options = { ...UTP_DEFAULTS, ...init.options };
    this.recvId = init.recvId & 0xffff;
    this.sendId = init.sendId & 0xffff;
    this.seqNr = init.seqNr & 0xffff;
    this.lossSeq = (this.seqNr - 1) & 0xffff;
    this.state = state;
    this.rtt = new RttEstimator(this.options);
    this.cc = new Ledbat(this.options);
    this.peerWindow = this.options.packetSize;
    this.mtu = new MtuProbe(this.options.packetSize, this.options.maxPacketSize);
    this.outbuf = new SendLedger(this.lossSeq, this.rtt, this.mtu, this.options.duplicateAckThreshold);
    this.lastSentUs = this.lastReceivedUs = this.timerStartUs = init.nowUs;
  }

  /** Opens a connection: sends ST_SYN with seq_nr 1 and conn_id = recvId; the send id is recvId + 1 (BEP 29). */
  static connect(recvId: number, nowUs: number, options?: Partial<UtpConnectionOptions>): UtpConnection {
    const c = new UtpConnection({ recvId, sendId: recvId + 1, seqNr: 1, nowUs, options }, 'syn-sent');
    c.queueOut(ST_SYN, EMPTY, nowUs);
    return c;
  }

  /**
   * Accepts an ST_SYN: we receive on its id + 1 and send on its id; our STATE reply carries our
   * random `seqNr` without consuming it (libutp / libtorrent: the first DATA reuses it).
   */
  static accept(syn: UtpPacket, seqNr: number, nowUs: number, options?: Partial<UtpConnectionOptions>): UtpConnection {
    const c = new UtpConnection({ recvId: syn.connectionId + 1, sendId: syn.connectionId, seqNr, nowUs, options }, 'connected');
    c.recv = new ReceiveBuffer(syn.seqNr, c.options.maxOutOfOrderPackets, c.options.recvBufferBytes);
    c.peerWindow = syn.windowSize;
    c.noteTimestamp(syn, nowUs);
    c.ackNeeded = true;
    c.events.push({ type: 'connected' });
    return c;
  }

  /** Bytes sent but not acked (selectively acked and lost-marked packets excluded). */
  get curWindow(): number {
    return this.outbuf.inFlight;
  }

  /** Bytes queued and not yet packetized. */
  get bufferedBytes(): number {
    return this.sendQueue.bytes;
  }

  /** Queues bytes; returns false once `sendBufferBytes` are queued (wait for `drained`). */
  write(data: Uint8Array): boolean {
    if (this.state === 'closed' || this.ending) return false;
    this.sendQueue.push(data);
    const ok = this.sendQueue.bytes < this.options.sendBufferBytes;
    if (!ok) this.wantDrain = true;
    return ok;
  }

  /** Half-close: a FIN follows the queued bytes. */
  end(): void {
    this.ending = true;
  }

  /** Closes at once; the peer gets an ST_RESET. */
  destroy(): void {
    if (this.state === 'closed') return;
    if (this.state === 'connected') this.resetToSend = true;
    this.close('destroyed');
  }

  receive(p: UtpPacket, nowUs: number): void {
    if (this.state === 'closed') {
      // Closed by the FIN exchange: the peer re-sends its FIN (or data) when our last ACK was
      // lost; ack it again so it closes cleanly too (what TCP's TIME-WAIT is for).
      if (this.closeReason === 'fin' && (p.type === ST_FIN || p.type === ST_DATA)) this.ackNeeded = true;
      return;
    }
    this.stats.packetsReceived++;
    if (p.type === ST_RESET) {
      this.close(this.state === 'syn-sent' ? 'refused' : 'reset');
      return;
    }
    if (this.state === 'syn-sent') {
      // A FIN acking the SYN: the acceptor took the connection and closed it at once, as
      // libtorrent turns one away (e.g. while none of its torrents is started). Refused, so the
      // dialler can move on instead of re-sending the SYN.
      if (p.type === ST_FIN && p.ackNr === this.outbuf.lastAck + 1) {
        this.close('refused');
        // Ack that FIN, once: unacked, libtorrent re-sends it until its own timeout gives up.
        this.refusalFinSeq = p.seqNr;
        this.ackNeeded = true;
        return;
      }
      // The SYN's ack; a DATA acking it counts too (the acceptor may send before our STATE got through).
      if ((p.type !== ST_STATE && p.type !== ST_DATA) || p.ackNr !== this.outbuf.lastAck + 1) return;
      this.state = 'connected';
      // The acceptor's first DATA reuses the STATE's seq_nr.
      this.recv = new ReceiveBuffer(p.seqNr - 1, this.options.maxOutOfOrderPackets, this.options.recvBufferBytes);
      this.events.push({ type: 'connected' });
    }
    this.lastReceivedUs = nowUs;
    if (p.type === ST_SYN) {
      // Our STATE reply was lost and the initiator re-sent its SYN.
      this.ackNeeded = true;
      return;
    }
    if (!this.handleAck(p, nowUs)) return;
    this.noteTimestamp(p, nowUs);
    this.peerWindow = p.windowSize;
    if (p.type === ST_DATA || p.type === ST_FIN) this.handleData(p);
    this.checkClosed();
  }

  poll(nowUs: number): UtpPoll {
    if (this.state !== 'closed') this.runTimers(nowUs);
    if (this.state !== 'closed') this.flush(nowUs);
    else if (this.resetToSend) {
      this.resetToSend = false;
      this.emit(ST_RESET, this.seqNr, nowUs, EMPTY);
    } else if (this.ackNeeded) {
      // Closed by the FIN exchange (or a FIN refusing our SYN): the peer's FIN still needs its ack.
      this.ackNeeded = false;
      this.emit(ST_STATE, this.seqNr, nowUs, EMPTY, this.refusalFinSeq ?? this.recvAck());
    }
    const out: UtpPoll = { packets: this.packets, events: this.events, nextDeadline: this.nextDeadline() };
    this.packets = [];
    this.events = [];
    return out;
  }

  private nextDeadline(): number | undefined {
    if (this.state === 'closed') return undefined;
    const o = this.options;
    let t = this.lastReceivedUs + o.idleTimeoutMs * US_PER_MS;
    if (this.outbuf.size > 0) t = Math.min(t, this.timerStartUs + this.rtt.rtoMs * US_PER_MS);
    if (this.state === 'connected') t = Math.min(t, this.lastSentUs + o.keepaliveMs * US_PER_MS);
    return t;
  }

  private runTimers(nowUs: number): void {
    const o = this.options;
    // Each check compares with the very sum nextDeadline() returned: `now - start >= span` can
    // miss by a rounding error at exactly that deadline, and a timer re-armed for 0 ms on a
    // virtual clock never lets time move on.
    if (nowUs >= this.lastReceivedUs + o.idleTimeoutMs * US_PER_MS) {
      this.close('timeout');
      return;
    }
    if (this.outbuf.size > 0 && nowUs >= this.timerStartUs + this.rtt.rtoMs * US_PER_MS) {
      this.consecutiveTimeouts++;
      this.stats.timeouts++;
      const limit = this.state === 'syn-sent' ? o.maxSynRetransmits : o.maxRetransmits;
      if (this.consecutiveTimeouts > limit) {
        this.close('timeout');
        return;
      }
      this.rtt.backOff();
      this.cc.onTimeout();
      for (const p of this.outbuf.values()) this.outbuf.markLost(p);
      this.timerStartUs = nowUs;
      this.outbuf.dupAcks = 0;
    }
    if (this.state === 'connected' && nowUs >= this.lastSentUs + o.keepaliveMs * US_PER_MS) this.keepaliveNeeded = true;
  }

  /** Sends what the windows allow: re-sends first, then new data, then FIN, then a bare ACK if still owed. */
  private flush(nowUs: number): void {
    const before = this.packets.length;
    const window = Math.min(this.cc.cwnd, this.peerWindow);
    this.cwndLimited = false;
    // Re-sends, oldest first (the map iterates in send order); the window is walked only
    // while some are owed (a poll per ACK over a 700-packet window was most of flush's time).
    if (this.outbuf.lostCount > 0) {
      for (const p of this.outbuf.values()) {
        if (!p.needResend) continue;
        if (this.curWindow > 0 && this.curWindow + p.size > window) {
          this.cwndLimited = true;
          break;
        }
        this.outbuf.resent(p, this.seqNr);
        this.stats.retransmits++;
        this.transmit(p, nowUs);
        if (this.outbuf.lostCount === 0) break;
      }
    }
    if (this.state === 'connected') {
      const size = this.mtu.packetSize;
      while (this.sendQueue.bytes > 0) {
        const n = Math.min(size, this.sendQueue.bytes);
        if (this.curWindow > 0 && this.curWindow + n > window) {
          this.cwndLimited = true;
          break;
        }
        if (this.outbuf.size >= 0x7fff) break; // half the sequence space: acks would be ambiguous
        const probe = n === size ? this.mtu.probeSizeFor(this.seqNr) : 0;
        this.queueOut(ST_DATA, n, nowUs, probe > 0 ? HEADER_BYTES + probe + SACK_ROOM : 0);
      }
      if (this.wantDrain && this.sendQueue.bytes < this.options.sendBufferBytes) {
        this.wantDrain = false;
        this.events.push({ type: 'drained' });
      }
      if (this.ending && this.sendQueue.bytes === 0 && this.finSeq === undefined) {
        this.finSeq = this.seqNr;
        this.queueOut(ST_FIN, EMPTY, nowUs);
      }
      if (this.packets.length === before && (this.ackNeeded || this.keepaliveNeeded)) {
        // A keepalive acks ack_nr - 1 so the peer never counts it as a duplicate ack (libtorrent does the same).
        const ack = this.ackNeeded ? this.recvAck() : (this.recvAck() - 1) & 0xffff;
        this.emit(ST_STATE, this.seqNr, nowUs, EMPTY, ack);
      }
    }
    this.ackNeeded = false;
    this.keepaliveNeeded = false;
  }

  /**
   * A new packet taking the next sequence number (SYN, DATA, FIN). A DATA packet's payload is
   * the next `payload` bytes of the send queue, copied straight into its datagram; the ledger
   * keeps the datagram for re-sends.
   */
  private queueOut(type: UtpPacketType, payload: Uint8Array | number, nowUs: number, probeBytes = 0): void {
    const size = typeof payload === 'number' ? payload : payload.length;
    const p = this.outbuf.record(this.seqNr, type, size, nowUs, probeBytes);
    this.seqNr = (this.seqNr + 1) & 0xffff;
    if (this.outbuf.size === 0) this.timerStartUs = nowUs;
    const d = this.emit(type, p.seq, nowUs, payload, this.recvAck(), probeBytes);
    p.buffer = d.buffer;
    p.payloadAt = d.byteOffset + d.length - size;
    this.outbuf.add(p);
  }

  private transmit(p: OutPacket, nowUs: number): void {
    p.sentAtUs = nowUs;
    this.emit(p.type, p.seq, nowUs, p.size === 0 ? EMPTY : new Uint8Array(p.buffer, p.payloadAt, p.size), this.recvAck(), p.transmissions === 1 ? p.probeBytes : 0);
  }

  private recvAck(): number {
    return this.recv ? this.recv.ackNr : 0;
  }

  /**
   * Encodes and queues one datagram; `probeBytes` pads it to that size (an MTU probe).
   * `payload` is the bytes, or a count to take from the send queue. Returns the datagram (the
   * payload is its last bytes).
   */
  private emit(type: UtpPacketType, seq: number, nowUs: number, payload: Uint8Array | number, ackNr = this.recvAck(), probeBytes = 0): Uint8Array {
    const recv = this.recv;
    const length = typeof payload === 'number' ? payload : payload.length;
    const h = HEADER;
    h.type = type;
    h.connectionId = type === ST_SYN ? this.recvId : this.sendId;
    h.timestamp = Math.floor(nowUs) >>> 0;
    h.timestampDiff = this.replyMicro;
    h.windowSize = recv ? Math.max(0, this.options.recvBufferBytes - recv.heldBytes) : this.options.recvBufferBytes;
    h.seqNr = seq;
    h.ackNr = ackNr;
    h.selectiveAck = undefined;
    h.padding = undefined;
    // A DATA packet beyond the starting size keeps within the proven datagram size: its
    // selective ACK shrinks to the room left (BEP 29: whole 4-byte words).
    const room = length > this.options.packetSize || probeBytes > 0 ? this.mtu.packetSize + SACK_ROOM - 2 - length : MAX_SACK_BYTES;
    const sack = room >= 4 ? recv?.selectiveAck(Math.min(MAX_SACK_BYTES, room - (room % 4))) : undefined;
    if (sack && type !== ST_SYN && type !== ST_RESET) h.selectiveAck = sack;
    if (probeBytes > 0) {
      const size = HEADER_BYTES + (h.selectiveAck ? 2 + h.selectiveAck.length : 0) + length;
      if (probeBytes - size >= 2) h.padding = probeBytes - size - 2;
    }
    const datagram = encodeDatagram(h, payload, this.sendQueue);
    this.packets.push(datagram);
    this.stats.packetsSent++;
    this.lastSentUs = nowUs;
    return datagram;
  }

  /** BEP 29: reply_micro = our time minus the packet's timestamp, echoed in every packet we send. */
  private noteTimestamp(p: UtpPacket, nowUs: number): void {
    this.replyMicro = ((Math.floor(nowUs) >>> 0) - p.timestamp) >>> 0;
  }

  /** Processes ack_nr and the selective ACK; false when the ack is impossible (acks what we never sent). */
  private handleAck(p: UtpPacket, nowUs: number): boolean {
    const windowBefore = this.curWindow;
    this.ackNowUs = nowUs;
    const acked = this.outbuf.onAck(p.ackNr, p.selectiveAck, p.type === ST_STATE, (this.seqNr - 1) & 0xffff, nowUs, this.onLost);
    if (acked < 0) return false;
    if (this.outbuf.progressed) {
      this.consecutiveTimeouts = 0;
      this.rtt.resetBackoff();
      this.timerStartUs = nowUs;
      this.cc.onAck(acked, p.timestampDiff, nowUs, this.cwndLimited || windowBefore + this.options.packetSize > this.cc.cwnd, windowBefore);
    }
    if (this.finSeq !== undefined && !this.outbuf.has(this.finSeq) && seqDiff(this.outbuf.lastAck, this.finSeq) >= 0) this.finAcked = true;
    return true;
  }

  /** Fast retransmit: marks `seq` lost and cuts the window at most once per window of packets. */
  private lost(seq: number, nowUs: number, sack?: Uint8Array, ackNr = 0): void {
    const q = this.outbuf.get(seq);
    if (!q || q.sacked || q.needResend) return;
    if (q.fastResent) {
      // Its re-send was lost too when packets sent after it are selectively acked past it
      // (TCP's lost-retransmission detection); libtorrent waits for the timeout instead: 500 ms
      // or more, and a window of one packet.
      if (sack && this.outbuf.sackedSince(sack, ackNr, q.resentBeforeSeq) >= this.options.duplicateAckThreshold) {
        this.outbuf.markLost(q);
        this.stats.lostResends++;
      }
      return;
    }
    q.fastResent = true;
    // A lost MTU probe says the packet was too big, not that the path is congested (libtorrent too).
    const wasProbe = q.probeBytes > 0;
    this.outbuf.markLost(q);
    this.stats.fastRetransmits++;
    // One cut per window of packets (losses come in bursts), and at most one per
    // `lossCutIntervalMs` (libtorrent's utp_cwnd_reduce_timer): on a short RTT with random
    // loss, a cut every round trip would keep the window far below the path.
    if (seqDiff(seq, this.lossSeq) > 0 && nowUs >= this.nextLossCutUs && !wasProbe) {
      this.cc.onLoss();
      this.lossSeq = (this.seqNr - 1) & 0xffff;
      this.nextLossCutUs = nowUs + this.options.lossCutIntervalMs * US_PER_MS;
    }
  }

  private handleData(p: UtpPacket): void {
    const recv = this.recv;
    if (!recv) return;
    // Every DATA or FIN is acked, even a duplicate or a dropped one: the ack tells the peer where we are.
    recv.accept(p.seqNr, p.payload, p.type === ST_FIN, this.deliverData);
    this.ackNeeded = true;
    if (recv.eofReached && !this.endEmitted) {
      this.endEmitted = true;
      this.events.push({ type: 'end' });
    }
  }

  private checkClosed(): void {
    if (this.endEmitted && this.finAcked) this.close('fin');
  }

  private close(reason: UtpCloseReason): void {
    if (this.state === 'closed') return;
    if (reason !== 'fin') this.ackNeeded = false;
    this.state = 'closed';
    this.closeReason = reason;
    this.outbuf.clear();
    this.sendQueue.clear();
    this.events.push({ type: 'closed', reason });
  }
}
