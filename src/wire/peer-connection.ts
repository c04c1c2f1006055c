/**
 * One peer connection as a state machine (sans I/O): fed `receive(bytes, now)` it returns
 * typed events; `poll(now)` handles keep-alives and timeouts; `nextDeadline()` says when to
 * poll next; the send methods queue bytes that the caller drains with `takeOutgoing()`.
 *
 * It enforces BEP 3 (handshake, choke/interest, bitfield, requests), BEP 6 (fast extension:
 * have_all/none, reject, allowed fast, suggest), BEP 10 (extended messages, decoding
 * ut_metadata and ut_pex) and BEP 52 (hash request correlation). A violation closes the
 * connection with an `error` event carrying a `PeerProtocolError`.
 *
 * Lifecycle: handshaking -> (incoming without an info hash: awaiting_accept) -> open -> closed.
 * The rules live in `peer-handshake.ts`, `peer-inbound.ts` and `peer-outbound.ts`; the send
 * methods in `peer-senders.ts` (the base class); this class holds the lifecycle, the input
 * loop, the timers and the state getters.
 */
import { ShoalError } from '../errors.js';
import type { Bitfield } from './bitfield.js';
import { MessageDecoder } from './decoder.js';
import { PeerProtocolError } from './errors.js';
import { ExtensionRegistry, type ExtendedHandshake } from './extension.js';
import { PEER_ID_LENGTH, featuresOf, makeReserved, sharedReservedBytes, wireFeatures, type Handshake, type HandshakeHeader, type WireFeatures } from './handshake.js';
import { HandshakeStage } from './peer-handshake.js';
import { PeerInbound } from './peer-inbound.js';
import { PeerOutbound } from './peer-outbound.js';
import { WireState, type ResolvedPeerLimits } from './peer-state.js';
import { encodedLength, type BlockRef, type WireMessage } from './messages.js';
import { Outbox } from './outbox.js';
import { PeerSenders } from './peer-senders.js';
import {
  PEER_LIMIT_DEFAULTS, type ConnectionState, type PeerConnectionOptions, type PeerCounters, type PeerEvent, type PeerLimits, type PieceGeometry,
} from './peer-types.js';

/** The typed inbox while empty (only 'messages' framing fills one; never written). */
const NO_MESSAGES: WireMessage[] = [];

const DEFAULT_FEATURES: WireFeatures = { extensionProtocol: true, fast: true, dht: false, v2Upgrade: false };

/**
 * The limits and the geometry of the last connection made, reused by the next when equal:
 * a swarm makes all its connections with the same ones (~180 bytes a connection end).
 */
let lastLimits: { readonly given: PeerLimits; readonly resolved: ResolvedPeerLimits } | undefined;
let lastGeometry: PieceGeometry | undefined;

function resolveLimits(given: PeerLimits): ResolvedPeerLimits {
  const last = lastLimits;
  if (last !== undefined && sameFields(last.given, given)) return last.resolved;
  const resolved = { ...PEER_LIMIT_DEFAULTS, ...given };
  lastLimits = { given, resolved };
  return resolved;
}

function sameFields(a: object, b: object): boolean {
  const ka = Object.keys(a), kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) if ((a as Record<string, unknown>)[k] !== (b as Record<string, unknown>)[k]) return false;
  return true;
}

function sharedGeometry(g: PieceGeometry): PieceGeometry {
  const last = lastGeometry;
  if (last !== undefined && last.pieceCount === g.pieceCount && last.pieceLength === g.pieceLength && last.lastPieceLength === g.lastPieceLength) return last;
  // A copy of the three fields: the caller's object may carry more, or change.
  return (lastGeometry = { pieceCount: g.pieceCount, pieceLength: g.pieceLength, lastPieceLength: g.lastPieceLength });
}

export class PeerConnection extends PeerSenders {
  readonly role: 'outgoing' | 'incoming';
  readonly limits: ResolvedPeerLimits;
  readonly extensions: ExtensionRegistry;
  readonly counters: PeerCounters = { bytesReceived: 0, bytesSent: 0, payloadReceived: 0, payloadSent: 0 };
  protected readonly s: WireState;
  protected readonly outbox: Outbox;
  private readonly decoder: MessageDecoder;
  private readonly inbound: PeerInbound;
  protected readonly out: PeerOutbound;
  private readonly ourReserved: Uint8Array;
  private readonly ourPeerId: Uint8Array;
  private readonly hs: HandshakeStage;
  private _state: ConnectionState = 'handshaking';
  private typedHandshake: Handshake | undefined;
  private typedInbox: WireMessage[] = NO_MESSAGES;
  private typedHead = 0;
  private lastReceivedAt: number;
  private readonly handshakeDeadline: number;

  constructor(options: PeerConnectionOptions) {
    super();
    const { role, peerId, now, infoHash, acceptInfoHashes, expectedPeerId, features, geometry, extensions, framing, ...limits } = options;
    this.limits = resolveLimits(limits);
    if (peerId.length !== PEER_ID_LENGTH) throw new RangeError('peer id must be 20 bytes');
    if (role === 'outgoing' && !infoHash) throw new RangeError('an outgoing connection needs the info hash');
    // BEP 52: a peer answering the upgrade bit replies with the truncated v2 hash (libtorrent does).
    if (role === 'outgoing' && features?.v2Upgrade && (acceptInfoHashes?.length ?? 0) < 2) {
      throw new RangeError('announcing the v2 upgrade needs acceptInfoHashes with both the v1 and the truncated v2 info hash');
    }
    this.role = role;
    this.ourPeerId = peerId;
    this.hs = new HandshakeStage(role, infoHash, acceptInfoHashes ?? (infoHash ? [infoHash] : []), expectedPeerId);
    this.ourReserved = sharedReservedBytes(makeReserved({ ...DEFAULT_FEATURES, ...features }));
    this.extensions = new ExtensionRegistry(extensions);
    this.outbox = new Outbox(framing);
    this.decoder = new MessageDecoder({ maxMessageLength: this.limits.maxMessageLength, maxBlockLength: this.limits.maxBlockLength });
    this.s = new WireState(this.limits);
    this.out = new PeerOutbound(this.s, this.outbox, this.extensions, this.counters);
    this.inbound = new PeerInbound(this.s, this.extensions, this.counters, this.out);
    if (geometry) this.applyGeometry(geometry);
    this.s.now = this.s.lastSentAt = this.lastReceivedAt = now;
    this.handshakeDeadline = now + this.limits.handshakeTimeoutMs;
    if (role === 'outgoing') this.sendHandshake();
  }

  // ---- state -------------------------------------------------------------------------------

  get state(): ConnectionState {
    return this._state;
  }
  /** The info hash the peer's handshake carried (20 bytes), once read. */
  get remoteInfoHash(): Uint8Array | undefined {
    return this.hs.header?.infoHash;
  }
  get remotePeerId(): Uint8Array | undefined {
    return this.hs.peerId;
  }
  /** Reserved bits the peer announced. */
  get remoteFeatures(): WireFeatures {
    return this.hs.remote;
  }
  /** Features both sides announced: the ones in use. */
  get negotiated(): WireFeatures {
    return this.s.negotiated;
  }
  get geometry(): PieceGeometry | undefined {
    return this.s.geometry;
  }
  get amChoking(): boolean {
    return this.s.amChoking;
  }
  get amInterested(): boolean {
    return this.s.amInterested;
  }
  get peerChoking(): boolean {
    return this.s.peerChoking;
  }
  get peerInterested(): boolean {
    return this.s.peerInterested;
  }
  /** The peer's pieces (once the piece count is known). */
  get peerPieces(): Bitfield | undefined {
    return this.s.availability.peer;
  }
  peerHas(index: number): boolean {
    return this.s.availability.peerHas(index);
  }
  /** Pieces the peer lets us request while it chokes us (BEP 6). */
  get allowedFast(): ReadonlySet<number> {
    return this.s.peerFast;
  }
  /** Our requests the peer has not answered yet. */
  get outstandingRequests(): ReadonlyMap<string, BlockRef> {
    return this.s.book.ours;
  }
  /** The peer's requests we accepted and have not answered (serve them with `sendPiece`). */
  get peerRequests(): ReadonlyMap<string, BlockRef> {
    return this.s.book.theirs;
  }
  /** How many more requests `request()` would take now. */
  get requestSlots(): number {
    return this.out.requestSlots();
  }
  /** The peer's latest extended handshake. */
  get remoteExtendedHandshake(): ExtendedHandshake | undefined {
    return this.s.remoteExtended;
  }
  /** Bytes queued and not yet taken. */
  get outgoingBytes(): number {
    return this.outbox.queuedBytes;
  }

  // ---- input -------------------------------------------------------------------------------

  /**
   * Bytes from the socket. Do not modify `bytes` afterwards (blocks are views into it), unless
   * `volatile`: then the bytes may be reused once the returned events have been handled, and
   * only `piece` blocks in those events are views (consume them before reusing the buffer).
   */
  receive(bytes: Uint8Array, now: number, volatile = false): PeerEvent[] {
    const events: PeerEvent[] = [];
    if (this._state === 'closed') return events;
    if (this.outbox.framing !== 'bytes') throw new ShoalError("receive() is for 'bytes' framing; use receiveHandshake()/receiveMessage()");
    this.s.now = this.lastReceivedAt = now;
    this.counters.bytesReceived += bytes.length;
    this.decoder.push(bytes, volatile);
    if (this._state === 'awaiting_accept' && this.decoder.bufferedBytes > 2 * this.limits.maxMessageLength) {
      // Only a greeting (bitfield, extended handshake) may come before we answer.
      this.fail(new PeerProtocolError('unexpected_message', `${this.decoder.bufferedBytes} bytes sent before we answered the handshake`), events);
      return events;
    }
    this.run(events);
    if (volatile) this.decoder.settle();
    return events;
  }

  /** The peer's handshake, on a typed transport ('messages' framing). */
  receiveHandshake(h: Handshake, now: number): PeerEvent[] {
    const events: PeerEvent[] = [];
    if (!this.typedInput(now, 68)) return events;
    this.typedHandshake = h;
    this.run(events);
    return events;
  }

  /** A message, on a typed transport ('messages' framing). */
  receiveMessage(m: WireMessage, now: number): PeerEvent[] {
    const events: PeerEvent[] = [];
    if (!this.typedInput(now, encodedLength(m))) return events;
    if (this.typedInbox === NO_MESSAGES) this.typedInbox = [];
    this.typedInbox.push(m);
    this.run(events);
    return events;
  }

  private typedInput(now: number, bytes: number): boolean {
    if (this._state === 'closed') return false;
    if (this.outbox.framing !== 'messages') throw new ShoalError("receiveHandshake()/receiveMessage() are for 'messages' framing; use receive()");
    this.s.now = this.lastReceivedAt = now;
    this.counters.bytesReceived += bytes;
    return true;
  }

  /**
   * Answers an incoming connection after the `info_hash` event: `infoHash` is what our
   * handshake carries (the same bytes, or for a hybrid torrent the truncated v2 hash to
   * upgrade, BEP 52).
   */
  accept(params: { infoHash: Uint8Array; geometry?: PieceGeometry; now: number }): PeerEvent[] {
    if (this._state !== 'awaiting_accept') throw new ShoalError(`peer connection: accept() in state ${this._state}`);
    this.s.now = params.now;
    this.hs.ourInfoHash = params.infoHash;
    this.hs.shareInfoHash(params.infoHash);
    if (params.geometry) this.applyGeometry(params.geometry);
    this._state = 'handshaking';
    const events: PeerEvent[] = [];
    this.run(events);
    return events;
  }

  /** The piece space became known (metadata fetched). May report a violation found in held announcements. */
  setGeometry(g: PieceGeometry): PeerEvent[] {
    const events: PeerEvent[] = [];
    if (this._state === 'closed') return events;
    try {
      this.applyGeometry(g);
    } catch (e) {
      if (!(e instanceof PeerProtocolError)) throw e;
      this.fail(e, events);
    }
    return events;
  }

  private applyGeometry(g: PieceGeometry): void {
    if (this.s.geometry) throw new ShoalError('peer connection: geometry already set');
    if (!(g.pieceCount >= 1 && g.pieceLength >= 1 && g.lastPieceLength >= 1 && g.lastPieceLength <= g.pieceLength)) throw new RangeError('bad piece geometry');
    this.s.geometry = sharedGeometry(g);
    this.decoder.setMaxMessageLength(Math.max(this.limits.maxMessageLength, 1 + Math.ceil(g.pieceCount / 8)));
    this.s.availability.setPieceCount(g.pieceCount);
  }

  /** Bytes of piece `index` (0 when out of range or unknown). */
  pieceLength(index: number): number {
    return this.s.pieceLength(index);
  }

  private run(events: PeerEvent[]): void {
    try {
      while (this._state === 'handshaking' || this._state === 'open') {
        if (this._state === 'handshaking') {
          const step = this.hs.advance(this.outbox.framing === 'bytes' ? this.decoder : undefined, this.typedHandshake);
          if (step === 'more') return;
          if (step === 'ask') {
            const h = this.hs.header as HandshakeHeader;
            this._state = 'awaiting_accept';
            events.push({ type: 'info_hash', infoHash: h.infoHash, reserved: h.reserved });
            return;
          }
          if (step === 'answer') this.sendHandshake();
          else this.open(events);
          continue;
        }
        const m = this.outbox.framing === 'bytes' ? this.decoder.next() : this.nextTyped();
        if (!m) return;
        this.inbound.handle(m, events);
      }
    } catch (e) {
      if (!(e instanceof PeerProtocolError)) throw e;
      this.fail(e, events);
    }
  }

  private open(events: PeerEvent[]): void {
    const ours = featuresOf(this.ourReserved), r = this.hs.remote;
    this.s.negotiated = wireFeatures(ours.extensionProtocol && r.extensionProtocol, ours.fast && r.fast, ours.dht && r.dht, ours.v2Upgrade && r.v2Upgrade);
    this._state = 'open';
    const h = this.hs.header as HandshakeHeader;
    events.push({ type: 'handshake', infoHash: h.infoHash, peerId: this.hs.peerId as Uint8Array, remote: r, negotiated: this.s.negotiated });
  }

  private nextTyped(): WireMessage | undefined {
    if (this.typedHead >= this.typedInbox.length) {
      this.typedInbox = NO_MESSAGES;
      this.typedHead = 0;
      return undefined;
    }
    return this.typedInbox[this.typedHead++];
  }

  private fail(error: PeerProtocolError, events: PeerEvent[]): void {
    this.close();
    events.push({ type: 'error', error });
  }

  /** Stops the connection: later input is ignored and sends return false. The caller closes the socket. */
  close(): void {
    this._state = 'closed';
    this.typedInbox = NO_MESSAGES;
    this.typedHead = 0;
  }

  // ---- time --------------------------------------------------------------------------------

  /** Queues a keep-alive after `keepAliveIntervalMs` of our silence; times out a slow handshake or a silent peer. */
  poll(now: number): PeerEvent[] {
    const events: PeerEvent[] = [];
    if (this._state === 'closed') return events;
    this.s.now = now;
    // Deadlines are compared as `nextDeadline()` computes them: with fractional times,
    // `now - last >= interval` can be false at `last + interval` itself, and a timer armed for
    // that deadline would then fire again and again at the same (virtual) instant.
    if (this._state !== 'open') {
      if (now >= this.handshakeDeadline) {
        this.close();
        events.push({ type: 'timeout', reason: 'handshake' });
      }
    } else if (now >= this.lastReceivedAt + this.limits.idleTimeoutMs) {
      this.close();
      events.push({ type: 'timeout', reason: 'idle' });
    } else if (now >= this.s.lastSentAt + this.limits.keepAliveIntervalMs) {
      this.out.queue({ type: 'keep_alive' });
    }
    return events;
  }

  /** When `poll` must next be called (Infinity once closed). */
  nextDeadline(): number {
    if (this._state === 'closed') return Infinity;
    if (this._state !== 'open') return this.handshakeDeadline;
    return Math.min(this.lastReceivedAt + this.limits.idleTimeoutMs, this.s.lastSentAt + this.limits.keepAliveIntervalMs);
  }

  private sendHandshake(): void {
    this.outbox.handshake({ reserved: this.ourReserved, infoHash: this.hs.ourInfoHash as Uint8Array, peerId: this.ourPeerId });
    this.s.lastSentAt = this.s.now;
  }
}
