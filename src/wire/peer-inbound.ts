/**
 * The rules for messages received on an open connection: BEP 3 (choke, interest,
 * availability, requests and blocks), BEP 6 (fast-extension messages only when negotiated,
 * exactly one answer per request), BEP 10 (extended messages, only when negotiated) and BEP 52
 * (hashes must answer a hash request). Each rule either updates `WireState` and reports the
 * message, answers it on its own (auto-rejects), or throws `PeerProtocolError`.
 */
import { PeerProtocolError } from './errors.js';
import { EXTENDED_HANDSHAKE_ID, UT_METADATA, UT_PEX, decodeExtendedHandshake, type ExtensionRegistry } from './extension.js';
import { hashRequestProblem } from './hash-messages.js';
import type { WireMessage } from './messages.js';
import type { PeerOutbound } from './peer-outbound.js';
import type { PeerCounters, PeerEvent } from './peer-types.js';
import { hashKey, type WireState } from './peer-state.js';
import { blockKey } from './request-book.js';
import { decodeMetadataMessage } from './ut-metadata.js';
import { decodePex } from './ut-pex.js';

type Msg<T extends WireMessage['type']> = Extract<WireMessage, { type: T }>;

export class PeerInbound {
  constructor(
    private readonly s: WireState,
    private readonly extensions: ExtensionRegistry,
    private readonly counters: PeerCounters,
    private readonly out: PeerOutbound,
  ) {}

  /** Applies one received message; pushes the events it causes. Throws `PeerProtocolError`. */
  handle(m: WireMessage, events: PeerEvent[]): void {
    const s = this.s;
    switch (m.type) {
      case 'keep_alive':
      case 'unknown': // BEP 10 and later BEPs add ids; unknown ones are skipped.
        return;
      case 'choke':
        s.peerChoking = true;
        events.push({ type: 'message', message: m });
        // BEP 3: a choke discards our pending requests; BEP 6: with fast, each still gets an answer.
        if (!s.negotiated.fast && s.book.ours.size > 0) events.push({ type: 'requests_dropped', requests: s.book.forgetAll() });
        return;
      case 'unchoke':
        s.peerChoking = false;
        break;
      case 'interested':
        s.peerInterested = true;
        break;
      case 'not_interested':
        s.peerInterested = false;
        break;
      case 'have':
        if (!s.availability.peerHave(m.index)) return; // a repeated have says nothing new
        break;
      case 'bitfield':
        if (this.announce('bitfield', m.bitfield, events)) return;
        break;
      case 'have_all':
      case 'have_none':
        this.needFast(m.type);
        if (this.announce(m.type, undefined, events)) return;
        break;
      case 'request':
        if (!this.request(m)) return;
        break;
      case 'piece':
        if (!s.book.settle(m.index, m.begin, m.block.length)) {
          if (s.limits.unrequestedPiece === 'ignore') return;
          throw new PeerProtocolError('unrequested_piece', `block ${m.index}:${m.begin}:${m.block.length} was never requested`);
        }
        this.counters.payloadReceived += m.block.length;
        break;
      case 'cancel':
        if (!s.book.deleteTheirs(blockKey(m.index, m.begin, m.length))) return; // served already
        if (s.negotiated.fast) this.out.queue({ type: 'reject', index: m.index, begin: m.begin, length: m.length }); // BEP 6: one answer each
        break;
      case 'reject':
        this.needFast(m.type);
        // A reject for nothing pending (crossed a cancel or a timeout) is ignored, as libtorrent does.
        if (!s.book.settle(m.index, m.begin, m.length)) return;
        break;
      case 'suggest':
        this.needFast(m.type);
        if (this.outOfRange(m.index)) return; // libtorrent ignores these too
        break;
      case 'allowed_fast':
        this.needFast(m.type);
        if (this.outOfRange(m.index)) return;
        if (s.peerFast.has(m.index) || s.peerFast.size >= s.limits.maxAllowedFast) return;
        s.allowFast(m.index);
        break;
      case 'port':
        break;
      case 'extended':
        this.extended(m, events);
        return;
      case 'hash_request':
        if (!this.hashRequest(m)) return;
        break;
      case 'hashes':
      case 'hash_reject':
        if (!s.ourHashRequests.delete(hashKey(m))) throw new PeerProtocolError('unrequested_hashes', `${m.type} answers no hash request of ours`);
        break;
    }
    events.push({ type: 'message', message: m });
  }

  private needFast(type: string): void {
    if (!this.s.negotiated.fast) throw new PeerProtocolError('not_negotiated', `${type} without the fast extension (BEP 6)`);
  }

  private checkIndex(type: string, index: number): void {
    if (this.outOfRange(index)) throw new PeerProtocolError('index_out_of_range', `${type} for piece ${index}, but the torrent has ${this.s.geometry?.pieceCount} pieces`);
  }

  private outOfRange(index: number): boolean {
    const g = this.s.geometry;
    return g !== undefined && index >= g.pieceCount;
  }

  /**
   * Bitfield / have_all / have_none (BEP 3, 6). True when it was a later announcement, merged
   * and reported as the haves it adds (see `Availability.peerAvailability`).
   */
  private announce(kind: 'bitfield' | 'have_all' | 'have_none', bytes: Uint8Array | undefined, events: PeerEvent[]): boolean {
    const added = this.s.availability.peerAvailability(kind, bytes);
    if (added === undefined) return false;
    for (const index of added) events.push({ type: 'message', message: { type: 'have', index } });
    return true;
  }

  /** A request from the peer: true when accepted (to be served), false when refused or a duplicate. */
  private request(m: Msg<'request'>): boolean {
    const s = this.s;
    if (!s.geometry) throw new PeerProtocolError('request_for_missing_piece', `request for piece ${m.index} before we announced any piece`);
    this.checkIndex('request', m.index);
    const pieceLength = s.pieceLength(m.index);
    if (m.length === 0 || m.length > s.limits.maxBlockLength || m.begin + m.length > pieceLength) {
      throw new PeerProtocolError('bad_request', `request ${m.index}:${m.begin}:${m.length} is not a block of the ${pieceLength}-byte piece (limit ${s.limits.maxBlockLength} bytes)`);
    }
    if (!s.availability.weHave(m.index)) throw new PeerProtocolError('request_for_missing_piece', `request for piece ${m.index}, which we never announced`);
    const key = blockKey(m.index, m.begin, m.length);
    if (s.book.theirs.has(key)) return false;
    const choked = s.amChoking && !s.grantedFast.has(m.index);
    if (choked || s.book.theirs.size >= s.limits.maxPeerRequests) {
      // Refusals count towards a drop. Clients pipeline more than our `reqq` (aria2 ignores it)
      // and libtorrent just rejects the excess, so an unchoked peer's count starts again with
      // each request we take (it is being served: pipelining); one that never reads is never
      // served, so its excess keeps counting (a flood, and every refusal queues a reject).
      if (++s.refusedRequests > s.limits.maxRefusedRequests) {
        throw new PeerProtocolError('too_many_requests', `more than ${s.limits.maxRefusedRequests} requests refused ${choked ? 'while choked' : `past the ${s.limits.maxPeerRequests} we hold`}`);
      }
      // BEP 6: reject what we will not serve; without fast the request is silently dropped.
      if (s.negotiated.fast) this.out.queue({ type: 'reject', index: m.index, begin: m.begin, length: m.length });
      return false;
    }
    s.book.addTheirs(key, { index: m.index, begin: m.begin, length: m.length });
    s.refusedRequests = 0;
    return true;
  }

  private hashRequest(m: Msg<'hash_request'>): boolean {
    const s = this.s;
    const key = hashKey(m);
    if (s.theirHashRequests.has(key)) return false;
    // BEP 52: every hash request gets hashes or a hash reject; bad or excess ones are rejected here.
    if (hashRequestProblem(m, s.limits.maxHashRequestLength) !== undefined || s.theirHashRequests.size >= s.limits.maxHashRequests) {
      this.out.queue({ type: 'hash_reject', piecesRoot: m.piecesRoot, baseLayer: m.baseLayer, index: m.index, length: m.length, proofLayers: m.proofLayers });
      return false;
    }
    s.theirHashRequests.add(key);
    return true;
  }

  private extended(m: Msg<'extended'>, events: PeerEvent[]): void {
    const s = this.s;
    if (!s.negotiated.extensionProtocol) throw new PeerProtocolError('not_negotiated', 'extended message without the extension protocol (BEP 10)');
    if (m.id === EXTENDED_HANDSHAKE_ID) {
      const h = decodeExtendedHandshake(m.payload, s.limits.extendedHandshake);
      this.extensions.applyRemote(h.m);
      if (h.reqq !== undefined) s.peerReqq = h.reqq;
      s.remoteExtended = h;
      events.push({ type: 'extended_handshake', handshake: h });
      return;
    }
    const name = this.extensions.localName(m.id);
    if (name === undefined) return; // an id we never assigned: nothing we speak
    if (name === UT_METADATA) {
      const message = decodeMetadataMessage(m.payload);
      if (message.type !== 'unknown') events.push({ type: 'metadata', message }); // BEP 9: unknown msg_type is ignored
    } else if (name === UT_PEX) {
      events.push({ type: 'pex', message: decodePex(m.payload, s.limits.pex) });
    } else {
      events.push({ type: 'extension', name, payload: m.payload });
    }
  }
}
