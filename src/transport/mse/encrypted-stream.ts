/**
 * A `ByteStream` over another one after an MSE handshake: writes are RC4-encrypted, reads
 * decrypted (or both passed through for the plaintext method), so the peer session above
 * sees an ordinary stream.
 *
 * Reads: a volatile chunk (the runtime's reused read buffer, valid only during the call) is
 * decrypted in place, so the zero-allocation read path stays zero-allocation; any other chunk
 * may be shared (the simulator hands out the sender's bytes), so it is decrypted into a copy.
 * Writes are always encrypted into a new buffer: the caller's bytes (storage views) are
 * never touched. A gathered write becomes one buffer, encrypted once.
 */
import type { Address, ByteStream } from '../../runtime/types.js';
import type { MseMethod } from './constants.js';
import type { MseCiphers } from './handshake.js';
import { concatBytes } from '../../util/bytes.js';

export class EncryptedStream implements ByteStream {
  readonly local: Address;
  readonly remote: Address;
  readonly volatileData: boolean;
  private dataHandler: ((data: Uint8Array) => void) | undefined;
  private endHandler: (() => void) | undefined;
  private closeHandler: ((error?: Error) => void) | undefined;
  /** Chunks (already decrypted, private copies) read before `onData` was attached. */
  private early: Uint8Array[] = [];
  private ended = false;
  private closed: { error?: Error } | undefined;

  constructor(
    readonly inner: ByteStream,
    readonly method: MseMethod,
    private readonly ciphers: MseCiphers,
  ) {
    this.local = inner.local;
    this.remote = inner.remote;
    this.volatileData = inner.volatileData === true;
    inner.onData((bytes) => this.receive(bytes));
    inner.onEnd(() => {
      this.ended = true;
      this.endHandler?.();
    });
    inner.onClose((error) => {
      this.closed = { error };
      this.closeHandler?.(error);
    });
  }

  get bufferedBytes(): number {
    return (this.inner as { bufferedBytes?: number }).bufferedBytes ?? 0;
  }

  private receive(bytes: Uint8Array): void {
    const d = this.ciphers.decrypt;
    const plain = d === undefined ? bytes : this.volatileData ? d.update(bytes) : d.process(bytes);
    const h = this.dataHandler;
    if (h !== undefined) h(plain);
    else this.early.push(plain === bytes && this.volatileData ? new Uint8Array(bytes) : plain);
  }

  write(data: Uint8Array): boolean {
    const e = this.ciphers.encrypt;
    return this.inner.write(e === undefined ? data : e.process(data));
  }

  writev(chunks: readonly Uint8Array[]): boolean {
    const e = this.ciphers.encrypt;
    if (e === undefined) return this.inner.writev(chunks);
    return this.inner.write(e.update(concatBytes(chunks)));
  }

  end(): void {
    this.inner.end();
  }

  destroy(error?: Error): void {
    this.inner.destroy(error);
  }

  onData(handler: (data: Uint8Array) => void): void {
    this.dataHandler = handler;
    const early = this.early;
    this.early = [];
    for (const chunk of early) handler(chunk);
  }

  onEnd(handler: () => void): void {
    this.endHandler = handler;
    if (this.ended) handler();
  }

  onClose(handler: (error?: Error) => void): void {
    this.closeHandler = handler;
    if (this.closed) handler(this.closed.error);
  }

  onDrain(handler: () => void): void {
    this.inner.onDrain(handler);
  }
}
