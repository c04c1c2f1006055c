/**
 * One routing-table entry's format in the packed store (./packed-entries.ts), and a record
 * holding one entry outside the store.
 *
 * An entry is ten 32-bit words (40 bytes; `EntryRecord` holds one in this order):
 *   0-4   the id, as five big-endian words (XOR distances compare word by word)
 *   5     IPv4 address (signed); 0 for IPv6, whose host string is in `host6`
 *   6     port (bits 0-15), failures in a row (bits 16-30, saturating), IPv6 flag (bit 31)
 *   7     smoothed RTT, whole ms (0 when unknown)
 *   8     last response, whole clock ms after `epoch` (`NEVER` while unverified)
 *   9     last query from it, whole clock ms after `epoch` (`NEVER` when never)
 */
import type { NodeId } from './node-id.js';

/** What a record needs of the store it goes into: its time encoding. */
interface TimeEncoder {
  encodeTime(t: number): number;
}

/** Words of an entry (as an `EntryRecord` holds it). */
export const ENTRY_WORDS = 10;
/** Words an entry takes after the column (word 0 lives in the column). */
export const STRIDE = ENTRY_WORDS - 1;
export const IP = 5;
export const PORT = 6;
export const RTT = 7;
export const RESPONSE = 8;
export const QUERY = 9;
// Offsets of the same fields in the store (word 0 is in the column).
export const S_IP = IP - 1;
export const S_PORT = PORT - 1;
export const S_RTT = RTT - 1;
export const S_RESPONSE = RESPONSE - 1;
export const S_QUERY = QUERY - 1;
/** A time that never was (unverified, never queried us); decoded as -1. */
export const NEVER = 0x80000000 | 0;
export const V6 = 0x80000000 | 0;
export const PORT_MASK = 0xffff;

/**
 * One entry outside the store (staging for an insert, or a copy being moved), in the
 * store's own format: its times are relative to the epoch of the store it goes into.
 */
export class EntryRecord {
  readonly i32 = new Int32Array(ENTRY_WORDS);
  host6: string | null = null;

  /**
   * Fills the record for a node at an IPv4 address (`ip` signed) or IPv6 host, to be
   * written into `store` (`lastResponse` -1 for an unverified node). Encoding the time may
   * move the store's epoch, so fill the record right before writing it.
   */
  set(store: TimeEncoder, id: NodeId, ip: number, host6: string | null, port: number, lastResponse: number, rtt: number): void {
    writeIdWords(id, this.i32, 0);
    const w = this.i32;
    w[IP] = host6 === null ? ip : 0;
    w[PORT] = (port & PORT_MASK) | (host6 === null ? 0 : V6);
    w[RTT] = rtt;
    w[RESPONSE] = store.encodeTime(lastResponse);
    w[QUERY] = NEVER;
    this.host6 = host6;
  }

  get verified(): boolean {
    return this.i32[RESPONSE] !== NEVER;
  }
}

/** Writes an id (a 20-char binary string) as five big-endian words at `out[o]`. */
export function writeIdWords(id: NodeId, out: Int32Array, o: number): void {
  for (let w = 0; w < 5; w++) {
    const c = 4 * w;
    out[o + w] = (id.charCodeAt(c) << 24) | (id.charCodeAt(c + 1) << 16) | (id.charCodeAt(c + 2) << 8) | id.charCodeAt(c + 3);
  }
}
