/**
 * The choker (BEP 3 tit-for-tat): which peers we upload to.
 *
 * - Slots: `regularSlots` (8, libtorrent's `unchoke_slots_limit`) regular unchoke slots, or
 *   `'auto'`: sized from the measured upload rates the way libtorrent's rate-based choker
 *   does (one slot per peer we upload to faster than a threshold that rises 2 KiB/s per
 *   slot, starting at 1 KiB/s, plus one; never fewer than `minAutoSlots`).
 * - Downloading: the slots go to the interested, non-snubbed peers that upload to us
 *   fastest.
 * - Seeding: round robin, as libtorrent's default seeding choker: a peer keeps its slot until
 *   it was sent `seedPieceQuota` pieces or held it `seedRotationMs` (or `seedIdleMs` without
 *   asking for anything), then makes way for those
 *   waiting longest. Equal bytes per turn, not equal time: ranking by our upload rate to them
 *   favoured the peers with idle download links, which are the ones nobody else serves (free
 *   riders).
 * - Demand slots (demand-slots.ts): while our upload runs out of requests and interested
 *   peers wait choked, up to `maxDemandSlots` more regular slots, given in turn (`inTurn`).
 * - A free slot is filled at once (`fill`): a peer that becomes interested while fewer than
 *   the slots are taken is unchoked without waiting for the next rechoke round.
 * - One optimistic unchoke, rotated every `optimisticIntervalMs` (30 s), picks a random
 *   choked interested peer; newly connected peers are three times as likely (they have
 *   nothing to trade yet).
 * - Anti-snubbing: a peer that unchoked us but sent no block for `snubTimeoutMs` (60 s) is
 *   snubbed: it loses its regular slot and can only be unchoked optimistically.
 * - Strategy `'tyrant'` (BitTyrant, Piatek et al. NSDI 2007; tyrant.ts): while downloading,
 *   the regular slots are not a fixed number but as many peers as the upload budget buys,
 *   in order of download given per upload needed (d_p / u_p).
 * - Reputation (reputation.ts, shared by a session's torrents): while downloading, rate ties
 *   go to peers that gave us data before (in any torrent), known free riders last; the
 *   optimistic draw weights a contributor `CONTRIBUTOR_WEIGHT` and a free rider
 *   `FREE_RIDER_WEIGHT` times as much as an unknown peer.
 *
 * Pure decisions: the caller measures rates and applies the result.
 */
import type { Random } from '../runtime/types.js';
import type { ReputationView, Standing } from './reputation.js';
import { checkChokerOptions } from './choker-options.js';
import { TyrantEstimator, type TyrantOptions, type TyrantPeer } from './tyrant.js';
import { DemandSlots } from './demand-slots.js';
import type { ChokerPeer } from './choker-peer.js';

export type { ChokerPeer } from './choker-peer.js';

export interface ChokerOptions {
  /** Regular unchoke slots, or 'auto' to size them from upload rates (default 8). */
  regularSlots?: number | 'auto';
  /** The fewest regular slots 'auto' opens (default 2). */
  minAutoSlots?: number;
  optimisticIntervalMs?: number;
  snubTimeoutMs?: number;
  /** A peer connected more recently than this counts as new for the optimistic draw. */
  newPeerMs?: number;
  seedRotationMs?: number;
  /** Seeding: pieces a peer is sent in one turn before it makes way (libtorrent's `seeding_piece_quota`, default 20). */
  seedPieceQuota?: number;
  /**
   * Seeding: a peer unchoked this long that was sent nothing (it asked for nothing) makes way
   * at the next rechoke (default 10 s): an interested peer that never requests must not hold a
   * slot for a whole `seedRotationMs` while others wait.
   */
  seedIdleMs?: number;
  /**
   * How regular slots are given out: 'tit-for-tat' (default, BEP 3: to those who give us
   * most), 'random' (no incentive: a fresh random order every round, for experiments on
   * what tit-for-tat buys), 'tyrant' (BitTyrant's strategy while downloading: see tyrant.ts;
   * seeding as tit-for-tat) or 'none' (unchoke nobody: a free rider; simulations only).
   */
  policy?: 'tit-for-tat' | 'random' | 'tyrant' | 'none';
  /** The tyrant's parameters (policy 'tyrant'; see tyrant.ts). */
  tyrant?: TyrantOptions;
  /** What we remember of peers from other torrents (a session shares one); none: no memory. */
  reputation?: ReputationView;
  /**
   * While downloading: bytes a peer may take from us on this connection, while it has pieces
   * we want, before, having given back less than `FREE_RIDER_RATIO` of that, it counts as
   * not reciprocating: it comes last for regular slots nobody who uploads to us claims, and
   * is drawn `FREE_RIDER_WEIGHT` times as often for the optimistic unchoke (default 32 KiB,
   * 2 blocks; Infinity: never).
   */
  reciprocationGraceBytes?: number;
  /**
   * Our upload capacity, bytes/s: when set, the regular slots follow the measured upload
   * (libtorrent's rate-based choker): each round one more slot while the peers we upload to
   * take less than `CAPACITY_FILL_SHARE` of it and every slot is in use, one fewer once they
   * take it all, never fewer than `regularSlots` (a number) nor more than `maxCapacitySlots`.
   * Unset (default): fixed slots.
   */
  uploadCapacity?: number;
  /** The most slots `uploadCapacity` opens (default 50, the default peers per torrent). */
  maxCapacitySlots?: number;
  /**
   * Demand slots (demand-slots.ts): the most regular slots opened beyond `regularSlots` while
   * our upload runs out of requests (`noteUploadDemand`, `noteUploadIdle`) and interested
   * peers wait choked (default 8; 0: fixed slots). They go to peers in turn, not by rate
   * (`byTurn`). Not with `uploadCapacity` or the tyrant, which size their slots their own way.
   */
  maxDemandSlots?: number;
}

/** Regular unchoke slots by default (libtorrent's `unchoke_slots_limit`). */
export const DEFAULT_REGULAR_SLOTS = 8;

export const CHOKER_DEFAULTS: Required<Omit<ChokerOptions, 'reputation' | 'uploadCapacity'>> = {
  regularSlots: DEFAULT_REGULAR_SLOTS,
  minAutoSlots: 2,
  optimisticIntervalMs: 30_000,
  snubTimeoutMs: 60_000,
  newPeerMs: 60_000,
  seedRotationMs: 60_000,
  seedPieceQuota: 20,
  seedIdleMs: 10_000,
  policy: 'tit-for-tat',
  tyrant: {},
  reciprocationGraceBytes: 32 * 1024,
  maxCapacitySlots: 50,
  maxDemandSlots: 8,
};
/** Rate-based slots: another slot opens while the upload is under this share of the capacity. */
export const CAPACITY_FILL_SHARE = 0.9;

/** Optimistic draw: a peer that gave us data before counts this many times an unknown one. */
export const CONTRIBUTOR_WEIGHT = 2;
/** ...and a known free rider this many times (drawn less often, never shut out: it may have changed). */
export const FREE_RIDER_WEIGHT = 0.25;
const STANDING_ORDER: Record<Standing, number> = { contributor: 0, unknown: 1, 'free-rider': 2 };
/** A peer past its grace that gave back less than this share of what it took does not reciprocate. */
export const FREE_RIDER_RATIO = 0.05;

/** libtorrent's rate-based choker: the first extra slot needs 1 KiB/s, each further one 2 KiB/s more. */
const AUTO_FIRST_THRESHOLD = 1024;
const AUTO_THRESHOLD_STEP = 2048;


/** What the tyrant reads of a peer (callers that leave out the optional fields: from `expectingData`). */
function tyrantView<P>(p: ChokerPeer<P>): TyrantPeer<P> {
  const { peer, downloadRate, uploadRate } = p;
  return { peer, downloadRate, uploadRate, unchokingUs: p.unchokingUs ?? p.expectingData, amInterested: p.amInterested ?? p.expectingData, haveBytes: p.haveBytes ?? 0 };
}

export interface ChokeDecision<P> {
  readonly unchoke: Set<P>;
  readonly optimistic: P | undefined;
}

export class Choker<P> {
  private readonly o: Required<Omit<ChokerOptions, 'reputation' | 'uploadCapacity'>>;
  private readonly uploadCapacity: number | undefined;
  /** Rate-based slots now (with `uploadCapacity`). */
  private capacitySlots: number;
  private optimistic: P | undefined;
  private optimisticAt = -Infinity;
  private readonly demand: DemandSlots;
  /** BitTyrant's estimates (policy 'tyrant'). */
  readonly tyrant: TyrantEstimator<P> | undefined;
  private readonly reputation: ReputationView | undefined;

  constructor(private readonly random: Random, options: ChokerOptions = {}) {
    this.o = { ...CHOKER_DEFAULTS, ...options };
    this.reputation = options.reputation;
    this.uploadCapacity = options.uploadCapacity;
    this.capacitySlots = typeof this.o.regularSlots === 'number' ? this.o.regularSlots : this.o.minAutoSlots;
    this.tyrant = this.o.policy === 'tyrant' ? new TyrantEstimator<P>(this.o.tyrant) : undefined;
    checkChokerOptions(this.o, this.uploadCapacity);
    this.demand = new DemandSlots(this.o.maxDemandSlots);
  }

  /** Whether demand slots apply: fixed or 'auto' slots, not the tyrant's budget nor `uploadCapacity`. */
  private get demandSized(): boolean {
    return this.tyrant === undefined && this.uploadCapacity === undefined && this.o.policy !== 'none';
  }

  /**
   * The swarm's tick, once a second: `starved` when peers we unchoke are interested and none
   * has a request waiting for us (every one we had is read or on the wire: our upload has
   * room their requests do not fill), `waiting` when interested peers are choked. Two
   * starved ticks in a row with someone waiting open one more regular slot, up to
   * `maxDemandSlots`; a rechoke round in which the upload never ran dry closes one
   * (demand-slots.ts). True when a slot opened (the caller fills it).
   */
  noteUploadDemand(starved: boolean, waiting: boolean): boolean {
    return this.demandSized && this.demand.noteTick(starved, waiting);
  }

  /** Whether `noteUploadIdle` may open a slot now: lets the upload skip its look at the peers. */
  demandSlotDue(now: number): boolean {
    return this.demandSized && this.demand.due(now);
  }

  /**
   * Our upload just ran out of requests (the last waiting request of the peers we unchoke is
   * read) while interested peers wait choked: one more regular slot at once, at most one per
   * `DEMAND_OPEN_MS` (uploads.ts). True when a slot opened (the caller fills it).
   */
  noteUploadIdle(now: number): boolean {
    return this.demandSized && this.demand.noteIdle(now);
  }

  /** Whether `fill` draws random numbers even when it unchokes nobody (the random policy's shuffle). */
  get drawsInFill(): boolean {
    return this.o.policy === 'random';
  }

  /** Regular slots opened by demand now (`noteUploadDemand`). */
  get openDemandSlots(): number {
    return this.demand.open;
  }

  isSnubbed(p: ChokerPeer<P>, now: number): boolean {
    if (!p.expectingData) return false;
    const since = p.lastBlockAt ?? p.connectedAt;
    return now - since > this.o.snubTimeoutMs;
  }

  /**
   * What we upload to an unchoked peer at most, bytes/s (undefined: no cap of its own): the
   * tyrant's u_p while downloading, BitTyrant's "just enough to be reciprocated", so the
   * budget buys as many peers as its u_p add up to.
   */
  uploadCap(peer: P, seeding: boolean): number | undefined {
    return this.tyrant && !seeding ? this.tyrant.cost(peer) : undefined;
  }

  /** Regular slots now: the fixed number, or (auto) from the upload rates. */
  slots(peers: readonly ChokerPeer<P>[]): number {
    if (this.uploadCapacity !== undefined) return this.capacitySlots;
    if (this.o.regularSlots !== 'auto') return this.o.regularSlots + this.demand.open;
    const rates = peers.map((p) => p.uploadRate).sort((a, b) => b - a);
    let slots = 0;
    let threshold = AUTO_FIRST_THRESHOLD;
    for (const r of rates) {
      if (r < threshold) break;
      slots++;
      threshold += AUTO_THRESHOLD_STEP;
    }
    return Math.max(this.o.minAutoSlots, slots + 1) + this.demand.open;
  }

  /**
   * The regular slots when they are known without looking at the peers (fixed or
   * capacity-based; not 'auto', nor the tyrant's budget while downloading): lets a caller
   * see that every slot is taken before it builds a view of all peers.
   */
  knownSlots(seeding: boolean): number | undefined {
    if (this.o.policy === 'none') return 0;
    if (this.tyrant && !seeding) return undefined;
    if (this.uploadCapacity !== undefined) return this.capacitySlots;
    return this.o.regularSlots === 'auto' ? undefined : this.o.regularSlots + this.demand.open;
  }

  /** The peer holding the optimistic unchoke, if any. */
  get optimisticPeer(): P | undefined {
    return this.optimistic;
  }

  /** Recomputes who is unchoked; call every ~10 s. */
  rechoke(peers: readonly ChokerPeer<P>[], now: number, seeding: boolean): ChokeDecision<P> {
    if (this.o.policy === 'none') return { unchoke: new Set(), optimistic: undefined };
    this.demand.round();
    const candidates = this.ranked(peers, now, seeding);
    if (this.uploadCapacity !== undefined) this.resizeToCapacity(peers, candidates.length);
    const regular = this.tyrant && !seeding ? this.tyrant.withinBudget(candidates) : this.regularPick(candidates, this.slots(peers), now, seeding);
    const unchoke = new Set<P>(regular.map((p) => p.peer));

    const stillThere = this.optimistic !== undefined && peers.some((p) => p.peer === this.optimistic && p.interested);
    if (!stillThere || now - this.optimisticAt >= this.o.optimisticIntervalMs) {
      this.optimistic = this.drawOptimistic(peers.filter((p) => p.interested && !unchoke.has(p.peer)), now, seeding);
      this.optimisticAt = now;
    }
    if (this.optimistic !== undefined && unchoke.has(this.optimistic)) {
      // It earned a regular slot: draw another for the optimistic one next round.
      this.optimisticAt = -Infinity;
    }
    if (this.optimistic !== undefined) unchoke.add(this.optimistic);
    return { unchoke, optimistic: this.optimistic };
  }

  /** Rate-based slots: one more while the upload has room and every slot is used, one fewer when it is full. */
  private resizeToCapacity(peers: readonly ChokerPeer<P>[], candidates: number): void {
    let total = 0, used = 0;
    for (const p of peers) {
      total += p.uploadRate;
      if (p.unchokedSince !== undefined && p.interested) used++;
    }
    const floor = typeof this.o.regularSlots === 'number' ? this.o.regularSlots : this.o.minAutoSlots;
    if (total < CAPACITY_FILL_SHARE * this.uploadCapacity! && used >= this.capacitySlots && candidates > this.capacitySlots) this.capacitySlots++;
    else if (total >= this.uploadCapacity!) this.capacitySlots--;
    this.capacitySlots = Math.min(this.o.maxCapacitySlots, Math.max(floor, this.capacitySlots));
  }

  /**
   * Peers to unchoke now, without choking anyone, to fill free regular slots: called when a
   * peer becomes interested, loses interest or leaves, so nobody waits for the next round
   * while a slot is free. The optimistic unchoke does not hold a regular slot.
   */
  fill(peers: readonly ChokerPeer<P>[], now: number, seeding: boolean): P[] {
    if (this.o.policy === 'none') return [];
    if (this.tyrant && !seeding) {
      // The budget, not a slot count: what the unchoked peers' u_p leave of the capacity.
      let used = 0;
      for (const p of peers) if (p.unchokedSince !== undefined && p.interested && p.peer !== this.optimistic) used += this.tyrant.cost(p.peer);
      const waiting = this.ranked(peers, now, seeding, false).filter((p) => p.unchokedSince === undefined);
      return this.tyrant.withinBudget(waiting, used).map((p) => p.peer);
    }
    let taken = 0;
    for (const p of peers) if (p.unchokedSince !== undefined && p.interested && p.peer !== this.optimistic) taken++;
    const slots = this.slots(peers);
    let free = slots - taken;
    const out: P[] = [];
    if (free <= 0) return out;
    const base = slots - this.demand.open;
    const ranked = this.ranked(peers, now, seeding);
    for (const p of taken >= base ? this.inTurn(ranked, now, seeding) : ranked) {
      if (free <= 0) break;
      if (p.unchokedSince !== undefined) continue;
      // A demand slot (past the base count) only for a peer that may have one.
      if (taken + out.length >= base && !this.demandEligible(p, now, seeding)) continue;
      out.push(p.peer);
      free--;
    }
    return out;
  }

  /** The first `slots - demand` of the ranked candidates, then the demand slots in turn, only to peers that may have one. */
  private regularPick(candidates: readonly ChokerPeer<P>[], slots: number, now: number, seeding: boolean): ChokerPeer<P>[] {
    const base = slots - this.demand.open;
    if (this.demand.open === 0 || candidates.length <= base) return candidates.slice(0, slots);
    const out = candidates.slice(0, base);
    for (const p of this.inTurn(candidates.slice(base), now, seeding)) {
      if (out.length >= slots) break;
      if (this.demandEligible(p, now, seeding)) out.push(p);
    }
    return out;
  }

  /**
   * Demand slots in turn (spare upload, shared as a seed shares it): peers that gave us
   * something on this connection first, then known contributors, then the one unchoked
   * longest ago (never: first). Ranked by rate they went to the kind of peers that already hold the regular slots,
   * which often had nothing left to ask of us (docs/simulator.md, session 14). The tyrant and
   * 'random' keep their own order; a seed's round robin is already in turn.
   */
  private inTurn(candidates: ChokerPeer<P>[], now: number, seeding: boolean): ChokerPeer<P>[] {
    if (seeding || this.o.policy !== 'tit-for-tat') return candidates;
    const r = this.reputation;
    const standing = (p: ChokerPeer<P>) => (r && p.host !== undefined ? STANDING_ORDER[r.standing(p.host, now)] : 1);
    const gave = (p: ChokerPeer<P>) => (p.given ?? 0) > 0;
    return candidates.sort((a, b) => Number(gave(b)) - Number(gave(a)) || standing(a) - standing(b) || (a.lastUnchokedAt ?? -Infinity) - (b.lastUnchokedAt ?? -Infinity) || a.connectedAt - b.connectedAt);
  }

  /**
   * Demand slots are spare upload, but not for free riders: while downloading, a peer that
   * took its grace from us and gave (almost) nothing back, or that the reputation store
   * knows as a free rider, gets none (`shoal sim freeriders`: with them open to everyone
   * free riders' slowdown fell from 1.25 to 1.11). A seed's upload is a gift either way;
   * 'random' is the no-incentive baseline.
   */
  private demandEligible(p: ChokerPeer<P>, now: number, seeding: boolean): boolean {
    if (seeding || this.o.policy === 'random') return true;
    if (this.notReciprocating(p)) return false;
    return !(this.reputation && p.host !== undefined && this.reputation.standing(p.host, now) === 'free-rider');
  }

  /**
   * Interested, non-snubbed peers, best claim to a regular slot first. A rechoke round
   * (`round`) first closes the tyrant's round: its estimates are updated from what happened.
   */
  private ranked(peers: readonly ChokerPeer<P>[], now: number, seeding: boolean, round = true): ChokerPeer<P>[] {
    const candidates = peers.filter((p) => p.interested && !this.isSnubbed(p, now));
    const tyrant = this.tyrant;
    if (tyrant && !seeding) {
      if (round) tyrant.endRound(peers.map(tyrantView), new Set(peers.filter((p) => p.unchokedSince !== undefined).map((p) => p.peer)), now);
      const ratio = new Map(candidates.map((p) => [p.peer, tyrant.ratio(p.peer)]));
      candidates.sort((a, b) => ratio.get(b.peer)! - ratio.get(a.peer)! || this.byReputation(a, b, now) || b.downloadRate - a.downloadRate || a.connectedAt - b.connectedAt);
    } else if (this.o.policy === 'random') {
      // No incentive: rates are ignored; every round shuffles (Fisher–Yates).
      for (let i = candidates.length - 1; i > 0; i--) {
        const j = Math.floor(this.random.next() * (i + 1));
        [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
      }
    } else if (seeding) {
      // Round robin (libtorrent's): a peer that had its quota or held its slot too long goes to
      // the back; the others keep their slots, then those waiting longest come in.
      const quota = (p: ChokerPeer<P>) => (p.pieceLength ?? 0) > 0 && (p.uploadedSinceUnchoke ?? 0) >= this.o.seedPieceQuota * p.pieceLength!;
      const idle = (p: ChokerPeer<P>) => now - p.unchokedSince! >= this.o.seedIdleMs && (p.uploadedSinceUnchoke ?? 0) === 0;
      const expired = (p: ChokerPeer<P>) => p.unchokedSince !== undefined && (now - p.unchokedSince >= this.o.seedRotationMs || quota(p) || idle(p));
      const held = (p: ChokerPeer<P>) => (p.unchokedSince !== undefined ? 0 : 1);
      candidates.sort((a, b) => Number(expired(a)) - Number(expired(b)) || held(a) - held(b) || (a.lastUnchokedAt ?? -Infinity) - (b.lastUnchokedAt ?? -Infinity) || a.connectedAt - b.connectedAt);
    } else {
      // Rate ties (most often peers that send us nothing, for the slots no uploader claims):
      // peers that took their grace and gave (almost) nothing back come last, those that gave
      // least per byte taken last of all; then reputation.
      candidates.sort((a, b) => b.downloadRate - a.downloadRate || this.byReciprocation(a, b) || this.byReputation(a, b, now) || b.uploadRate - a.uploadRate || a.connectedAt - b.connectedAt);
    }
    return candidates;
  }

  /** It took its grace from us on this connection while it could have paid back, and gave back (almost) nothing. */
  private notReciprocating(p: ChokerPeer<P>): boolean {
    const taken = p.taken ?? 0;
    return taken >= this.o.reciprocationGraceBytes && (p.given ?? 0) < taken * FREE_RIDER_RATIO;
  }

  /** Peers that reciprocate (or have not had their grace yet) first; the others by bytes given per byte taken, then fewest taken. */
  private byReciprocation(a: ChokerPeer<P>, b: ChokerPeer<P>): number {
    const na = this.notReciprocating(a), nb = this.notReciprocating(b);
    if (na !== nb) return Number(na) - Number(nb);
    if (!na) return 0;
    const ta = a.taken ?? 0, tb = b.taken ?? 0;
    return (b.given ?? 0) / tb - (a.given ?? 0) / ta || ta - tb;
  }

  /** Known contributors first, known free riders last, then by the bytes each gave us before. */
  private byReputation(a: ChokerPeer<P>, b: ChokerPeer<P>, now: number): number {
    const r = this.reputation;
    if (!r || a.host === undefined || b.host === undefined) return 0;
    return STANDING_ORDER[r.standing(a.host, now)] - STANDING_ORDER[r.standing(b.host, now)] || r.given(b.host, now) - r.given(a.host, now);
  }

  private drawOptimistic(pool: readonly ChokerPeer<P>[], now: number, seeding: boolean): P | undefined {
    if (pool.length === 0) return undefined;
    // A seed expects nothing back: reputation shapes only a downloader's draw.
    const rep = seeding ? undefined : this.reputation;
    const standing = (p: ChokerPeer<P>) => (rep && p.host !== undefined ? rep.standing(p.host, now) : 'unknown');
    const factor: Record<Standing, number> = { contributor: CONTRIBUTOR_WEIGHT, unknown: 1, 'free-rider': FREE_RIDER_WEIGHT };
    // Not reciprocating on this connection weighs like a known free rider (a seed expects
    // nothing back; 'random' is the no-incentive baseline).
    const judged = !seeding && this.o.policy !== 'random';
    const weight = (p: ChokerPeer<P>) => (now - p.connectedAt < this.o.newPeerMs ? 3 : 1) * (judged && this.notReciprocating(p) ? FREE_RIDER_WEIGHT : factor[standing(p)]);
    let total = 0;
    for (const p of pool) total += weight(p);
    let r = this.random.next() * total;
    for (const p of pool) {
      r -= weight(p);
      if (r < 0) return p.peer;
    }
    return pool[pool.length - 1].peer;
  }
}
