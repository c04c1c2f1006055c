/**
 * The piece picker: which blocks to ask a peer for next.
 *
 * - the first `randomFirstPieces` pieces are picked at random (a new peer gets something to
 *   trade quickly), then rarest first among the pieces the peer has;
 * - partly downloaded pieces are finished before new ones are started;
 * - per-piece priorities (0 = skip; higher first), set from file priorities by the caller;
 * - a streaming window: pieces in [from, from + size) are taken in order before any other;
 * - strict end game: only once every missing block is requested may a block be requested
 *   from a second peer, and only by a peer with nothing outstanding, `endGameRequests` (1)
 *   at a time, the block fewest peers are fetching, newest piece first (as libtorrent: a
 *   busy block only for an idle peer; many seeders with deep queues otherwise fetch much of
 *   the tail twice); when it arrives the others are told to cancel.
 *
 * The order is kept incrementally: pieces still to start sit in one `PieceBands` per
 * priority, banded by availability, so a pick reads the front of the highest band instead
 * of scanning every piece; a peer's have moves one piece one band (O(1)). Seeds are
 * counted once (`addSeed`), not per piece. `done` and interest read counters, not scans.
 *
 * A pure data structure: no I/O, no clock; randomness comes from the caller.
 */
import type { Random } from '../runtime/types.js';
import { Bitfield } from '../util/bitfield.js';
import { PieceBands } from './piece-bands.js';
import { NONE, Partial, RECEIVED, REQUESTED, requestedBytesOf } from './partial-piece.js';

export const BLOCK_LENGTH = 16 * 1024;
export const MAX_PRIORITY = 7;

export interface PiecePickerOptions {
  /** Pieces picked at random before switching to rarest first (default 4). */
  randomFirstPieces?: number;
  /** End game: blocks already requested elsewhere that an idle peer may ask for at once (default 1). */
  endGameRequests?: number;
}

/** A block of a piece (same shape as the wire's `BlockRef`). */
export interface BlockRef {
  readonly index: number;
  readonly begin: number;
  readonly length: number;
}

/** What the picker needs to know of a peer. `P` is the caller's peer handle. */
export interface PickContext<P> {
  readonly peer: P;
  /** The peer's pieces. */
  readonly has: { has(i: number): boolean };
  /** True when the peer has every piece (a seed): skips the per-piece check. */
  readonly isSeed?: boolean;
  /** Requests the peer owes us now; end game duplicates go only to a peer with none (default 0). */
  readonly outstanding?: number;
  /**
   * Before end game, when nothing unrequested is left that this peer has: may it also ask for
   * this block, now requested only from `holder` (which would deliver it much later)? The
   * first copy in wins and the other requester gets a cancel, as in end game. Unset: never.
   */
  readonly steal?: (holder: P, index: number, begin: number) => boolean;
}

export class PiecePicker<P> {
  readonly have: Bitfield;
  /** Peers that have each piece, seeds not counted (they are `seeds`). */
  private readonly availability: Uint32Array;
  private seeds = 0;
  private readonly priority: Uint8Array;
  private readonly partials = new Map<number, Partial<P>>();
  /** Pieces wanted, not had and not started, per priority (index 0 unused), banded by availability. */
  private readonly bands: PieceBands[] = [];
  /** Each piece's place in its band (-1: not in one). */
  private readonly bandPos: Int32Array;
  /** Wanted pieces (priority > 0) not yet verified. */
  private missing = 0;
  /** The same pieces as bits (`wants`), for `interestedIn` a byte at a time. */
  private readonly wanted: Bitfield;
  /** Unrequested blocks over all wanted pieces; end game starts when it reaches 0. */
  private unrequestedBlocks = 0;
  /** Bytes of blocks requested and not yet received, counted per peer asked (end game duplicates too). */
  private requested = 0;
  private readonly randomFirst: number;
  private readonly endGameRequests: number;
  private streamFrom = -1;
  private streamSize = 0;
  /** Scratch for the partial-piece pass (reused: pick runs per refill). */
  private readonly scratch: number[] = [];

  /**
   * @param pieceBytes bytes of each piece that travel on the wire (pad-only tails excluded)
   */
  constructor(private readonly pieceBytes: ArrayLike<number>, private readonly random: Random, options: PiecePickerOptions = {}) {
    const n = pieceBytes.length;
    this.have = new Bitfield(n);
    this.wanted = Bitfield.full(n);
    this.availability = new Uint32Array(n);
    this.priority = new Uint8Array(n).fill(1);
    this.randomFirst = options.randomFirstPieces ?? 4;
    this.endGameRequests = options.endGameRequests ?? 1;
    this.bandPos = new Int32Array(n).fill(-1);
    for (let prio = 0; prio <= MAX_PRIORITY; prio++) this.bands.push(new PieceBands(this.bandPos));
    for (let i = 0; i < n; i++) this.unrequestedBlocks += this.blockCount(i);
    // Every piece starts wanted (priority 1), not had, seen by nobody.
    this.bands[1].fillKeyZero(n);
    this.missing = n;
  }

  /** Puts a piece in its band if it is wanted, not had and not started. */
  private enlist(i: number): void {
    if (this.bandPos[i] < 0 && this.priority[i] > 0 && !this.have.has(i) && !this.partials.has(i)) this.bands[this.priority[i]].insert(i, this.availability[i]);
  }
  private delist(i: number): void {
    if (this.bandPos[i] >= 0) this.bands[this.priority[i]].remove(i, this.availability[i]);
  }

  get pieceCount(): number {
    return this.pieceBytes.length;
  }

  blockCount(piece: number): number {
    return Math.ceil(this.pieceBytes[piece] / BLOCK_LENGTH);
  }

  blockLength(piece: number, block: number): number {
    return Math.min(BLOCK_LENGTH, this.pieceBytes[piece] - block * BLOCK_LENGTH);
  }

  /** True when every wanted piece is verified. */
  get done(): boolean {
    return this.missing === 0;
  }

  /** Bytes of blocks requested from peers and not yet received or dropped, all peers together. */
  get requestedBytes(): number {
    return this.requested;
  }

  get inEndGame(): boolean {
    return this.unrequestedBlocks === 0 && !this.done;
  }

  // --- availability -------------------------------------------------------

  peerHas(piece: number): void {
    const a = this.availability[piece];
    if (this.bandPos[piece] >= 0) this.bands[this.priority[piece]].increment(piece, a);
    this.availability[piece] = a + 1;
  }
  peerLost(piece: number): void {
    const a = this.availability[piece];
    if (a === 0) return;
    if (this.bandPos[piece] >= 0) this.bands[this.priority[piece]].decrement(piece, a);
    this.availability[piece] = a - 1;
  }
  peerBitfield(bits: { has(i: number): boolean }, delta: 1 | -1 = 1): void {
    for (let i = 0; i < this.pieceCount; i++) {
      if (!bits.has(i)) continue;
      if (delta > 0) this.peerHas(i);
      else this.peerLost(i);
    }
  }
  /** A seed (every piece) joined: counted once, not per piece. */
  addSeed(): void {
    this.seeds++;
  }
  /** A seed counted with `addSeed` left. */
  removeSeed(): void {
    if (this.seeds > 0) this.seeds--;
  }
  availabilityOf(piece: number): number {
    return this.availability[piece] + this.seeds;
  }

  // --- priorities -----------------------------------------------------------

  /** 0 skips the piece; 1..7, higher first. */
  setPriority(piece: number, priority: number): void {
    const p = Math.max(0, Math.min(MAX_PRIORITY, Math.floor(priority)));
    const old = this.priority[piece];
    if (old === p) return;
    if (!this.have.has(piece) && !this.partials.has(piece)) {
      if (old === 0) this.unrequestedBlocks += this.blockCount(piece);
      if (p === 0) this.unrequestedBlocks -= this.blockCount(piece);
    }
    if (!this.have.has(piece)) {
      this.missing += (p > 0 ? 1 : 0) - (old > 0 ? 1 : 0);
      if (p > 0) this.wanted.set(piece);
      else this.wanted.clear(piece);
    }
    this.delist(piece);
    this.priority[piece] = p;
    this.enlist(piece);
  }
  priorityOf(piece: number): number {
    return this.priority[piece];
  }

  /** Prefer pieces [from, from + size) in order (streaming); size 0 turns it off. */
  setStreamingWindow(from: number, size: number): void {
    this.streamFrom = size > 0 ? from : -1;
    this.streamSize = size;
  }

  // --- picking ----------------------------------------------------------------

  /** True when we still need piece i. */
  wants(i: number): boolean {
    return this.priority[i] > 0 && !this.have.has(i);
  }

  /**
   * Up to `count` blocks to request from this peer, marked as requested by it.
   * In end game, blocks already requested from others (but not from this peer) are returned.
   */
  pick(ctx: PickContext<P>, count: number): BlockRef[] {
    const out: BlockRef[] = [];
    if (count <= 0) return out;
    const has = (i: number) => ctx.isSeed === true || ctx.has.has(i);
    // 1. the streaming window, in order
    if (this.streamFrom >= 0) {
      const end = Math.min(this.pieceCount, this.streamFrom + this.streamSize);
      for (let i = this.streamFrom; i < end && out.length < count; i++) if (this.wants(i) && has(i)) this.takeBlocks(i, ctx.peer, count, out);
    }
    // 2. finish partial pieces (highest priority first)
    if (out.length < count && this.partials.size > 0) {
      const partial = this.scratch;
      partial.length = 0;
      for (const [i, p] of this.partials) if (p.unrequested > 0 && has(i)) partial.push(i);
      if (partial.length > 1) partial.sort((a, b) => this.priority[b] - this.priority[a] || this.availability[a] - this.availability[b]);
      for (const i of partial) {
        if (out.length >= count) break;
        this.takeBlocks(i, ctx.peer, count, out);
      }
    }
    // 3. new pieces: random first, then rarest first
    while (out.length < count) {
      const next = this.have.count < this.randomFirst ? this.randomPiece(has) : this.rarestPiece(has, ctx.isSeed === true);
      if (next < 0) break;
      this.takeBlocks(next, ctx.peer, count, out);
    }
    // 4. end game: duplicate requests for blocks others are fetching
    if (out.length === 0 && this.unrequestedBlocks === 0 && (ctx.outstanding ?? 0) === 0) this.busyPick(ctx.peer, has, Math.min(count, this.endGameRequests), out);
    // 5. before end game, an idle fast peer takes blocks a slow one would deliver much later
    else if (out.length === 0 && ctx.steal && this.unrequestedBlocks > 0) this.busyPick(ctx.peer, has, count, out, ctx.steal);
    return out;
  }

  /**
   * Every block of piece `piece` if nobody has started it (wanted, not had): a web seed
   * (BEP 19) extends a run of adjacent pieces with it. [] otherwise.
   */
  takePiece(piece: number, peer: P): BlockRef[] {
    const out: BlockRef[] = [];
    if (piece >= 0 && piece < this.pieceCount && this.bandPos[piece] >= 0) this.takeBlocks(piece, peer, Infinity, out);
    return out;
  }

  /** Bytes of piece `piece` that travel on the wire (its blocks end there). */
  wireBytes(piece: number): number {
    return this.pieceBytes[piece];
  }

  private startable(i: number, has: (i: number) => boolean): boolean {
    return this.bandPos[i] >= 0 && this.availabilityOf(i) > 0 && has(i);
  }

  private randomPiece(has: (i: number) => boolean): number {
    const n = this.pieceCount;
    for (let tries = 0; tries < 32; tries++) {
      const i = this.random.int(n);
      if (this.startable(i, has)) return i;
    }
    return this.rarestPiece(has, false);
  }

  /**
   * The startable piece with the highest priority, then the lowest availability; among
   * equals, the first the peer has from a random place in the band. Reads bands from the
   * front, so the cost is the pieces skipped (none for a seed), not the torrent's size.
   */
  private rarestPiece(has: (i: number) => boolean, peerIsSeed: boolean): number {
    for (let prio = MAX_PRIORITY; prio > 0; prio--) {
      const bands = this.bands[prio];
      if (bands.size === 0) continue;
      const items = bands.items;
      for (let k = this.seeds > 0 ? 0 : 1; k < bands.keys; k++) {
        const [begin, end] = bands.band(k);
        const len = end - begin;
        if (len === 0) continue;
        const off = this.random.int(len);
        if (peerIsSeed) return items[begin + off];
        for (let j = 0; j < len; j++) {
          const i = items[begin + ((off + j) % len)];
          if (has(i)) return i;
        }
      }
    }
    return -1;
  }

  private takeBlocks(piece: number, peer: P, count: number, out: BlockRef[]): void {
    let p = this.partials.get(piece);
    if (!p) {
      this.delist(piece);
      p = new Partial<P>(this.blockCount(piece));
      this.partials.set(piece, p);
    }
    for (let b = 0; b < p.blocks && out.length < count; b++) {
      if (p.state[b] !== NONE) continue;
      p.state[b] = REQUESTED;
      p.requesters[b] = [peer];
      p.unrequested--;
      this.unrequestedBlocks--;
      const length = this.blockLength(piece, b);
      this.requested += length;
      out.push({ index: piece, begin: b * BLOCK_LENGTH, length });
    }
  }

  /**
   * Busy blocks for an idle peer: fewest requesters first, newest piece and last block first
   * (likely last in the others' queues). With `steal`: only blocks with one requester that
   * `steal` lets this peer take.
   */
  private busyPick(peer: P, has: (i: number) => boolean, count: number, out: BlockRef[], steal?: PickContext<P>['steal']): void {
    const pieces = [...this.partials.keys()].filter(has).reverse();
    while (out.length < count) {
      let bestPiece = -1, bestBlock = -1, fewest = Infinity;
      for (const piece of pieces) {
        const p = this.partials.get(piece)!;
        for (let b = p.blocks - 1; b >= 0; b--) {
          const who = p.requesters[b];
          if (p.state[b] !== REQUESTED || !who || who.includes(peer) || who.length >= fewest) continue;
          if (steal && (who.length !== 1 || !steal(who[0], piece, b * BLOCK_LENGTH))) continue;
          bestPiece = piece;
          bestBlock = b;
          fewest = who.length;
        }
        if (fewest === 1) break;
      }
      if (bestPiece < 0) return;
      this.partials.get(bestPiece)!.requesters[bestBlock]!.push(peer);
      const length = this.blockLength(bestPiece, bestBlock);
      this.requested += length;
      out.push({ index: bestPiece, begin: bestBlock * BLOCK_LENGTH, length });
    }
  }

  // --- progress -----------------------------------------------------------------

  /**
   * A block arrived from `peer`. Returns whether it was wanted, the other peers whose
   * duplicate requests should be cancelled (end game), and whether the piece is now
   * fully received (ready to verify).
   */
  blockReceived(ref: { index: number; begin: number }, peer: P): { accepted: boolean; cancel: P[]; pieceComplete: boolean } {
    const p = this.partials.get(ref.index);
    const b = ref.begin / BLOCK_LENGTH;
    if (!p || !Number.isInteger(b) || b >= p.blocks || p.state[b] === RECEIVED) return { accepted: false, cancel: [], pieceComplete: false };
    if (p.state[b] === NONE) {
      // Arrived after we gave up on the request (e.g. a timeout); still useful.
      p.unrequested--;
      this.unrequestedBlocks--;
    }
    const who = p.requesters[b];
    const cancel = who ? who.filter((x) => x !== peer) : [];
    // Every request for it is settled: this one answered, the others get a cancel.
    if (who) this.requested -= who.length * this.blockLength(ref.index, b);
    p.state[b] = RECEIVED;
    p.requesters[b] = undefined;
    p.received++;
    return { accepted: true, cancel, pieceComplete: p.received === p.blocks };
  }

  /** Forgets a request (cancelled, rejected, timed out, peer gone) so another peer can take it. */
  requestDropped(ref: { index: number; begin: number }, peer: P): void {
    const p = this.partials.get(ref.index);
    if (!p) return;
    const b = ref.begin / BLOCK_LENGTH;
    const who = p.requesters[b];
    if (p.state[b] !== REQUESTED || !who) return;
    const rest = who.filter((x) => x !== peer);
    if (rest.length === who.length) return;
    this.requested -= this.blockLength(ref.index, b);
    if (rest.length > 0) {
      p.requesters[b] = rest;
      return;
    }
    p.state[b] = NONE;
    p.requesters[b] = undefined;
    p.unrequested++;
    this.unrequestedBlocks++;
    // The partial stays, so a late answer to the dropped request is still taken (and the
    // piece is finished before new ones are started).
  }

  /** The piece passed its hash check. */
  pieceVerified(piece: number): void {
    const p = this.partials.get(piece);
    if (p) {
      this.unrequestedBlocks -= p.unrequested;
      this.forgetRequests(piece, p);
      this.partials.delete(piece);
    } else if (!this.have.has(piece) && this.priority[piece] > 0) {
      this.unrequestedBlocks -= this.blockCount(piece);
    }
    this.delist(piece);
    if (this.have.set(piece) && this.priority[piece] > 0) this.missing--;
    this.wanted.clear(piece);
  }

  /** The piece failed its hash check: every block must be fetched again. */
  pieceFailed(piece: number): void {
    const p = this.partials.get(piece);
    if (!p) return;
    this.unrequestedBlocks += p.blocks - p.unrequested;
    this.forgetRequests(piece, p);
    this.partials.delete(piece);
    this.enlist(piece);
  }

  /** A piece's book-keeping goes: its requests still out no longer count as requested. */
  private forgetRequests(piece: number, p: Partial<P>): void {
    this.requested -= requestedBytesOf(p, (b) => this.blockLength(piece, b));
  }

  /** Marks pieces we already have (resume data, a check of existing files). */
  setHave(bits: { has(i: number): boolean }): void {
    for (let i = 0; i < this.pieceCount; i++) if (bits.has(i) && !this.have.has(i)) this.pieceVerified(i);
  }

  /** Blocks received so far of a piece in progress (for progress display). */
  receivedBlocks(piece: number): number {
    return this.partials.get(piece)?.received ?? 0;
  }

  /** True when this peer has a piece we want (we are interested in it). */
  interestedIn(has: { has(i: number): boolean }, isSeed = false): boolean {
    if (this.missing === 0) return false;
    if (isSeed) return true;
    // A wanted piece is either started or in a band: with a bitfield, one AND per byte.
    if (has instanceof Bitfield && has.length === this.wanted.length) return this.wanted.intersects(has);
    // Only the pieces still missing: those started, then those in the bands.
    for (const i of this.partials.keys()) if (this.wants(i) && has.has(i)) return true;
    for (let prio = MAX_PRIORITY; prio > 0; prio--) for (const i of this.bands[prio].items) if (has.has(i)) return true;
    return false;
  }
}
