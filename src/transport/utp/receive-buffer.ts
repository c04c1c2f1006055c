/**
 * The receiving half of a uTP connection (BEP 29): the next expected sequence number
 * (`ackNr`), packets that arrived early (bounded in count and bytes), the selective ACK that
 * describes them, and the FIN's sequence number (`eof_pkt`).
 */
import { seqDiff } from './packet.js';

export type Accepted = 'in-order' | 'buffered' | 'duplicate' | 'dropped';

export class ReceiveBuffer {
  /** The last sequence number received in order. */
  ackNr: number;
  /** The FIN's sequence number once one arrived. */
  eofSeq: number | undefined;
  /** Bytes held out of order. */
  heldBytes = 0;
  private readonly held = new Map<number, Uint8Array>();
  private highest = 0;

  constructor(ackNr: number, private readonly maxAhead: number, private readonly maxBytes: number) {
    this.ackNr = ackNr & 0xffff;
  }

  get eofReached(): boolean {
    return this.eofSeq !== undefined && this.ackNr === this.eofSeq;
  }

  /**
   * Takes a DATA (payload) or FIN (empty payload, `fin`) packet. In-order payloads, and any
   * held ones they unblock, go to `deliver` in order.
   */
  accept(seq: number, payload: Uint8Array, fin: boolean, deliver: (data: Uint8Array) => void): Accepted {
    if (fin && this.eofSeq === undefined && seqDiff(seq, this.ackNr) > 0) this.eofSeq = seq;
    if (this.eofSeq !== undefined && seqDiff(seq, this.eofSeq) > 0) return 'dropped';
    const d = seqDiff(seq, this.ackNr);
    if (d <= 0) return 'duplicate';
    if (d === 1) {
      this.ackNr = seq;
      if (payload.length > 0) deliver(payload);
      for (;;) {
        const next = (this.ackNr + 1) & 0xffff;
        const p = this.held.get(next);
        if (p === undefined) break;
        this.held.delete(next);
        this.heldBytes -= p.length;
        this.ackNr = next;
        if (p.length > 0) deliver(p);
      }
      return 'in-order';
    }
    if (d > this.maxAhead || this.held.has(seq)) return d > this.maxAhead ? 'dropped' : 'duplicate';
    if (this.heldBytes + payload.length > this.maxBytes) return 'dropped';
    this.held.set(seq, payload);
    this.heldBytes += payload.length;
    if (this.held.size === 1 || seqDiff(seq, this.highest) > 0) this.highest = seq;
    return 'buffered';
  }

  /**
   * The selective ACK to send (BEP 29): bit i of byte j (LSB first) is ack_nr + 2 + 8j + i;
   * `undefined` when nothing is held. At most `maxBytes` bytes, a multiple of 4.
   */
  selectiveAck(maxBytes: number): Uint8Array | undefined {
    if (this.held.size === 0) return undefined;
    const span = seqDiff(this.highest, this.ackNr) - 1; // bits needed: ack+2 .. highest
    if (span <= 0) return undefined;
    const bytes = Math.min(Math.ceil(span / 32) * 4, maxBytes);
    const mask = new Uint8Array(bytes);
    const bits = bytes * 8;
    for (const seq of this.held.keys()) {
      const i = seqDiff(seq, this.ackNr) - 2;
      if (i >= 0 && i < bits) mask[i >> 3] |= 1 << (i & 7);
    }
    return mask;
  }
}
