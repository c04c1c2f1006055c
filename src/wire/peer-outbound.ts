/**
 * The rules for what we send on an open connection: BEP 3 (availability first, requests only
 * to an unchoking peer that has the piece, blocks only for requests we accepted), BEP 6 (have
 * all / have none, rejects on choke except allowed-fast pieces, exactly one answer per
 * request), BEP 10 (extension ids from the peer's handshake) and BEP 52 (hash request
 * bookkeeping). `PeerConnection` calls these once it has checked that the connection is open.
 */
import { Bitfield } from './bitfield.js';
import { encodeExtendedHandshake, type ExtendedHandshake, type ExtensionRegistry } from './extension.js';
import type { HashRequest } from './hash-messages.js';
import type { BlockRef, WireMessage } from './messages.js';
import type { Outbox } from './outbox.js';
import type { PeerCounters } from './peer-types.js';
import { hashKey, type WireState } from './peer-state.js';
import { blockKey } from './request-book.js';

function pickRequest(r: HashRequest): HashRequest {
  return { piecesRoot: r.piecesRoot, baseLayer: r.baseLayer, index: r.index, length: r.length, proofLayers: r.proofLayers };
}

export class PeerOutbound {
  constructor(
    private readonly s: WireState,
    private readonly outbox: Outbox,
    private readonly extensions: ExtensionRegistry,
    private readonly counters: PeerCounters,
  ) {}

  queue(m: WireMessage): void {
    this.outbox.message(m);
    this.s.lastSentAt = this.s.now;
  }

  /** BEP 6: with the fast extension, have_all / have_none / bitfield MUST come first; we default to have_none. */
  ensureAnnounced(): void {
    if (this.s.availability.ourAnnounced) return;
    this.s.availability.announce('none');
    if (this.s.negotiated.fast) this.queue({ type: 'have_none' });
  }

  availability(have: Bitfield | 'all' | 'none'): void {
    const n = this.s.geometry?.pieceCount;
    if (have !== 'none' && n === undefined) throw new RangeError('pieces announced before the piece count is known');
    if (typeof have === 'object' && have.length !== n) throw new RangeError(`bitfield of ${have.length} pieces for a torrent of ${n}`);
    const all = have === 'all' || (typeof have === 'object' && have.complete);
    const none = have === 'none' || (typeof have === 'object' && have.count === 0);
    this.s.availability.announce(all ? 'all' : none ? 'none' : have);
    const fast = this.s.negotiated.fast;
    if (all) this.queue(fast ? { type: 'have_all' } : { type: 'bitfield', bitfield: Bitfield.full(n as number).bytes });
    else if (!none) this.queue({ type: 'bitfield', bitfield: (have as Bitfield).bytes });
    else if (fast) this.queue({ type: 'have_none' });
  }

  have(index: number): void {
    if (!this.s.availability.announceHave(index)) return;
    this.outbox.have(index);
    this.s.lastSentAt = this.s.now;
  }

  choke(): BlockRef[] {
    const s = this.s;
    if (s.amChoking) return [];
    s.amChoking = true;
    this.queue({ type: 'choke' });
    const dropped: BlockRef[] = [];
    for (const [key, r] of s.book.theirs) {
      if (s.negotiated.fast && s.grantedFast.has(r.index)) continue; // BEP 6: SHOULD NOT reject allowed-fast pieces
      s.book.deleteTheirs(key);
      dropped.push(r);
      if (s.negotiated.fast) this.queue({ type: 'reject', index: r.index, begin: r.begin, length: r.length });
    }
    return dropped;
  }

  unchoke(): void {
    if (!this.s.amChoking) return;
    this.s.amChoking = false;
    this.s.refusedRequests = 0;
    this.queue({ type: 'unchoke' });
  }

  interest(on: boolean): void {
    if (this.s.amInterested === on) return;
    this.s.amInterested = on;
    this.queue({ type: on ? 'interested' : 'not_interested' });
  }

  requestSlots(): number {
    const cap = Math.min(this.s.limits.maxOutstandingRequests, this.s.peerReqq ?? Infinity);
    return Math.max(0, cap - this.s.book.ours.size);
  }

  request(index: number, begin: number, length: number): boolean {
    const s = this.s;
    const len = s.pieceLength(index);
    if (len === 0 || length < 1 || length > s.limits.maxBlockLength || begin + length > len) throw new RangeError(`bad block request ${index}:${begin}:${length}`);
    if (!s.availability.peerHas(index) || this.requestSlots() === 0) return false;
    if (s.peerChoking && !(s.negotiated.fast && s.peerFast.has(index))) return false;
    if (!s.book.addOurs(index, begin, length)) return false;
    this.queue({ type: 'request', index, begin, length });
    return true;
  }

  cancel(index: number, begin: number, length: number): boolean {
    const key = blockKey(index, begin, length);
    if (!this.s.book.ours.has(key)) return false;
    this.queue({ type: 'cancel', index, begin, length });
    // BEP 6: with fast the peer still answers, so the request stays outstanding until then.
    if (!this.s.negotiated.fast) this.s.book.forget(key);
    return true;
  }

  abandon(index: number, begin: number, length: number): boolean {
    const key = blockKey(index, begin, length);
    if (!this.s.book.ours.has(key)) return false;
    this.s.book.forget(key);
    return true;
  }

  piece(index: number, begin: number, block: Uint8Array): boolean {
    if (!this.s.book.deleteTheirs(blockKey(index, begin, block.length))) return false;
    this.outbox.piece(index, begin, block);
    this.s.lastSentAt = this.s.now;
    this.counters.payloadSent += block.length;
    return true;
  }

  reject(index: number, begin: number, length: number): boolean {
    if (!this.s.book.deleteTheirs(blockKey(index, begin, length))) return false;
    if (this.s.negotiated.fast) this.queue({ type: 'reject', index, begin, length });
    return true;
  }

  allowFast(index: number): boolean {
    const s = this.s;
    if (!s.negotiated.fast || index >= (s.geometry?.pieceCount ?? 0)) return false;
    if (!s.grantedFast.has(index)) {
      s.grantFast(index);
      this.queue({ type: 'allowed_fast', index });
    }
    return true;
  }

  suggest(index: number): boolean {
    if (!this.s.negotiated.fast) return false;
    this.queue({ type: 'suggest', index });
    return true;
  }

  extendedHandshake(fields: Omit<ExtendedHandshake, 'm'>): boolean {
    if (!this.s.negotiated.extensionProtocol) return false;
    const payload = encodeExtendedHandshake({ reqq: this.s.limits.maxPeerRequests, ...fields, m: this.extensions.localMap });
    this.queue({ type: 'extended', id: 0, payload });
    return true;
  }

  extension(name: string, payload: Uint8Array): boolean {
    const id = this.extensions.remoteId(name);
    if (!this.s.negotiated.extensionProtocol || id === undefined) return false;
    this.queue({ type: 'extended', id, payload });
    return true;
  }

  requestHashes(r: HashRequest): boolean {
    const key = hashKey(r);
    const ours = this.s.ourHashRequests;
    if (ours.size >= this.s.limits.maxHashRequests || ours.has(key)) return false;
    ours.add(key);
    this.queue({ type: 'hash_request', ...pickRequest(r) });
    return true;
  }

  hashes(r: HashRequest, hashes: Uint8Array): boolean {
    if (!this.s.theirHashRequests.delete(hashKey(r))) return false;
    this.queue({ type: 'hashes', ...pickRequest(r), hashes });
    return true;
  }

  rejectHashes(r: HashRequest): boolean {
    if (!this.s.theirHashRequests.delete(hashKey(r))) return false;
    this.queue({ type: 'hash_reject', ...pickRequest(r) });
    return true;
  }
}
