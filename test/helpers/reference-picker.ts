/**
 * The piece picker as it was before it kept its order incrementally (every pick scanned
 * every piece): the reference its replacement is tested against (test/unit/swarm-picker-*)
 * and measured against (bench/picker.ts). Not used by the engine.
 */
import type { Random } from '../../src/runtime/types.js';
import { Bitfield } from '../../src/util/bitfield.js';
import { BLOCK_LENGTH, MAX_PRIORITY, type BlockRef, type PickContext, type PiecePickerOptions } from '../../src/swarm/piece-picker.js';

const NONE = 0, REQUESTED = 1, RECEIVED = 2;

/** Book-keeping for a piece being downloaded. */
class Partial<P> {
  readonly state: Uint8Array;
  /** Peers each block is currently requested from (more than one only in end game). */
  readonly requesters: (P[] | undefined)[];
  unrequested: number;
  received = 0;
  constructor(readonly blocks: number) {
    this.state = new Uint8Array(blocks);
    this.requesters = new Array(blocks);
    this.unrequested = blocks;
  }
}

export class ReferencePicker<P> {
  readonly have: Bitfield;
  private readonly availability: Uint32Array;
  private readonly priority: Uint8Array;
  private readonly partials = new Map<number, Partial<P>>();
  /** Unrequested blocks over all wanted pieces; end game starts when it reaches 0. */
  private unrequestedBlocks = 0;
  private readonly randomFirst: number;
  private streamFrom = -1;
  private streamSize = 0;

  /**
   * @param pieceBytes bytes of each piece that travel on the wire (pad-only tails excluded)
   */
  constructor(private readonly pieceBytes: ArrayLike<number>, private readonly random: Random, options: PiecePickerOptions = {}) {
    const n = pieceBytes.length;
    this.have = new Bitfield(n);
    this.availability = new Uint32Array(n);
    this.priority = new Uint8Array(n).fill(1);
    this.randomFirst = options.randomFirstPieces ?? 4;
    for (let i = 0; i < n; i++) this.unrequestedBlocks += this.blockCount(i);
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
    for (let i = 0; i < this.pieceCount; i++) if (this.priority[i] > 0 && !this.have.has(i)) return false;
    return true;
  }

  get inEndGame(): boolean {
    return this.unrequestedBlocks === 0 && !this.done;
  }

  // --- availability -------------------------------------------------------

  peerHas(piece: number): void {
    this.availability[piece]++;
  }
  peerLost(piece: number): void {
    if (this.availability[piece] > 0) this.availability[piece]--;
  }
  peerBitfield(bits: { has(i: number): boolean }, delta: 1 | -1 = 1): void {
    for (let i = 0; i < this.pieceCount; i++) {
      if (!bits.has(i)) continue;
      if (delta > 0) this.peerHas(i);
      else this.peerLost(i);
    }
  }
  availabilityOf(piece: number): number {
    return this.availability[piece];
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
    this.priority[piece] = p;
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
      const partial = [...this.partials.keys()].filter((i) => this.partials.get(i)!.unrequested > 0 && has(i));
      partial.sort((a, b) => this.priority[b] - this.priority[a] || this.availability[a] - this.availability[b]);
      for (const i of partial) {
        if (out.length >= count) break;
        this.takeBlocks(i, ctx.peer, count, out);
      }
    }
    // 3. new pieces: random first, then rarest first
    while (out.length < count) {
      const next = this.have.count < this.randomFirst ? this.randomPiece(has) : this.rarestPiece(has);
      if (next < 0) break;
      this.takeBlocks(next, ctx.peer, count, out);
    }
    // 4. end game: duplicate requests for blocks others are fetching
    if (out.length < count && this.unrequestedBlocks === 0) this.endGamePick(ctx.peer, has, count, out);
    return out;
  }

  private startable(i: number, has: (i: number) => boolean): boolean {
    return this.wants(i) && !this.partials.has(i) && this.availability[i] > 0 && has(i);
  }

  private randomPiece(has: (i: number) => boolean): number {
    const n = this.pieceCount;
    for (let tries = 0; tries < 32; tries++) {
      const i = this.random.int(n);
      if (this.startable(i, has)) return i;
    }
    return this.rarestPiece(has);
  }

  /** The startable piece with the highest priority, then the lowest availability; ties broken at random. */
  private rarestPiece(has: (i: number) => boolean): number {
    const n = this.pieceCount;
    if (n === 0) return -1;
    let best = -1, bestPrio = -1, bestAvail = Infinity, ties = 0;
    const start = this.random.int(n);
    for (let k = 0; k < n; k++) {
      const i = (start + k) % n;
      if (!this.startable(i, has)) continue;
      const prio = this.priority[i], avail = this.availability[i];
      if (prio > bestPrio || (prio === bestPrio && avail < bestAvail)) {
        best = i;
        bestPrio = prio;
        bestAvail = avail;
        ties = 1;
      } else if (prio === bestPrio && avail === bestAvail && this.random.int(++ties) === 0) {
        best = i;
      }
    }
    return best;
  }

  private takeBlocks(piece: number, peer: P, count: number, out: BlockRef[]): void {
    let p = this.partials.get(piece);
    if (!p) {
      p = new Partial<P>(this.blockCount(piece));
      this.partials.set(piece, p);
    }
    for (let b = 0; b < p.blocks && out.length < count; b++) {
      if (p.state[b] !== NONE) continue;
      p.state[b] = REQUESTED;
      p.requesters[b] = [peer];
      p.unrequested--;
      this.unrequestedBlocks--;
      out.push({ index: piece, begin: b * BLOCK_LENGTH, length: this.blockLength(piece, b) });
    }
  }

  private endGamePick(peer: P, has: (i: number) => boolean, count: number, out: BlockRef[]): void {
    for (const [piece, p] of this.partials) {
      if (!has(piece)) continue;
      for (let b = 0; b < p.blocks && out.length < count; b++) {
        const who = p.requesters[b];
        if (p.state[b] !== REQUESTED || !who || who.includes(peer)) continue;
        who.push(peer);
        out.push({ index: piece, begin: b * BLOCK_LENGTH, length: this.blockLength(piece, b) });
      }
      if (out.length >= count) return;
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
    const cancel = (p.requesters[b] ?? []).filter((x) => x !== peer);
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
    if (rest.length > 0) {
      p.requesters[b] = rest;
      return;
    }
    p.state[b] = NONE;
    p.requesters[b] = undefined;
    p.unrequested++;
    this.unrequestedBlocks++;
    if (p.received === 0 && p.unrequested === p.blocks) this.partials.delete(ref.index);
  }

  /** The piece passed its hash check. */
  pieceVerified(piece: number): void {
    const p = this.partials.get(piece);
    if (p) {
      this.unrequestedBlocks -= p.unrequested;
      this.partials.delete(piece);
    } else if (!this.have.has(piece) && this.priority[piece] > 0) {
      this.unrequestedBlocks -= this.blockCount(piece);
    }
    this.have.set(piece);
  }

  /** The piece failed its hash check: every block must be fetched again. */
  pieceFailed(piece: number): void {
    const p = this.partials.get(piece);
    if (!p) return;
    this.unrequestedBlocks += p.blocks - p.unrequested;
    this.partials.delete(piece);
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
    for (let i = 0; i < this.pieceCount; i++) if (this.wants(i) && (isSeed || has.has(i))) return true;
    return false;
  }
}
