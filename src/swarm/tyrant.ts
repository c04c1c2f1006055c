/**
 * The strategic choker of BitTyrant (Piatek, Isdal, Anderson, Krishnamurthy and
 * Venkataramani, "Do incentives build robustness in BitTorrent?", NSDI 2007, section 4):
 * instead of equal shares to the fastest uploaders, upload to each peer only what it takes
 * to be reciprocated, and spend the budget on the peers that give most per byte.
 *
 * For each peer p it keeps d_p, the download p gives us, and u_p, the upload p needs from us
 * to reciprocate:
 * - d_p is the rate p sends us once it unchokes us; before that, p's own download rate
 *   (the pieces it announces with `have`, BEP 3) over the active set it is assumed to split
 *   its upload into (`assumedActiveSet`). A peer with nothing we want gives us nothing: 0.
 * - u_p, until we first unchoke p, is guessed each round. Piatek et al. start it "just above
 *   the step" of the reciprocation probability: what p's slowest partner in its active set
 *   gives it. Partners are drawn from the whole swarm, so the step is a property of the
 *   swarm more than of p: we take the median over the peers of their announced download
 *   over their active set (what a typical partner gives a typical peer), at most
 *   capacity / assumedActiveSet, at least `minPeerRate`; capacity / assumedActiveSet while
 *   no peer has announced anything. Fast peers (d_p above the median) then rank first.
 * - Each round (the rechoke, 10 s), for each peer we unchoked in the last round: if p does
 *   not unchoke us, u_p grows by δ (`increase`, 0.2); if p unchoked us in each of the last r
 *   rounds (`reciprocationRounds`, 3), u_p shrinks by γ (`decrease`, 0.1). Piatek et al. use
 *   δ = 0.2, γ = 0.1, r = 3.
 * - Peers are unchoked in order of d_p / u_p until the u_p of those unchoked add up to our
 *   upload capacity: the active set is as large as the budget allows, each peer given the
 *   least that keeps it reciprocating.
 *
 * Pure: it holds per-peer estimates but no timers; the choker calls it once per round.
 */

export interface TyrantOptions {
  /**
   * Our upload capacity, bytes/s: the budget the unchoked peers' u_p share. Default: learnt,
   * starting at 32 KiB/s and raised (by δ) whenever the total upload comes near it.
   */
  readonly uploadCapacity?: number;
  /** δ: u_p grows by this share after a round in which p did not unchoke us (default 0.2). */
  readonly increase?: number;
  /** γ: u_p shrinks by this share after p unchoked us `reciprocationRounds` rounds running (default 0.1). */
  readonly decrease?: number;
  /** r: rounds of reciprocation before u_p is lowered (default 3). */
  readonly reciprocationRounds?: number;
  /**
   * The active set a peer is assumed to split its upload into (default 8: libtorrent's
   * `unchoke_slots_limit`; Piatek et al. modelled the reference client's 4).
   */
  readonly assumedActiveSet?: number;
  /** The least u_p and d_p, bytes/s (default 1 KiB/s). */
  readonly minPeerRate?: number;
}

export const TYRANT_DEFAULTS: Readonly<Required<Omit<TyrantOptions, 'uploadCapacity'>>> = {
  increase: 0.2,
  decrease: 0.1,
  reciprocationRounds: 3,
  assumedActiveSet: 8,
  minPeerRate: 1024,
};

/** Where a learnt capacity starts, bytes/s. */
const INITIAL_CAPACITY_ESTIMATE = 32 * 1024;
/** A learnt capacity is raised when the total upload reaches this share of it. */
const CAPACITY_PROBE_SHARE = 0.8;

/** What the tyrant reads of one peer each round. */
export interface TyrantPeer<P> {
  readonly peer: P;
  /** Bytes/s it sends us (recent average). */
  readonly downloadRate: number;
  /** Bytes/s we send it. */
  readonly uploadRate: number;
  /** It unchokes us. */
  readonly unchokingUs: boolean;
  /** We are interested in it (it has pieces we want). */
  readonly amInterested: boolean;
  /** Bytes of the torrent it has (from its bitfield and haves). */
  readonly haveBytes: number;
}

/** Estimates of one peer. */
export interface TyrantEstimate {
  /** Upload it needs from us to reciprocate, bytes/s. */
  u: number;
  /** Download it gives (or would give) us, bytes/s. */
  d: number;
  /** Consecutive rounds it unchoked us while we unchoked it. */
  streak: number;
  /** We have unchoked it at least once (u_p is feedback from then on, not a guess). */
  tried: boolean;
  haveBytes: number;
  haveAt: number;
  /** Its own download rate, from the pieces it announced (bytes/s). */
  haveRate: number;
}

export class TyrantEstimator<P> {
  private readonly o: Required<Omit<TyrantOptions, 'uploadCapacity'>>;
  private readonly fixedCapacity: number | undefined;
  private learnt = INITIAL_CAPACITY_ESTIMATE;
  private readonly est = new Map<P, TyrantEstimate>();
  private lastRoundAt = -Infinity;
  /** The current guess of u_p for peers never unchoked (see the header). */
  private step: number | undefined;

  constructor(options: TyrantOptions = {}) {
    this.o = { ...TYRANT_DEFAULTS, ...options };
    this.fixedCapacity = options.uploadCapacity;
    const { increase, decrease, reciprocationRounds, assumedActiveSet, minPeerRate } = this.o;
    if (this.fixedCapacity !== undefined && !(this.fixedCapacity > 0)) throw new RangeError(`tyrant uploadCapacity must be > 0 bytes/s, got ${this.fixedCapacity}`);
    if (!(increase > 0) || !(decrease > 0 && decrease < 1)) throw new RangeError(`tyrant increase must be > 0 and decrease in (0, 1), got ${increase}, ${decrease}`);
    if (!(Number.isSafeInteger(reciprocationRounds) && reciprocationRounds >= 1)) throw new RangeError(`tyrant reciprocationRounds must be a whole number >= 1, got ${reciprocationRounds}`);
    if (!(assumedActiveSet >= 1) || !(minPeerRate > 0)) throw new RangeError(`tyrant assumedActiveSet must be >= 1 and minPeerRate > 0, got ${assumedActiveSet}, ${minPeerRate}`);
  }

  /** The upload budget now, bytes/s. */
  get capacity(): number {
    return this.fixedCapacity ?? this.learnt;
  }

  /** The estimates of a peer (tests, diagnostics). */
  estimate(peer: P): Readonly<TyrantEstimate> | undefined {
    return this.est.get(peer);
  }

  /**
   * Ends a round: updates d_p from what each peer gives or announces and u_p of the peers we
   * unchoked in it (`unchokedLastRound`), forgets peers that left. Call once per rechoke.
   */
  endRound(peers: readonly TyrantPeer<P>[], unchokedLastRound: ReadonlySet<P>, now: number): void {
    if (now <= this.lastRoundAt) return;
    this.lastRoundAt = now;
    const present = new Set<P>();
    let totalUpload = 0;
    for (const p of peers) {
      present.add(p.peer);
      totalUpload += p.uploadRate;
      const e = this.est.get(p.peer);
      if (!e) {
        this.est.set(p.peer, this.initial(p, now));
        continue;
      }
      if (now > e.haveAt) {
        e.haveRate = (Math.max(0, p.haveBytes - e.haveBytes) * 1000) / (now - e.haveAt);
        e.haveBytes = p.haveBytes;
        e.haveAt = now;
      }
      e.d = this.downloadEstimate(p, e);
      if (unchokedLastRound.has(p.peer)) {
        e.tried = true;
        if (!p.unchokingUs) {
          e.u = Math.min(this.capacity, e.u * (1 + this.o.increase));
          e.streak = 0;
        } else if (++e.streak >= this.o.reciprocationRounds) {
          e.u = Math.max(this.o.minPeerRate, e.u * (1 - this.o.decrease));
        }
      } else if (!p.unchokingUs) e.streak = 0;
    }
    for (const p of this.est.keys()) if (!present.has(p)) this.est.delete(p);
    if (this.fixedCapacity === undefined && totalUpload >= CAPACITY_PROBE_SHARE * this.learnt) {
      this.learnt = Math.max(this.learnt, totalUpload) * (1 + this.o.increase);
    }
    const perPartner = [...this.est.values()].filter((e) => e.haveRate > 0).map((e) => e.haveRate / this.o.assumedActiveSet).sort((a, b) => a - b);
    this.step = perPartner.length > 0 ? perPartner[Math.floor(perPartner.length / 2)] : undefined;
    for (const e of this.est.values()) if (!e.tried) e.u = this.guess();
  }

  /** d_p / u_p of a peer (0 for one never seen). */
  ratio(peer: P): number {
    const e = this.est.get(peer);
    return e ? e.d / e.u : 0;
  }

  /** u_p of a peer (the guess for one never seen). */
  cost(peer: P): number {
    return this.est.get(peer)?.u ?? this.guess();
  }

  /**
   * From candidates in rank order, those to unchoke: the first ones until their u_p add up
   * to the capacity less `used` (at least one when nothing is used).
   */
  withinBudget<C extends { readonly peer: P }>(ranked: readonly C[], used = 0): C[] {
    const out: C[] = [];
    let sum = used;
    for (const c of ranked) {
      if (sum >= this.capacity) break;
      out.push(c);
      sum += this.cost(c.peer);
    }
    return out;
  }

  private initial(p: TyrantPeer<P>, now: number): TyrantEstimate {
    const e: TyrantEstimate = { u: 0, d: 0, streak: 0, tried: false, haveBytes: p.haveBytes, haveAt: now, haveRate: 0 };
    e.d = this.downloadEstimate(p, e);
    e.u = this.guess();
    return e;
  }

  /** u_p before any feedback: the swarm's reciprocation step, at most an equal share of ours. */
  private guess(): number {
    const share = this.capacity / this.o.assumedActiveSet;
    return Math.max(this.o.minPeerRate, this.step === undefined ? share : Math.min(this.step, share));
  }

  private downloadEstimate(p: TyrantPeer<P>, e: TyrantEstimate): number {
    if (!p.amInterested) return 0;
    // Observed once it unchokes us (kept while a just-unchoked peer has sent nothing yet).
    if (p.unchokingUs) return p.downloadRate > 0 ? p.downloadRate : Math.max(e.d, this.o.minPeerRate);
    return Math.max(this.o.minPeerRate, e.haveRate / this.o.assumedActiveSet);
  }
}
