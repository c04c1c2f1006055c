/**
 * BEP 55 adverts: which peers told us (PEX, BEP 11) of which ut_holepunch targets, for asking
 * one of them to relay a rendezvous when a dial fails.
 *
 * A swarm client keeps up to `maxAdvertised` targets, each advertised by ~8 of its neighbours
 * (a 300-peer swarm: 7,769 targets, 58,092 (target, advertiser) pairs over 127 clients). As a
 * record per target with an array of advertisers and a Set per advertiser this was ~90 bytes per
 * pair, all of it objects the collector copies and marks (19% of what survived in a 3,000-peer
 * run). Here a pair is 6 int32 in one typed array (24 bytes, nothing for the collector to trace):
 * it is linked into its target's list (advertisers in the order they told us: the relay asked is
 * the first that can) and into its advertiser's (a peer leaving costs what it told us). Targets
 * are linked oldest first, for dropping the oldest past `maxAdvertised`. Freed slots are reused.
 *
 * Keys: `util/address-key.ts` (an IPv4 literal's address and port as one number, no string per target); anything else
 * as `host|port`.
 */
import type { Address } from '../runtime/types.js';
import { addressKey, type AddressKey } from '../util/address-key.js';

const NONE = -1;
// A pair's fields (stride PAIR): target slot, advertiser index, and its links in both lists.
const PAIR = 6, P_TARGET = 0, P_PEER = 1, P_NEXT_T = 2, P_PREV_T = 3, P_NEXT_P = 4, P_PREV_P = 5;
// A target's fields (stride TGT): its advertisers' list (first, last) and its place in the age list.
const TGT = 4, T_HEAD = 0, T_TAIL = 1, T_OLDER = 2, T_NEWER = 3;

export class AdvertTable<P> {
  private readonly slotOf = new Map<number | string, number>();
  /** Per target slot, its key (a number; NaN when the key is text, kept in `textKeys`). */
  private keyNum = new Float64Array(16);
  private readonly textKeys = new Map<number, string>();
  private targets = new Int32Array(16 * TGT);
  private pairs = new Int32Array(64 * PAIR);
  /** Free target slots and pairs, linked through T_HEAD and P_NEXT_T. */
  private freeTarget = NONE;
  private freePair = NONE;
  private usedTargets = 0;
  private usedPairs = 0;
  private oldest = NONE;
  private newest = NONE;
  /** Advertisers by index, with the first pair of each one's list. */
  private readonly peerIndex = new Map<P, number>();
  private readonly peerAt: (P | undefined)[] = [];
  private readonly peerHead: number[] = [];
  private readonly freePeers: number[] = [];
  /**
   * The (target slot, advertiser index) pairs kept, one bit each: a row of `rowWords` words
   * per advertiser index over the target slots (fewer than `maxTargets`), so a repeat is found
   * in O(1). A swarm adds and later forgets nearly every pair once (200 peers: 668,222 pairs,
   * 38 repeats), and a hash set of them cost an insert and a delete each; a row is
   * `maxTargets` / 8 bytes, against the 24 bytes each of the up to `maxTargets` pairs an
   * advertiser can hold.
   */
  private seen = new Int32Array(0);
  private readonly rowWords: number;
  /** The last advertiser looked up and its index: a PEX message's entries all come from one. */
  private lastPeer: P | undefined;
  private lastIndex = NONE;

  constructor(private readonly maxTargets: number) {
    this.rowWords = Math.max(1, Math.ceil(maxTargets / 32));
  }

  /** Targets kept. */
  get size(): number {
    return this.slotOf.size;
  }

  /** Slots allocated (for tests: freed slots are reused). */
  get capacity(): { targets: number; pairs: number } {
    return { targets: this.targets.length / TGT, pairs: this.pairs.length / PAIR };
  }

  /** (target, advertiser) pairs kept. */
  get pairCount(): number {
    let n = 0;
    for (const [, t] of this.slotOf) for (let x = this.targets[t * TGT + T_HEAD]; x !== NONE; x = this.pairs[x * PAIR + P_NEXT_T]) n++;
    return n;
  }

  /** `peer` advertised `target`; a new target past `maxTargets` drops the oldest one kept. */
  add(target: Address, peer: P): void {
    this.addKey(addressKey(target), peer);
  }

  /** `add` by the target's `addressKey`. */
  addKey(k: AddressKey, peer: P): void {
    let t = this.slotOf.get(k);
    let pi = peer === this.lastPeer ? this.lastIndex : this.peerIndex.get(peer);
    if (t === undefined) {
      if (this.slotOf.size >= this.maxTargets) this.dropOldest();
      t = this.newTarget(k);
    } else if (pi !== undefined && this.paired(t, pi)) return;
    if (pi === undefined) pi = this.newPeer(peer);
    this.lastPeer = peer;
    this.lastIndex = pi;
    this.seen[pi * this.rowWords + (t >>> 5)] |= 1 << (t & 31);
    const x = this.allocPair();
    const pr = this.pairs, tg = this.targets;
    pr[x * PAIR + P_TARGET] = t;
    pr[x * PAIR + P_PEER] = pi;
    // Last in its target's list (advertisers in the order they told us).
    const tail = tg[t * TGT + T_TAIL];
    pr[x * PAIR + P_PREV_T] = tail;
    pr[x * PAIR + P_NEXT_T] = NONE;
    if (tail === NONE) tg[t * TGT + T_HEAD] = x;
    else pr[tail * PAIR + P_NEXT_T] = x;
    tg[t * TGT + T_TAIL] = x;
    // First in its advertiser's list (that order is never read).
    const head = this.peerHead[pi];
    pr[x * PAIR + P_PREV_P] = NONE;
    pr[x * PAIR + P_NEXT_P] = head;
    if (head !== NONE) pr[head * PAIR + P_PREV_P] = x;
    this.peerHead[pi] = x;
  }

  /**
   * `peer` no longer has the target of key `k` (its PEX `dropped`, BEP 11: it disconnected
   * from it), so it can no longer relay to it: the pair goes (libtorrent erases it from the
   * connection's introduced peers too). O(the target's advertisers).
   */
  dropKey(k: AddressKey, peer: P): void {
    const t = this.slotOf.get(k);
    if (t === undefined) return;
    const pi = peer === this.lastPeer ? this.lastIndex : this.peerIndex.get(peer);
    if (pi === undefined || !this.paired(t, pi)) return;
    const pr = this.pairs, tg = this.targets;
    let x = tg[t * TGT + T_HEAD];
    while (pr[x * PAIR + P_PEER] !== pi) x = pr[x * PAIR + P_NEXT_T];
    this.unlinkFromTarget(x, t);
    this.unpair(x, t, pi);
    if (tg[t * TGT + T_HEAD] === NONE) this.releaseTarget(t);
  }

  /** Takes pair `x` out of its target `t`'s list. */
  private unlinkFromTarget(x: number, t: number): void {
    const pr = this.pairs, tg = this.targets;
    const prev = pr[x * PAIR + P_PREV_T], next = pr[x * PAIR + P_NEXT_T];
    if (prev === NONE) tg[t * TGT + T_HEAD] = next;
    else pr[prev * PAIR + P_NEXT_T] = next;
    if (next === NONE) tg[t * TGT + T_TAIL] = prev;
    else pr[next * PAIR + P_PREV_T] = prev;
  }

  /** Takes pair `x` (target slot `t`, advertiser `pi`) out of its advertiser's list and frees it. */
  private unpair(x: number, t: number, pi: number): void {
    const pr = this.pairs;
    const prev = pr[x * PAIR + P_PREV_P], next = pr[x * PAIR + P_NEXT_P];
    if (prev === NONE) this.peerHead[pi] = next;
    else pr[prev * PAIR + P_NEXT_P] = next;
    if (next !== NONE) pr[next * PAIR + P_PREV_P] = prev;
    this.seen[pi * this.rowWords + (t >>> 5)] &= ~(1 << (t & 31));
    this.releasePair(x);
  }

  /** The first advertiser of `target`, in the order they told us, that `ok` accepts. */
  find(target: Address, ok: (peer: P) => boolean): P | undefined {
    const t = this.slotOf.get(addressKey(target));
    if (t === undefined) return undefined;
    for (let x = this.targets[t * TGT + T_HEAD]; x !== NONE; x = this.pairs[x * PAIR + P_NEXT_T]) {
      const p = this.peerAt[this.pairs[x * PAIR + P_PEER]] as P;
      if (ok(p)) return p;
    }
    return undefined;
  }

  /** `peer` left: what it advertised goes, and a target no one else advertised. O(what it advertised). */
  forget(peer: P): void {
    const pi = this.peerIndex.get(peer);
    if (pi === undefined) return;
    const pr = this.pairs, tg = this.targets;
    for (let x = this.peerHead[pi]; x !== NONE;) {
      const next = pr[x * PAIR + P_NEXT_P];
      const t = pr[x * PAIR + P_TARGET];
      this.unlinkFromTarget(x, t);
      this.releasePair(x);
      if (tg[t * TGT + T_HEAD] === NONE) this.releaseTarget(t);
      x = next;
    }
    this.seen.fill(0, pi * this.rowWords, (pi + 1) * this.rowWords);
    if (this.lastPeer === peer) {
      this.lastPeer = undefined;
      this.lastIndex = NONE;
    }
    this.peerIndex.delete(peer);
    this.peerAt[pi] = undefined;
    this.peerHead[pi] = NONE;
    this.freePeers.push(pi);
  }

  /** Drops the oldest target kept, from every peer that advertised it. */
  private dropOldest(): void {
    const t = this.oldest;
    if (t === NONE) return;
    const pr = this.pairs;
    for (let x = this.targets[t * TGT + T_HEAD]; x !== NONE;) {
      const next = pr[x * PAIR + P_NEXT_T];
      this.unpair(x, t, pr[x * PAIR + P_PEER]);
      x = next;
    }
    this.releaseTarget(t);
  }

  private newTarget(k: number | string): number {
    let t = this.freeTarget;
    if (t !== NONE) this.freeTarget = this.targets[t * TGT + T_HEAD];
    else {
      t = this.usedTargets++;
      if (t * TGT >= this.targets.length) {
        this.targets = grow(this.targets, this.targets.length * 2);
        const keys = new Float64Array(this.keyNum.length * 2);
        keys.set(this.keyNum);
        this.keyNum = keys;
      }
    }
    const tg = this.targets;
    tg[t * TGT + T_HEAD] = NONE;
    tg[t * TGT + T_TAIL] = NONE;
    tg[t * TGT + T_OLDER] = this.newest;
    tg[t * TGT + T_NEWER] = NONE;
    if (this.newest === NONE) this.oldest = t;
    else tg[this.newest * TGT + T_NEWER] = t;
    this.newest = t;
    if (typeof k === 'number') this.keyNum[t] = k;
    else {
      this.keyNum[t] = NaN;
      this.textKeys.set(t, k);
    }
    this.slotOf.set(k, t);
    return t;
  }

  private releaseTarget(t: number): void {
    const tg = this.targets;
    const older = tg[t * TGT + T_OLDER], newer = tg[t * TGT + T_NEWER];
    if (older === NONE) this.oldest = newer;
    else tg[older * TGT + T_NEWER] = newer;
    if (newer === NONE) this.newest = older;
    else tg[newer * TGT + T_OLDER] = older;
    const n = this.keyNum[t];
    if (Number.isNaN(n)) {
      this.slotOf.delete(this.textKeys.get(t) as string);
      this.textKeys.delete(t);
    } else this.slotOf.delete(n);
    tg[t * TGT + T_HEAD] = this.freeTarget;
    this.freeTarget = t;
  }

  private allocPair(): number {
    let x = this.freePair;
    if (x !== NONE) this.freePair = this.pairs[x * PAIR + P_NEXT_T];
    else {
      x = this.usedPairs++;
      // By half again (a client's pairs rise and fall with its neighbours: less slack than doubling).
      if (x * PAIR >= this.pairs.length) this.pairs = grow(this.pairs, Math.ceil(x * 1.5) * PAIR);
    }
    return x;
  }

  private releasePair(x: number): void {
    this.pairs[x * PAIR + P_NEXT_T] = this.freePair;
    this.freePair = x;
  }

  /** Whether advertiser `pi` told us of target slot `t` (and it is kept). */
  private paired(t: number, pi: number): boolean {
    return (this.seen[pi * this.rowWords + (t >>> 5)] & (1 << (t & 31))) !== 0;
  }

  private newPeer(peer: P): number {
    const pi = this.freePeers.pop() ?? this.peerAt.length;
    // Its row of `seen` is all zero: a new index's is fresh, a reused one's was cleared by `forget`.
    if ((pi + 1) * this.rowWords > this.seen.length) {
      const seen = new Int32Array(Math.max(pi + 1, Math.ceil(this.seen.length / this.rowWords * 1.5)) * this.rowWords);
      seen.set(this.seen);
      this.seen = seen;
    }
    this.peerAt[pi] = peer;
    this.peerHead[pi] = NONE;
    this.peerIndex.set(peer, pi);
    return pi;
  }
}

function grow(a: Int32Array, length: number): Int32Array<ArrayBuffer> {
  const b = new Int32Array(length);
  b.set(a);
  return b;
}
