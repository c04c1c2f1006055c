/**
 * Bytes written to a uTP connection and not yet cut into packets. Writes are copied (the
 * caller may reuse its buffer); `take(n)` cuts the next packet's payload.
 */
const EMPTY = new Uint8Array(0);

export class SendQueue {
  /** Bytes queued. */
  bytes = 0;
  private chunks: Uint8Array[] = [];
  private head = 0;

  push(data: Uint8Array): void {
    if (data.length === 0) return;
    this.chunks.push(data.slice());
    this.bytes += data.length;
  }

  /** The next `n` bytes (n <= bytes) as one fresh array. */
  take(n: number): Uint8Array {
    const out = new Uint8Array(n);
    let o = 0;
    while (o < n) {
      const chunk = this.chunks[this.head];
      const k = Math.min(chunk.length, n - o);
      out.set(k === chunk.length ? chunk : chunk.subarray(0, k), o);
      o += k;
      if (k === chunk.length) this.chunks[this.head++] = EMPTY;
      else this.chunks[this.head] = chunk.subarray(k);
    }
    if (this.head > 64 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
    this.bytes -= n;
    return out;
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.bytes = 0;
  }
}
