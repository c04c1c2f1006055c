/**
 * The bytes a connection wants sent, drained by whoever does the I/O. Small messages are
 * packed back to back into a shared scratch buffer (one write for a burst of haves and
 * requests); a piece's block is queued as the caller's own view after its 13-byte header,
 * never copied. Chunks handed out are never written to again.
 *
 * In 'messages' framing (the simulator's typed streams) the outbox keeps the typed frames
 * instead of bytes.
 */
import { ShoalError } from '../errors.js';
import type { Handshake } from './handshake.js';
import { encodeHandshake } from './handshake.js';
import { HAVE_LENGTH, PIECE_HEADER_LENGTH, encodedLength, writeHave, writeMessage, writePieceHeader, type WireMessage } from './messages.js';

/** What a typed transport carries: the handshake, then wire messages. */
export type OutgoingFrame = { readonly type: 'handshake'; readonly handshake: Handshake } | WireMessage;

export type Framing = 'bytes' | 'messages';

/**
 * Small messages are packed into windows of this many bytes: a window's messages leave as
 * one chunk (or several, split where the connection was drained), the next window starts a
 * new chunk.
 */
const SCRATCH_SIZE = 16 * 1024;
/**
 * The memory behind a window is allocated as it fills: 256 bytes first, then twice as much each
 * time (the bytes not yet taken are moved over), up to the whole window. The chunks are the
 * same as with a whole window up front.
 */
const FIRST_SCRATCH_SIZE = 256;
const NO_SCRATCH = new Uint8Array(0);

/**
 * An outbox lets go of memory grown past the first 256 bytes when it is drained (`take`), and
 * the next burst starts with a small buffer again: a swarm holds thousands of connections, most of them idle
 * between bursts, and the buffer each kept (doubled up to 16 KiB) was its largest item
 * (~800 bytes a connection end at 300 peers). Slabs shared by every outbox were tried: a
 * chunk or an unsent window held for long kept a whole slab (130 MB against 96 at 300 peers).
 */
export class Outbox {
  readonly framing: Framing;
  // Made on first use after each take: an idle outbox holds no arrays.
  private parts: Uint8Array[] | undefined;
  private frames: OutgoingFrame[] | undefined;
  /** Memory behind the current window from its offset `base` on. */
  private scratch: Uint8Array = NO_SCRATCH;
  private base = 0;
  private nextScratchSize = FIRST_SCRATCH_SIZE;
  /** Window offsets [start, end) are queued but not yet in `parts`. */
  private start = 0;
  private end = 0;
  private queued = 0;

  constructor(framing: Framing = 'bytes') {
    this.framing = framing;
  }

  /** Bytes queued (in 'messages' framing: their encoded size). */
  get queuedBytes(): number {
    return this.queued;
  }

  get empty(): boolean {
    return this.queued === 0 && this.frames === undefined;
  }

  handshake(h: Handshake): void {
    if (this.framing === 'messages') {
      (this.frames ??= []).push({ type: 'handshake', handshake: h });
      this.queued += 68;
      return;
    }
    this.flush();
    (this.parts ??= []).push(encodeHandshake(h));
    this.queued += 68;
  }

  message(m: WireMessage): void {
    const n = encodedLength(m);
    this.queued += n;
    if (this.framing === 'messages') {
      (this.frames ??= []).push(m);
      return;
    }
    if (m.type === 'piece') {
      this.piece(m.index, m.begin, m.block, false);
      return;
    }
    if (n > SCRATCH_SIZE / 2) {
      // Big (a bitfield, an extended message): its own buffer.
      this.flush();
      const out = new Uint8Array(n);
      writeMessage(m, out, 0);
      (this.parts ??= []).push(out);
      return;
    }
    this.reserve(n);
    this.end = this.base + writeMessage(m, this.scratch, this.end - this.base);
  }

  /** A have: `message({ type: 'have', index })` written straight into the window (a verified piece queues one per peer). */
  have(index: number): void {
    if (this.framing === 'messages') return this.message({ type: 'have', index });
    this.queued += HAVE_LENGTH;
    this.reserve(HAVE_LENGTH);
    writeHave(this.scratch, this.end - this.base, index);
    this.end += HAVE_LENGTH;
  }

  /** A piece message whose block is queued as is (the caller must not modify it afterwards). */
  piece(index: number, begin: number, block: Uint8Array, count = true): void {
    if (count) this.queued += PIECE_HEADER_LENGTH + block.length;
    if (this.framing === 'messages') {
      (this.frames ??= []).push({ type: 'piece', index, begin, block });
      return;
    }
    this.reserve(PIECE_HEADER_LENGTH);
    writePieceHeader(this.scratch, this.end - this.base, index, begin, block.length);
    this.end += PIECE_HEADER_LENGTH;
    this.flush();
    if (block.length > 0) (this.parts ??= []).push(block);
  }

  /** Everything queued, in order, as chunks to write. */
  take(): Uint8Array[] {
    if (this.framing !== 'bytes') throw new ShoalError("takeOutgoing() is for 'bytes' framing; use takeOutgoingFrames()");
    this.flush();
    const out = this.parts ?? [];
    this.parts = undefined;
    this.queued = 0;
    this.release();
    return out;
  }

  /** Everything queued as typed frames ('messages' framing). */
  takeFrames(): OutgoingFrame[] {
    if (this.framing !== 'messages') throw new ShoalError("takeOutgoingFrames() is for 'messages' framing; use takeOutgoing()");
    const out = this.frames ?? [];
    this.frames = undefined;
    this.queued = 0;
    return out;
  }

  private reserve(n: number): void {
    if (SCRATCH_SIZE - this.end < n) {
      // The window is full: its bytes leave as a chunk, the next message starts a new one.
      this.flush();
      this.scratch = NO_SCRATCH;
      this.start = this.end = this.base = 0;
    }
    if (this.end + n - this.base <= this.scratch.length) return;
    // More memory for this window, from the first byte not yet taken (those taken stay where they are).
    const size = Math.min(SCRATCH_SIZE - this.start, Math.max(this.nextScratchSize, this.end + n - this.start));
    const next = new Uint8Array(size);
    next.set(this.scratch.subarray(this.start - this.base, this.end - this.base));
    this.scratch = next;
    this.base = this.start;
    this.nextScratchSize = Math.min(SCRATCH_SIZE, this.nextScratchSize * 2);
  }

  /** Window memory held (allocated and not yet let go). */
  get heldBytes(): number {
    return this.scratch.length;
  }

  /**
   * Drained: the window goes on (chunks are cut as before) but memory grown past the first
   * size is let go. A first-size buffer is kept and written on after the bytes already taken:
   * allocating one per burst (a have or two, a request) was 2.6% of a 1,000-peer swarm's CPU,
   * a typed array's memory being allocated and freed outside the JS heap.
   */
  private release(): void {
    this.nextScratchSize = FIRST_SCRATCH_SIZE;
    if (this.scratch.length <= FIRST_SCRATCH_SIZE) return;
    this.scratch = NO_SCRATCH;
    this.base = this.start;
  }

  private flush(): void {
    if (this.end > this.start) {
      (this.parts ??= []).push(this.scratch.subarray(this.start - this.base, this.end - this.base));
      this.start = this.end;
    }
  }
}
