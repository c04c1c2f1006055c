/**
 * The send side's ledger of one uTP connection (BEP 29): the packets sent and not yet acked,
 * by sequence number in send order, the bytes in flight, and what an incoming `ack_nr` and
 * selective ACK settle. Loss decisions (which hole is lost, window cuts) stay with the
 * connection; the ledger reports the holes through a callback. Pure bookkeeping: no clock.
 */
import type { RttEstimator } from './congestion.js';
import type { MtuProbe } from './mtu.js';
import { seqDiff, type UtpPacketType } from './packet.js';

export interface OutPacket {
  seq: number;
  type: UtpPacketType;
  /**
   * Where the payload sits: `size` bytes at `payloadAt` in `buffer`, the memory of the datagram
   * as first sent (datagrams.ts). No view is kept: a packet outlives a young-generation GC
   * while in flight, and a view per packet promoted to the old generation was much of a
   * transfer's GC work; a re-send makes one.
   */
  buffer: ArrayBufferLike;
  payloadAt: number;
  /** Payload bytes. */
  size: number;
  sentAtUs: number;
  transmissions: number;
  /** Marked lost (timeout, duplicate or selective acks): re-sent when the window allows. */
  needResend: boolean;
  sacked: boolean;
  /** Fast retransmit re-sends a packet once; after that only the timer, or selective acks of packets sent after the re-send. */
  fastResent: boolean;
  /** The next new sequence number when it was last re-sent: packets from there on left after it. */
  resentBeforeSeq: number;
  /** An MTU probe's first transmission is padded to this many datagram bytes (0: not a probe). */
  probeBytes: number;
}


/** Called for a packet an ack shows lost: `sack` and `ackNr` are the selective ACK it came with. */
export type LostHandler = (seq: number, sack?: Uint8Array, ackNr?: number) => void;

const US_PER_MS = 1000;
const EMPTY_BUFFER = new ArrayBuffer(0);
/** Records kept for reuse (a window's worth of packets at most). */
const MAX_SPARE = 1024;

export class SendLedger {
  /** Bytes sent but not acked (selectively acked and lost-marked packets excluded). */
  inFlight = 0;
  /** The last sequence number of ours the peer acked cumulatively. */
  lastAck: number;
  /** Duplicate ACKs in a row (BEP 29: three mark the next packet lost). */
  dupAcks = 0;
  /** Whether the last `onAck` newly acked something (the retransmission timer restarts). */
  progressed = false;
  /** Packets marked lost and not yet re-sent: the connection looks for them only when there are some (no scan of the window per poll). */
  lostCount = 0;
  private readonly packets = new Map<number, OutPacket>();
  /** Acked packets' records, reused by `record` (each lives in flight long enough to be promoted; reusing them leaves no old-generation garbage per packet). */
  private readonly spare: OutPacket[] = [];

  constructor(
    lastAck: number,
    private readonly rtt: RttEstimator,
    private readonly mtu: MtuProbe,
    private readonly duplicateAckThreshold: number,
  ) {
    this.lastAck = lastAck;
  }

  /** Packets outstanding. */
  get size(): number {
    return this.packets.size;
  }

  get(seq: number): OutPacket | undefined {
    return this.packets.get(seq);
  }

  has(seq: number): boolean {
    return this.packets.has(seq);
  }

  /** Outstanding packets, oldest first. */
  values(): IterableIterator<OutPacket> {
    return this.packets.values();
  }

  /** A record for a new packet, first sent at `nowUs` (reused from an acked one when there is one); `buffer` and `payloadAt` are the caller's to set. */
  record(seq: number, type: UtpPacketType, size: number, nowUs: number, probeBytes: number): OutPacket {
    const p = this.spare.pop();
    if (p === undefined) return { seq, type, buffer: EMPTY_BUFFER, payloadAt: 0, size, sentAtUs: nowUs, transmissions: 1, needResend: false, sacked: false, fastResent: false, resentBeforeSeq: 0, probeBytes };
    p.seq = seq;
    p.type = type;
    p.size = size;
    p.sentAtUs = nowUs;
    p.transmissions = 1;
    p.needResend = p.sacked = p.fastResent = false;
    p.resentBeforeSeq = 0;
    p.probeBytes = probeBytes;
    return p;
  }

  /** Records a packet as it is first sent. */
  add(p: OutPacket): void {
    this.packets.set(p.seq, p);
    this.inFlight += p.size;
  }

  /** Takes `p` out of flight to be re-sent; a lost MTU probe is re-sent unpadded (its payload never depended on the probed size). */
  markLost(p: OutPacket): void {
    if (p.needResend || p.sacked) return;
    if (p.probeBytes > 0) {
      this.mtu.lost(p.seq);
      p.probeBytes = 0;
    }
    p.needResend = true;
    this.lostCount++;
    this.inFlight -= p.size;
  }

  /** Puts a lost-marked packet back in flight as it is re-sent. */
  resent(p: OutPacket, nextSeq: number): void {
    p.needResend = false;
    this.lostCount--;
    p.resentBeforeSeq = nextSeq;
    p.transmissions++;
    this.inFlight += p.size;
  }

  /**
   * Applies an incoming `ack_nr` and selective ACK. `sentUpTo` is our last sequence number
   * sent; `type` and whether anything is outstanding decide duplicate-ACK counting. Returns
   * the payload bytes newly acked (cumulatively or selectively; `progressed` says whether
   * anything was), or -1 for an impossible ack (one that acks what we never sent).
   */
  onAck(ackNr: number, sack: Uint8Array | undefined, isState: boolean, sentUpTo: number, nowUs: number, lost: LostHandler): number {
    const advance = seqDiff(ackNr, this.lastAck);
    this.progressed = false;
    if (advance > seqDiff(sentUpTo, this.lastAck)) return -1;
    let ackedBytes = 0;
    let progressed = false;
    if (advance > 0) {
      for (let i = 1; i <= advance; i++) ackedBytes += this.ackPacket((this.lastAck + i) & 0xffff, nowUs);
      this.lastAck = ackNr;
      this.dupAcks = 0;
      progressed = true;
    } else if (advance === 0 && isState && this.packets.size > 0 && sack === undefined) {
      if (++this.dupAcks === this.duplicateAckThreshold) lost((this.lastAck + 1) & 0xffff);
    }
    if (sack && advance >= 0) {
      // BEP 29: bit i of byte j (LSB first) stands for ack_nr + 2 + 8j + i. Walked from the
      // newest down, so a hole is lost once enough packets past it have arrived.
      let count = 0;
      for (let i = sack.length * 8 - 1; i >= 0; i--) {
        const seq = (ackNr + 2 + i) & 0xffff;
        if (sack[i >> 3] & (1 << (i & 7))) {
          const q = this.packets.get(seq);
          if (q && !q.sacked) {
            q.sacked = true;
            ackedBytes += this.settle(q, nowUs);
            progressed = true;
          }
          if (q) count++;
        } else if (count >= this.duplicateAckThreshold) lost(seq, sack, ackNr);
      }
      if (count >= this.duplicateAckThreshold) lost((ackNr + 1) & 0xffff, sack, ackNr);
    }
    this.progressed = progressed;
    return ackedBytes;
  }

  /** Our packets from `fromSeq` on that `sack` (relative to `ackNr`) acks. */
  sackedSince(sack: Uint8Array, ackNr: number, fromSeq: number): number {
    let n = 0;
    for (let i = Math.max(0, seqDiff(fromSeq, ackNr) - 2); i < sack.length * 8; i++) {
      if (sack[i >> 3] & (1 << (i & 7)) && this.packets.has((ackNr + 2 + i) & 0xffff)) n++;
    }
    return n;
  }

  clear(): void {
    this.packets.clear();
    this.lostCount = 0;
  }

  private ackPacket(seq: number, nowUs: number): number {
    const q = this.packets.get(seq);
    if (!q) return 0;
    this.packets.delete(seq);
    const n = q.sacked ? 0 : this.settle(q, nowUs);
    q.buffer = EMPTY_BUFFER;
    if (this.spare.length < MAX_SPARE) this.spare.push(q);
    return n;
  }

  private settle(q: OutPacket, nowUs: number): number {
    if (q.probeBytes > 0 && q.transmissions === 1) this.mtu.acked(q.seq);
    if (!q.needResend) this.inFlight -= q.size;
    else this.lostCount--;
    q.needResend = false;
    // Karn: only packets sent once give RTT samples (BEP 29).
    if (q.transmissions === 1) this.rtt.sample((nowUs - q.sentAtUs) / US_PER_MS);
    return q.size;
  }
}
