/**
 * The send side of `PeerConnection` (BEP 3, 6, 10, 52): every call checks the connection may
 * send (open; announced first) and hands the message to `PeerOutbound`, which keeps the rules.
 * `PeerConnection` extends it; it holds the wire state these read.
 */
import { ShoalError } from '../errors.js';
import type { Bitfield } from './bitfield.js';
import { UT_METADATA, UT_PEX, type ExtendedHandshake } from './extension.js';
import type { HashRequest } from './hash-messages.js';
import type { BlockRef } from './messages.js';
import type { Outbox, OutgoingFrame } from './outbox.js';
import type { PeerOutbound } from './peer-outbound.js';
import type { WireState } from './peer-state.js';
import type { ConnectionState, PeerCounters } from './peer-types.js';
import { encodeMetadataMessage, type MetadataMessage } from './ut-metadata.js';
import { encodePex, type PexMessage } from './ut-pex.js';

export abstract class PeerSenders {
  abstract readonly counters: PeerCounters;
  protected abstract readonly s: WireState;
  protected abstract readonly outbox: Outbox;
  protected abstract readonly out: PeerOutbound;
  abstract get state(): ConnectionState;

  // ---- output ------------------------------------------------------------------------------

  /** Queued bytes, in order ('bytes' framing). Write them all; the chunks are never modified later. */
  takeOutgoing(): Uint8Array[] {
    this.counters.bytesSent += this.outbox.queuedBytes;
    return this.outbox.take();
  }

  /** Queued frames ('messages' framing). */
  takeOutgoingFrames(): OutgoingFrame[] {
    this.counters.bytesSent += this.outbox.queuedBytes;
    return this.outbox.takeFrames();
  }

  /** True when messages may be sent; false once closed; throws before the handshake completes (a bug of ours). */
  private ready(): boolean {
    if (this.state === 'closed') return false;
    if (this.state !== 'open') throw new ShoalError(`peer connection: cannot send before the handshake completes (state ${this.state})`);
    this.out.ensureAnnounced();
    return true;
  }

  /**
   * Announces our pieces; call it first, right after the `handshake` event (BEP 3, 6). Uses
   * have_all / have_none with the fast extension, and sends nothing for no pieces without it.
   * If anything else is sent first, have_none (with fast) goes out instead and this throws.
   */
  sendAvailability(have: Bitfield | 'all' | 'none'): void {
    if (this.state === 'closed') return;
    if (this.state !== 'open') throw new ShoalError('peer connection: sendAvailability() before the handshake completes');
    if (this.s.availability.ourAnnounced) throw new ShoalError('peer connection: sendAvailability() must be the first message sent');
    this.out.availability(have);
  }

  /** Announces a piece we completed (and verified). */
  sendHave(index: number): void {
    if (this.ready()) this.out.have(index);
  }

  /** Chokes the peer. Returns its requests we will no longer serve (with fast they are rejected, except allowed-fast pieces). */
  choke(): BlockRef[] {
    return this.ready() ? this.out.choke() : [];
  }

  unchoke(): void {
    if (this.ready()) this.out.unchoke();
  }

  interested(): void {
    if (this.ready()) this.out.interest(true);
  }

  notInterested(): void {
    if (this.ready()) this.out.interest(false);
  }

  /**
   * Requests a block. False (nothing sent) when the peer lacks the piece, chokes us (unless
   * the piece is allowed fast), the request is outstanding already, or no slot is free.
   * Throws RangeError for a block outside the piece or over `maxBlockLength`.
   */
  request(index: number, begin: number, length: number): boolean {
    return this.ready() && this.out.request(index, begin, length);
  }

  /**
   * Cancels one of our requests. With fast the peer still answers (piece or reject) and the
   * request stays outstanding until then; without it, a block that arrives anyway is accepted.
   */
  cancel(index: number, begin: number, length: number): boolean {
    return this.ready() && this.out.cancel(index, begin, length);
  }

  /**
   * Stops waiting for one of our requests without telling the peer (the engine's request
   * timeout): the slot is freed, and a block or reject that still arrives is accepted.
   */
  abandonRequest(index: number, begin: number, length: number): boolean {
    return this.state !== 'closed' && this.out.abandon(index, begin, length);
  }

  /**
   * Sends a block the peer requested, without copying it (do not modify `block` afterwards).
   * False (nothing sent) when the request was cancelled, choked away or never made.
   */
  sendPiece(index: number, begin: number, block: Uint8Array): boolean {
    return this.ready() && this.out.piece(index, begin, block);
  }

  /** Refuses a request we accepted (e.g. the disk failed): a reject with fast, silence without. */
  reject(index: number, begin: number, length: number): boolean {
    return this.ready() && this.out.reject(index, begin, length);
  }

  /** Lets the peer request `index` while choked (BEP 6; needs fast). See `allowedFastSet`. */
  allowFast(index: number): boolean {
    return this.ready() && this.out.allowFast(index);
  }

  /** Suggests a piece (BEP 6; needs fast). */
  suggest(index: number): boolean {
    return this.ready() && this.out.suggest(index);
  }

  /** Tells the peer our DHT port (BEP 5). */
  sendPort(port: number): boolean {
    if (!this.ready()) return false;
    this.out.queue({ type: 'port', port });
    return true;
  }

  /** Sends our extended handshake (BEP 10): `m` from the registry, `reqq` defaulting to `maxPeerRequests`. */
  sendExtendedHandshake(fields: Omit<ExtendedHandshake, 'm'> = {}): boolean {
    return this.ready() && this.out.extendedHandshake(fields);
  }

  /** Sends an extension message under the peer's id for `name`; false when the peer does not support it. */
  sendExtension(name: string, payload: Uint8Array): boolean {
    return this.ready() && this.out.extension(name, payload);
  }

  /** A ut_metadata message (BEP 9); false when the peer does not support it. */
  sendMetadata(m: MetadataMessage): boolean {
    return this.sendExtension(UT_METADATA, encodeMetadataMessage(m));
  }

  /** A ut_pex message (BEP 11); false when the peer does not support it. */
  sendPex(m: PexMessage): boolean {
    return this.sendExtension(UT_PEX, encodePex(m));
  }

  /** Asks for merkle hashes (BEP 52); false when `maxHashRequests` are outstanding or it is outstanding already. */
  requestHashes(r: HashRequest): boolean {
    return this.ready() && this.out.requestHashes(r);
  }

  /** Answers a hash request of the peer's (`buildHashes` makes `hashes`); false when there is no such request. */
  sendHashes(r: HashRequest, hashes: Uint8Array): boolean {
    return this.ready() && this.out.hashes(r, hashes);
  }

  rejectHashes(r: HashRequest): boolean {
    return this.ready() && this.out.rejectHashes(r);
  }
}
