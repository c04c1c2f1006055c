/**
 * BEP 9 metadata fetching as a state machine: given the peers that advertise `metadata_size`
 * in their extended handshake, it says which 16 KiB pieces to request from whom, assembles
 * the answers, and verifies the info dict against the info hash(es): SHA-1 for a v1 info
 * hash, SHA-256 for a v2 one, both for a hybrid.
 *
 * Blame: a piece of the wrong length or size is the sender's fault at once ('bad_peer'). A
 * hash mismatch over pieces from several peers cannot say who lied, so the fetcher reports
 * the suspects, restarts, and from then on takes all pieces of an attempt from one peer, so
 * the next mismatch names the bad peer exactly.
 *
 * Time comes in as `now`; nothing here reads a clock.
 */
import { createHash } from 'node:crypto';
import { PeerProtocolError } from './errors.js';
import { DEFAULT_MAX_METADATA_SIZE, METADATA_PIECE_SIZE, metadataPieceCount, metadataPieceLength } from './ut-metadata.js';

export interface MetadataFetcherOptions {
  /** The v1 info hash (20 bytes): the metadata's SHA-1 must equal it. */
  infoHashV1?: Uint8Array;
  /** The v2 info hash (32 bytes): the metadata's SHA-256 must equal it. */
  infoHashV2?: Uint8Array;
  /** Largest metadata accepted (default 16 MiB, see DEFAULT_MAX_METADATA_SIZE). Peers advertising more are not used. */
  maxMetadataSize?: number;
  /** Requests outstanding to one peer at a time (default 2). */
  maxRequestsPerPeer?: number;
  /** A request unanswered this long is given to another peer (default 20 s). */
  requestTimeoutMs?: number;
  /** After a reject or a timeout, the peer is not asked again for this long (default 30 s). */
  retryAfterMs?: number;
}

export const METADATA_FETCHER_DEFAULTS = {
  maxMetadataSize: DEFAULT_MAX_METADATA_SIZE,
  maxRequestsPerPeer: 2,
  requestTimeoutMs: 20_000,
  retryAfterMs: 30_000,
} as const;

export interface MetadataRequest<P> {
  readonly peer: P;
  readonly piece: number;
}

export type MetadataFetcherEvent<P> =
  /** The verified info dict (a fresh buffer). The fetcher is done. */
  | { readonly type: 'complete'; readonly info: Uint8Array }
  /** This peer broke BEP 9 or sent metadata that failed the hash on its own: drop it. */
  | { readonly type: 'bad_peer'; readonly peer: P; readonly error: PeerProtocolError }
  /** The assembled metadata failed the hash; it came from several peers, one of which lied. Restarted. */
  | { readonly type: 'hash_mismatch'; readonly suspects: readonly P[] };

interface PeerState {
  readonly size: number;
  outstanding: number;
  retryAt: number;
}

const MISSING = 0, REQUESTED = 1, RECEIVED = 2;

export class MetadataFetcher<P> {
  private readonly o: Required<Omit<MetadataFetcherOptions, 'infoHashV1' | 'infoHashV2'>>;
  private readonly v1: Uint8Array | undefined;
  private readonly v2: Uint8Array | undefined;
  private readonly peers = new Map<P, PeerState>();
  private readonly banned = new Set<P>();
  /** After a mismatch with several contributors, each attempt uses one peer only. */
  private singleSource = false;
  private source: P | undefined;
  private done = false;
  // The current attempt.
  private size = 0;
  private buffer = new Uint8Array(0);
  private state = new Uint8Array(0);
  private owner: (P | undefined)[] = [];
  private requestedAt: number[] = [];

  constructor(options: MetadataFetcherOptions) {
    if (!options.infoHashV1 && !options.infoHashV2) throw new RangeError('MetadataFetcher needs infoHashV1 or infoHashV2');
    if (options.infoHashV1 && options.infoHashV1.length !== 20) throw new RangeError('infoHashV1 must be 20 bytes');
    if (options.infoHashV2 && options.infoHashV2.length !== 32) throw new RangeError('infoHashV2 must be 32 bytes');
    this.v1 = options.infoHashV1;
    this.v2 = options.infoHashV2;
    const { infoHashV1: _a, infoHashV2: _b, ...rest } = options;
    this.o = { ...METADATA_FETCHER_DEFAULTS, ...rest };
  }

  get complete(): boolean {
    return this.done;
  }

  /**
   * A peer advertised `metadata_size`. Returns false (and ignores the peer) when the size is
   * zero, over `maxMetadataSize`, or the peer was found lying before.
   */
  addPeer(peer: P, metadataSize: number): boolean {
    if (this.done || this.banned.has(peer)) return false;
    if (!Number.isSafeInteger(metadataSize) || metadataSize <= 0 || metadataSize > this.o.maxMetadataSize) return false;
    this.removePeer(peer);
    this.peers.set(peer, { size: metadataSize, outstanding: 0, retryAt: -Infinity });
    return true;
  }

  /** A peer disconnected: its outstanding requests go to others. */
  removePeer(peer: P): void {
    if (!this.peers.delete(peer)) return;
    for (let i = 0; i < this.owner.length; i++) {
      if (this.owner[i] === peer && this.state[i] === REQUESTED) this.release(i);
    }
    if (this.source === peer) this.restart();
  }

  /** The requests to send now. Also expires timed-out requests. */
  requests(now: number): MetadataRequest<P>[] {
    if (this.done) return [];
    this.expire(now);
    for (const s of this.peers.values()) if (s.retryAt <= now) s.retryAt = -Infinity;
    if (this.size === 0 || !this.usable(this.size, now, true)) this.restart(now);
    if (this.size === 0) return [];
    const out: MetadataRequest<P>[] = [];
    const candidates = [...this.peers].filter(([p, s]) => this.eligible(p, s, now));
    if (candidates.length === 0) return out;
    let turn = 0;
    for (let i = 0; i < this.state.length; i++) {
      if (this.state[i] !== MISSING) continue;
      let assigned = false;
      for (let tries = 0; tries < candidates.length && !assigned; tries++) {
        const [peer, s] = candidates[turn++ % candidates.length];
        if (s.outstanding >= this.o.maxRequestsPerPeer) continue;
        s.outstanding++;
        this.state[i] = REQUESTED;
        this.owner[i] = peer;
        this.requestedAt[i] = now;
        out.push({ peer, piece: i });
        assigned = true;
      }
      if (!assigned) break;
    }
    return out;
  }

  /** When `requests` should next be called even if nothing arrives (Infinity: no need). */
  nextDeadline(): number {
    if (this.done) return Infinity;
    let t = Infinity;
    for (let i = 0; i < this.state.length; i++) {
      if (this.state[i] === REQUESTED) t = Math.min(t, this.requestedAt[i] + this.o.requestTimeoutMs);
    }
    for (const s of this.peers.values()) if (s.retryAt !== -Infinity) t = Math.min(t, s.retryAt);
    return t;
  }

  /** A `reject` for `piece` from `peer`. */
  onReject(peer: P, piece: number, now: number): void {
    const s = this.peers.get(peer);
    if (!s) return;
    if (piece < this.owner.length && this.owner[piece] === peer && this.state[piece] === REQUESTED) this.release(piece);
    s.retryAt = now + this.o.retryAfterMs;
    if (this.source === peer) this.restart();
  }

  /** A `data` message from `peer`. */
  onData(peer: P, piece: number, totalSize: number, data: Uint8Array): MetadataFetcherEvent<P>[] {
    const s = this.peers.get(peer);
    if (!s || this.done) return [];
    if (totalSize !== s.size) return this.ban(peer, `ut_metadata total_size ${totalSize} differs from the advertised metadata_size ${s.size}`);
    if (piece >= metadataPieceCount(s.size)) return this.ban(peer, `ut_metadata piece ${piece} is past the end of ${s.size} bytes of metadata`);
    if (data.length !== metadataPieceLength(s.size, piece)) return this.ban(peer, `ut_metadata piece ${piece} is ${data.length} bytes, expected ${metadataPieceLength(s.size, piece)}`);
    // Late answers (after a timeout, a restart, or for another attempt's size) are dropped.
    if (s.size !== this.size || this.state[piece] === RECEIVED) return [];
    if (this.singleSource && peer !== this.source) return [];
    if (this.state[piece] === REQUESTED) this.release(piece);
    this.buffer.set(data, piece * METADATA_PIECE_SIZE);
    this.state[piece] = RECEIVED;
    this.owner[piece] = peer;
    for (let i = 0; i < this.state.length; i++) if (this.state[i] !== RECEIVED) return [];
    return this.verify();
  }

  private verify(): MetadataFetcherEvent<P>[] {
    const info = this.buffer;
    const ok = (!this.v1 || equal(createHash('sha1').update(info).digest(), this.v1)) && (!this.v2 || equal(createHash('sha256').update(info).digest(), this.v2));
    if (ok) {
      this.done = true;
      return [{ type: 'complete', info }];
    }
    const suspects = [...new Set(this.owner.filter((p): p is P => p !== undefined))];
    if (suspects.length === 1) {
      this.restart();
      return this.ban(suspects[0], 'metadata from this peer does not match the info hash', 'corrupt_metadata');
    }
    this.singleSource = true;
    this.restart();
    return [{ type: 'hash_mismatch', suspects }];
  }

  private ban(peer: P, message: string, violation: 'bad_metadata' | 'corrupt_metadata' = 'bad_metadata'): MetadataFetcherEvent<P>[] {
    this.removePeer(peer);
    this.banned.add(peer);
    return [{ type: 'bad_peer', peer, error: new PeerProtocolError(violation, message) }];
  }

  private release(i: number): void {
    const p = this.owner[i];
    const s = p === undefined ? undefined : this.peers.get(p);
    if (s) s.outstanding--;
    this.state[i] = MISSING;
    this.owner[i] = undefined;
  }

  private expire(now: number): void {
    for (let i = 0; i < this.state.length; i++) {
      if (this.state[i] !== REQUESTED || now < this.requestedAt[i] + this.o.requestTimeoutMs) continue;
      const p = this.owner[i];
      const s = p === undefined ? undefined : this.peers.get(p);
      if (s) s.retryAt = now + this.o.retryAfterMs;
      this.release(i);
      if (p === this.source) this.restart();
    }
  }

  private eligible(p: P, s: PeerState, now: number): boolean {
    return s.size === this.size && s.retryAt <= now && (!this.singleSource || p === this.source);
  }

  /** Whether a peer of this size can be asked (now, or once its back-off ends). */
  private usable(size: number, now: number, waitOk: boolean): boolean {
    for (const [p, s] of this.peers) if (s.size === size && (waitOk || s.retryAt <= now) && (!this.singleSource || p === this.source)) return true;
    return false;
  }

  /** Drops the current attempt and starts another with the most advertised size (or one source). */
  private restart(now = -Infinity): void {
    for (const s of this.peers.values()) s.outstanding = 0;
    this.source = undefined;
    this.size = 0;
    let size = 0;
    if (this.singleSource) {
      const ready = [...this.peers].find(([, s]) => s.retryAt <= now) ?? [...this.peers][0];
      if (ready) [this.source, size] = [ready[0], ready[1].size];
    } else {
      const votes = new Map<number, number>();
      for (const s of this.peers.values()) votes.set(s.size, (votes.get(s.size) ?? 0) + 1);
      let best = 0;
      for (const [sz, n] of votes) if (n > best) [best, size] = [n, sz];
    }
    if (size === 0) {
      this.state = new Uint8Array(0);
      this.owner = [];
      return;
    }
    this.size = size;
    this.buffer = new Uint8Array(size);
    this.state = new Uint8Array(metadataPieceCount(size));
    this.owner = new Array<P | undefined>(this.state.length).fill(undefined);
    this.requestedAt = new Array<number>(this.state.length).fill(0);
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
