/**
 * The KRPC encoders' writer: a `BencodeWriter` that writes each message straight into a
 * shared pool slab and hands out a view of it, where the base writer writes into its own
 * buffer and `done()` copies the message into its pool (a copy and a second view a message;
 * every datagram of a DHT simulation is encoded here). Encoding is synchronous, so one
 * message is written at a time: it starts at the pool's first free byte, and if it outgrows
 * the slab, what was written moves to a new one.
 */
import { BencodeWriter } from '../bencode/writer.js';

/** Bytes of a pool slab: 64 KB, as `BencodeWriter.done`'s pool (docs/dht.md, "Array buffers", says why not Node's 8 KB). */
export const KRPC_POOL_BYTES = 64 * 1024;

export class KrpcPoolWriter extends BencodeWriter {
  /** Where the message being written starts in `buf` (the slab). */
  private start = 0;

  constructor() {
    super(KRPC_POOL_BYTES);
  }

  /** Starts a message at the slab's first free byte (eight-byte aligned, as Node's pool is). */
  override reset(): this {
    this.start = this.len = (this.len + 7) & ~7;
    return this;
  }

  /** Room for `n` more bytes: past the slab's end, the message so far moves to a new slab. */
  override ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const written = this.len - this.start;
    let size = KRPC_POOL_BYTES;
    while (size < 2 * (written + n)) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(this.start, this.len));
    this.buf = next;
    this.start = 0;
    this.len = written;
  }

  /** The message: a view of the slab (the slab lives while any message carved from it does). */
  override done(): Uint8Array {
    return this.buf.subarray(this.start, this.len);
  }
}
