/**
 * Which pieces each side of one connection has announced: the peer's bitfield (from
 * bitfield / have_all / have_none / have, BEP 3 and 6) and what we announced to it. Before the
 * piece count is known (a magnet link still fetching metadata) the peer's announcements are
 * held and checked once `setPieceCount` is called.
 */
import { Bitfield } from './bitfield.js';
import { PeerProtocolError } from './errors.js';

type Pending = { readonly kind: 'bitfield'; readonly bytes: Uint8Array } | { readonly kind: 'all' } | { readonly kind: 'none' };

export class Availability {
  private pieceCount: number | undefined;
  private peerBits: Bitfield | undefined;
  private pending: Pending | undefined;
  /** Haves held until the piece count is known (made on the first: most connections never need it). */
  private pendingHaves: Set<number> | undefined;
  /** The peer announced something (a bitfield may only come first). */
  private peerAnnounced = false;
  private ourBits: Bitfield | undefined;
  private ourAll = false;
  /** We announced something (or chose not to): later announcements are `have`s. */
  ourAnnounced = false;

  constructor(private readonly maxPendingHaves: number, pieceCount?: number) {
    if (pieceCount !== undefined) this.setPieceCount(pieceCount);
  }

  get known(): boolean {
    return this.pieceCount !== undefined;
  }

  /** The peer's pieces, once the piece count is known. */
  get peer(): Bitfield | undefined {
    return this.peerBits;
  }

  /** Resolves held announcements; throws `PeerProtocolError` when they do not fit `n` pieces. */
  setPieceCount(n: number): void {
    if (this.pieceCount !== undefined) throw new RangeError('piece count already set');
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`piece count must be a positive integer, got ${n}`);
    this.pieceCount = n;
    this.ourBits = this.ourAll ? Bitfield.full(n) : new Bitfield(n);
    const p = this.pending;
    this.peerBits = !p || p.kind === 'none' ? new Bitfield(n) : p.kind === 'all' ? Bitfield.full(n) : Bitfield.fromWire(p.bytes, n);
    this.pending = undefined;
    const held = this.pendingHaves;
    this.pendingHaves = undefined;
    if (held) for (const i of held) this.peerHave(i);
  }

  /**
   * A bitfield, have_all or have_none from the peer. The first announcement returns
   * `undefined` (report it as is). A later one (after haves, or a second bitfield: aria2 sends
   * a bitfield instead of a run of haves, even after have_none) is merged, as libtorrent
   * tolerates it: returns the pieces it adds (report them as haves); pieces are never
   * withdrawn, so a later have_none changes nothing. Before the piece count is known the
   * merge is held and nothing is returned.
   */
  peerAvailability(kind: 'bitfield' | 'have_all' | 'have_none', bytes?: Uint8Array): number[] | undefined {
    const first = !this.peerAnnounced;
    this.peerAnnounced = true;
    const n = this.pieceCount;
    if (n === undefined) {
      this.hold(kind, bytes);
      return first ? undefined : [];
    }
    const incoming = kind === 'bitfield' ? Bitfield.fromWire(bytes ?? new Uint8Array(0), n) : kind === 'have_all' ? Bitfield.full(n) : new Bitfield(n);
    const current = this.peerBits as Bitfield;
    if (first) {
      this.peerBits = incoming;
      return undefined;
    }
    const added: number[] = [];
    if (incoming.count > 0) for (const i of incoming.indices()) if (current.set(i)) added.push(i);
    return added;
  }

  /** Merges an announcement made before the piece count is known (copied: bytes are a view). */
  private hold(kind: 'bitfield' | 'have_all' | 'have_none', bytes?: Uint8Array): void {
    const p = this.pending;
    if (kind === 'have_none' || p?.kind === 'all') {
      this.pending ??= { kind: 'none' };
    } else if (kind === 'have_all') {
      this.pending = { kind: 'all' };
    } else {
      const b = new Uint8Array(bytes ?? new Uint8Array(0));
      if (p?.kind === 'bitfield') {
        if (p.bytes.length !== b.length) throw new PeerProtocolError('bad_bitfield', `a second bitfield of ${b.length} bytes, after one of ${p.bytes.length}`);
        for (let i = 0; i < b.length; i++) b[i] |= p.bytes[i];
      }
      this.pending = { kind: 'bitfield', bytes: b };
    }
  }

  /** A have from the peer; returns true when the piece is new to us. */
  peerHave(index: number): boolean {
    this.peerAnnounced = true;
    const n = this.pieceCount;
    if (n !== undefined) {
      if (index >= n) throw new PeerProtocolError('index_out_of_range', `have for piece ${index}, but the torrent has ${n} pieces`);
      return (this.peerBits as Bitfield).set(index);
    }
    if (this.pending?.kind === 'bitfield' && index >= this.pending.bytes.length * 8) {
      throw new PeerProtocolError('index_out_of_range', `have for piece ${index}, past the peer's own bitfield`);
    }
    const held = (this.pendingHaves ??= new Set());
    if (held.size >= this.maxPendingHaves && !held.has(index)) {
      throw new PeerProtocolError('unexpected_message', `more than ${this.maxPendingHaves} haves before the piece count is known`);
    }
    const fresh = !held.has(index);
    held.add(index);
    return fresh;
  }

  peerHas(index: number): boolean {
    return this.peerBits?.has(index) ?? false;
  }

  /** Records what we announce first: every piece, none, or a bitfield (copied). */
  announce(what: Bitfield | 'all' | 'none'): void {
    this.ourAnnounced = true;
    if (what === 'all') {
      this.ourAll = true;
      if (this.pieceCount !== undefined) this.ourBits = Bitfield.full(this.pieceCount);
    } else if (what !== 'none') {
      this.ourBits = new Bitfield(what.length, what.bytes);
    }
  }

  /** Records a have we send; returns false when it was announced already. */
  announceHave(index: number): boolean {
    this.ourAnnounced = true;
    if (!this.ourBits) throw new RangeError('cannot announce a piece before the piece count is known');
    return this.ourBits.set(index);
  }

  weHave(index: number): boolean {
    return this.ourBits?.has(index) ?? false;
  }
}
