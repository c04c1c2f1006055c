/**
 * Streaming decoder of peer wire messages (BEP 3 framing: `<length:4><id:1><payload>`).
 *
 * Push chunks of any size, pull whole messages. A message that lies inside one pushed chunk is
 * returned as views into that chunk (zero-copy: a piece's block is a subarray of the bytes the
 * socket gave us); one that straddles chunks is assembled once into a buffer of its own size.
 * Each byte is copied at most once, so buffer management is amortised O(1) per byte.
 *
 * The caller must not modify a chunk after pushing it, unless it pushes it as volatile: a
 * runtime that reuses its read buffer. Then only a `piece` message's block is a view (the
 * caller consumes it before the buffer is reused), every other payload is a copy, and
 * `settle()` copies the unread tail out before the caller returns the buffer.
 * Limits are checked on the length prefix and the id, before the body is buffered.
 */
import { PeerProtocolError } from './errors.js';
import { copyBytes } from '../util/bytes.js';
import { BLOCK_LENGTH, MESSAGE_ID, decodeMessageBody, fixedPayloadLength, type WireMessage } from './messages.js';

export interface MessageDecoderOptions {
  /**
   * Largest length prefix (id + payload) of any message but `piece`: bitfield, extended,
   * hashes, unknown ids. Default 1 MiB (a bitfield for 8 million pieces).
   */
  maxMessageLength?: number;
  /** Largest block in a `piece` message. Default 16 KiB (BEP 52: larger requests get the connection closed). */
  maxBlockLength?: number;
}

export const MESSAGE_DECODER_DEFAULTS: Required<MessageDecoderOptions> = {
  maxMessageLength: 1024 * 1024,
  maxBlockLength: BLOCK_LENGTH,
};

const KEEP_ALIVE: WireMessage = { type: 'keep_alive' };
const EMPTY = new Uint8Array(0);

export class MessageDecoder {
  private maxMessageLength: number;
  private readonly maxBlockLength: number;
  private chunks: Uint8Array[] = [];
  /** Index of the first chunk with unread bytes. */
  private head = 0;
  /** Read position inside `chunks[head]`. */
  private offset = 0;
  private available = 0;
  /**
   * The chunk pushed as volatile, while held. At most one: its owner reuses the buffer for
   * the next read, so it must `settle()` before pushing again.
   */
  private volatile: Uint8Array | undefined;
  /** Whether the last `take` returned a view of a volatile chunk. */
  private tookVolatile = false;
  /** The first error: once the stream is broken it stays broken. */
  private failure: PeerProtocolError | undefined;

  constructor(options?: MessageDecoderOptions) {
    const o = { ...MESSAGE_DECODER_DEFAULTS, ...options };
    this.maxMessageLength = o.maxMessageLength;
    this.maxBlockLength = o.maxBlockLength;
  }

  /** Raises or lowers the general cap (a connection fits it to the torrent's bitfield). */
  setMaxMessageLength(n: number): void {
    this.maxMessageLength = n;
  }

  /** Unread bytes held. */
  get bufferedBytes(): number {
    return this.available;
  }

  push(chunk: Uint8Array, volatile = false): void {
    if (chunk.length === 0) return;
    if (volatile) {
      if (this.volatile) throw new Error('settle() the volatile chunk before pushing another');
      this.volatile = chunk;
    }
    this.chunks.push(chunk);
    this.available += chunk.length;
  }

  /** Copies unread bytes out of volatile chunks: call before their owner reuses them. */
  settle(): void {
    if (!this.volatile) return;
    if (this.available > 0) {
      const rest = this.take(this.available);
      this.available = rest.length;
      this.chunks = [this.tookVolatile ? copyBytes(rest) : rest];
      this.head = 0;
      this.offset = 0;
    }
    this.volatile = undefined;
  }

  /**
   * The next whole message, or undefined when more bytes are needed.
   * Throws `PeerProtocolError` on a violation, and again on every later call.
   */
  next(): WireMessage | undefined {
    if (this.failure) throw this.failure;
    try {
      return this.read();
    } catch (e) {
      if (e instanceof PeerProtocolError) this.failure = e;
      throw e;
    }
  }

  /**
   * Exactly `n` raw bytes (e.g. a handshake), or undefined when fewer are buffered.
   * Only between messages.
   */
  readBytes(n: number): Uint8Array | undefined {
    if (this.available < n) return undefined;
    const bytes = this.take(n);
    return this.tookVolatile ? copyBytes(bytes) : bytes;
  }

  private read(): WireMessage | undefined {
    if (this.available < 4) return undefined;
    const length = this.u32At(0);
    if (length === 0) {
      this.skip(4);
      return KEEP_ALIVE;
    }
    if (length > Math.max(this.maxMessageLength, 9 + this.maxBlockLength)) {
      throw new PeerProtocolError('message_too_long', `message length ${length} is over the limit of ${this.maxMessageLength} bytes`);
    }
    if (this.available < 5) return undefined;
    const id = this.peek(4);
    this.checkLength(id, length - 1);
    if (this.available < 4 + length) return undefined;
    this.skip(5);
    if (id === MESSAGE_ID.piece) return this.readPiece(length - 1);
    let payload = this.take(length - 1);
    if (this.tookVolatile && id !== MESSAGE_ID.piece) payload = copyBytes(payload);
    return decodeMessageBody(id, payload);
  }

  /**
   * A piece's 8-byte header is read on its own, so a block that lies whole in one chunk stays
   * a view even when the header straddles the chunk before it (else the 16 KiB block would be
   * copied just to join it to 8 bytes).
   */
  private readPiece(payloadLength: number): WireMessage {
    if (payloadLength < 8) throw new PeerProtocolError('malformed_message', `piece payload must be at least 8 bytes, got ${payloadLength}`);
    const index = this.u32At(0);
    const begin = this.u32At(4);
    this.skip(8);
    return { type: 'piece', index, begin, block: this.take(payloadLength - 8) };
  }

  private u32At(i: number): number {
    return ((this.peek(i) << 24) | (this.peek(i + 1) << 16) | (this.peek(i + 2) << 8) | this.peek(i + 3)) >>> 0;
  }

  /** Rejects a wrong payload length for `id` before its body is buffered. */
  private checkLength(id: number, payloadLength: number): void {
    const fixed = fixedPayloadLength(id);
    if (fixed >= 0) {
      if (payloadLength !== fixed) throw new PeerProtocolError('malformed_message', `message ${id} must carry ${fixed} payload bytes, got ${payloadLength}`);
    } else if (id === MESSAGE_ID.piece) {
      if (payloadLength - 8 > this.maxBlockLength) {
        throw new PeerProtocolError('message_too_long', `piece block of ${payloadLength - 8} bytes is over the limit of ${this.maxBlockLength}`);
      }
    } else if (payloadLength + 1 > this.maxMessageLength) {
      throw new PeerProtocolError('message_too_long', `message ${id} of length ${payloadLength + 1} is over the limit of ${this.maxMessageLength} bytes`);
    }
  }

  /** The byte `i` places after the read position (i is small: a length prefix and an id). */
  private peek(i: number): number {
    let c = this.head;
    let at = this.offset + i;
    while (at >= this.chunks[c].length) {
      at -= this.chunks[c].length;
      c++;
    }
    return this.chunks[c][at];
  }

  private skip(n: number): void {
    this.available -= n;
    while (n > 0) {
      const chunk = this.chunks[this.head];
      const rest = chunk.length - this.offset;
      if (n < rest) {
        this.offset += n;
        return;
      }
      n -= rest;
      this.dropHead();
    }
  }

  /** Consumes `n` bytes: a view when they lie in one chunk, else one copy. */
  private take(n: number): Uint8Array {
    this.tookVolatile = false;
    if (n === 0) return EMPTY;
    const chunk = this.chunks[this.head];
    if (this.offset + n <= chunk.length) {
      this.tookVolatile = chunk === this.volatile;
      const view = chunk.subarray(this.offset, this.offset + n);
      this.skip(n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    this.available -= n;
    while (filled < n) {
      const c = this.chunks[this.head];
      const count = Math.min(n - filled, c.length - this.offset);
      out.set(c.subarray(this.offset, this.offset + count), filled);
      filled += count;
      this.offset += count;
      if (this.offset === c.length) this.dropHead();
    }
    return out;
  }

  private dropHead(): void {
    if (this.chunks[this.head] === this.volatile) this.volatile = undefined;
    this.chunks[this.head] = EMPTY; // let the chunk be collected
    this.head++;
    this.offset = 0;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head >= 64 && this.head * 2 >= this.chunks.length) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }
}
