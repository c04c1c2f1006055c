/**
 * Bytes written to a uTP connection and not yet cut into packets. Writes are held as given,
 * not copied (the `ByteStream` contract, as Node's TCP sockets hold theirs: a caller never
 * modifies bytes it wrote); `takeInto` copies the next packet's payload straight into its
 * datagram, the one copy on the way out.
 */
const EMPTY = new Uint8Array(0);

export class SendQueue {
  /** Bytes queued. */
  bytes = 0;
  private chunks: Uint8Array[] = [];
  private head = 0;
  /** Bytes of the head chunk already taken (an offset rather than a new view per packet). */
  private headOffset = 0;

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.chunks.push(data);
    this.bytes += data.length;
  }

  /** Copies the next `n` bytes (n <= bytes) into `out` at `offset` and drops them from the queue. */
  takeInto(out: Uint8Array, offset: number, n: number): void {
    let o = offset;
    const end = offset + n;
    while (o < end) {
      const chunk = this.chunks[this.head];
      const from = this.headOffset;
      const k = Math.min(chunk.length - from, end - o);
      out.set(from === 0 && k === chunk.length ? chunk : chunk.subarray(from, from + k), o);
      o += k;
      if (from + k === chunk.length) {
        this.chunks[this.head++] = EMPTY;
        this.headOffset = 0;
      } else this.headOffset = from + k;
    }
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    this.bytes -= n;
  }

  /** The next `n` bytes (n <= bytes) as one fresh array. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    this.takeInto(out, 0, n);
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.headOffset = 0;
    this.bytes = 0;
  }
}
