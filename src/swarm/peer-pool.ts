/**
 * Known peer addresses for one torrent: where they came from and when to try them again.
 * Decides whom to dial next within the connection limits, skipping IPs the ban list refuses.
 */
import { formatAddress, type Address } from '../runtime/types.js';
import { banKey } from './ban-list.js';
import { addressKey, type AddressKey } from '../util/address-key.js';
import { DEFAULT_MAX_ADDRESSES_PER_IP, PerIpCounts } from './peer-turnover.js';

/** Own addresses remembered (see `markSelf`). */
const MAX_SELF_ADDRESSES = 64;

export type PeerSource = 'manual' | 'incoming' | 'pex' | 'dht' | 'tracker' | 'magnet' | 'lsd';

/** An address dropped after `maxFailures`, and when. */
interface Forgotten {
  readonly key: AddressKey;
  readonly at: number;
  /** Of its failures, the drops (`Candidate.drops`): a re-learnt address keeps them, or a handshake would clear them. */
  readonly drops: number;
  /** False once re-learnt or dropped again (a newer entry): skipped when the queue reaches it. */
  live: boolean;
}

/**
 * How a connection that reached TCP ended (`PeerPool.markClosed`):
 * - `refused`: closed before the peer's handshake. It answered, so it is reachable: full, or
 *   no longer serving this torrent. Not a failure (libtorrent counts none for a peer that
 *   closes on us), but backed off, and forgotten after `maxRefusals`.
 * - `parted`: after the handshake, closed by the peer or for no fault of its (both seeds, a
 *   duplicate, shutting down). Retried after `retryBaseMs`.
 * - `dropped`: after the handshake, closed by us for a fault of its (silent, a protocol
 *   violation) with nothing delivered; a turnover is not one (peer-departure.ts `partingOf`). A drop: the wait grows, and it ranks and is
 *   forgotten as a failure; its handshake does not clear it (or a Sybil dropped for never
 *   delivering comes back 5 s later with a fresh probation, issue 15).
 */
export type Parting = 'refused' | 'parted' | 'dropped';

interface Candidate {
  readonly address: Address;
  source: PeerSource;
  /** Dials that failed since its last handshake (`markWorked` clears them). */
  failures: number;
  /** Connections we dropped for a fault of its, since it last delivered a block (`markClosed`). */
  drops: number;
  /** Dials it closed before its handshake, since the last handshake. */
  refusals: number;
  /** A connection to it reached TCP once (`markClosed`): dialled after the addresses never tried. */
  answered: boolean;
  nextAttemptAt: number;
  connected: boolean;
  /** It had every piece when we last spoke: not worth dialling while we have every piece too. */
  seed?: boolean;
}

export interface PeerPoolOptions {
  /** Known addresses kept at most (default 2000). */
  maxCandidates?: number;
  /** Failures and drops (`Parting`) after which an address is forgotten (default 5; manual peers are kept). */
  maxFailures?: number;
  /** First retry delay; doubles with each failure (default 5 s). */
  retryBaseMs?: number;
  /**
   * The wait after the first drop (`Parting`), doubling with each (default 60 s: libtorrent's
   * `min_reconnect_time`, its least wait before redialling any peer it was connected to).
   */
  dropRetryBaseMs?: number;
  /** Refusals in a row after which an address is forgotten (default 20: a full peer is kept for long, a dead torrent not for ever). */
  maxRefusals?: number;
  /** The longest wait after a refusal (default 60 s, libtorrent's `min_reconnect_time`): a full peer has room again soon. */
  maxRefusedRetryMs?: number;
  /** Whether an IP is refused now (the session's ban list); refused IPs are neither kept nor dialled. */
  refused?: (host: string) => boolean;
  /**
   * Forgotten addresses remembered with their failures (default 2000; the oldest go first), so
   * that a peer source naming one again gives it one more try after the longest back-off
   * instead of a fresh start.
   */
  maxForgotten?: number;
  /** Addresses kept per IP, IPv6 per /64 (default 8; peer-turnover.ts): one IP listed with 500 ports is not 500 peers. */
  maxAddressesPerIp?: number;
}

export class PeerPool {
  /** Keyed by `addressKey` (a number for an IPv4 address: no string per lookup); in the order learned. */
  private readonly candidates = new Map<AddressKey, Candidate>();
  private readonly o: Required<PeerPoolOptions>;
  /** Addresses that turned out to be our own (a dial that reached us): never dialled again. */
  private readonly self = new Set<AddressKey>();
  /**
   * Addresses dropped after `maxFailures`: when each was dropped. libtorrent keeps a failed
   * peer's failcount and a peer source naming it again takes one off (one more try); without
   * this, PEX re-teaches every forgotten address as fresh and it goes to the front of the
   * dial order at once (issue 15; docs/simulator.md).
   */
  private readonly forgotten = new Map<AddressKey, Forgotten>();
  /**
   * The same entries oldest first, for dropping the oldest past `maxForgotten`: a queue whose
   * dead entries (re-learnt, or dropped again later) are skipped when reached. (A Map's first
   * key costs a walk over the slots of entries deleted before it: V8 compacts a Map only when
   * it rehashes, and a pool under churn deletes from its front all the time.)
   */
  private forgottenOrder: Forgotten[] = [];
  private forgottenHead = 0;

  private readonly perIp: PerIpCounts;

  constructor(options: PeerPoolOptions = {}) {
    this.o = { maxCandidates: 2000, maxFailures: 5, retryBaseMs: 5000, dropRetryBaseMs: 60_000, maxRefusals: 20, maxRefusedRetryMs: 60_000, refused: () => false, maxAddressesPerIp: DEFAULT_MAX_ADDRESSES_PER_IP, maxForgotten: 2000, ...options };
    this.perIp = new PerIpCounts(this.o.maxAddressesPerIp);
  }

  static key(a: Address): string {
    return formatAddress(a);
  }

  /** Whether the address of key `k` is a candidate now, or known to be our own (`add` would do nothing). */
  knows(k: AddressKey): boolean {
    return this.candidates.has(k) || this.self.has(k);
  }

  /** `k`: the address's key, when the caller made it already. The pool keeps a copy of the address (host and port only). */
  add(address: Address, source: PeerSource, k: AddressKey = addressKey(address)): void {
    if (this.knows(k)) return;
    // The cheap refusals first: a full pool hears of every address PEX brings.
    if (this.candidates.size >= this.o.maxCandidates && source !== 'manual') return;
    if (address.port <= 0 || address.port > 65535 || this.o.refused(address.host)) return;
    if (!this.perIp.take(address.host, source === 'manual')) return;
    const forgotten = this.forgotten.get(k);
    if (forgotten !== undefined && source !== 'manual' && source !== 'incoming') {
      // Known to fail: one more try, once the longest back-off since it was dropped has run.
      this.unforget(forgotten);
      const drops = Math.min(forgotten.drops, this.o.maxFailures - 1);
      const failures = this.o.maxFailures - 1 - drops;
      const wait = drops > 0 ? this.dropBackoff(drops) : this.backoff(failures);
      this.candidates.set(k, { address: { host: address.host, port: address.port }, source, failures, drops, refusals: 0, answered: false, nextAttemptAt: forgotten.at + wait, connected: false });
      return;
    }
    this.candidates.set(k, { address: { host: address.host, port: address.port }, source, failures: 0, drops: 0, refusals: 0, answered: false, nextAttemptAt: 0, connected: false });
  }

  /** The wait after the `failures`-th failure: `retryBaseMs`, doubling. */
  private backoff(failures: number): number {
    return doubling(this.o.retryBaseMs, failures);
  }

  /** The wait after the `drops`-th drop: `dropRetryBaseMs`, doubling (`maxFailures` ends it sooner). */
  private dropBackoff(drops: number): number {
    return doubling(this.o.dropRetryBaseMs, drops);
  }

  /** `address` is our own (our listen address, or a dial answered with our peer id): never dial it. */
  markSelf(address: Address): void {
    const k = addressKey(address);
    if (this.candidates.delete(k)) this.perIp.release(address.host);
    this.self.add(k);
    // Bounded: a host has few addresses; a flood of distinct ones only forgets the oldest.
    if (this.self.size > MAX_SELF_ADDRESSES) this.self.delete(this.self.values().next().value as AddressKey);
  }

  /** Forgets every address of `host` (its IP was banned). */
  forgetHost(host: string): void {
    const ip = banKey(host);
    for (const [k, c] of this.candidates) if (banKey(c.address.host) === ip) {
      this.candidates.delete(k);
      this.perIp.release(c.address.host);
    }
  }

  /** The address is connected (or a dial to it is under way), or no longer: `due` skips it while connected. */
  markConnected(address: Address, connected: boolean): void {
    const c = this.candidates.get(addressKey(address));
    if (c) c.connected = connected;
  }

  /**
   * A connection to the address got as far as the peer's handshake: its failures and refusals
   * are cleared (not its drops: a Sybil handshakes every time). Not at TCP connect: a full
   * peer accepts the connection and closes it at our handshake (`markClosed` 'refused').
   */
  markWorked(address: Address): void {
    const c = this.candidates.get(addressKey(address));
    if (c) c.failures = c.refusals = 0;
  }

  /** The peer at `address` is a seed (we parted as two seeds): `due` skips it while we are one too. */
  markSeed(address: Address): void {
    const c = this.candidates.get(addressKey(address));
    if (c) c.seed = true;
  }

  /** A dial failed (no connection): back off exponentially; forgotten at `maxFailures` (drops included). */
  markFailed(address: Address, now: number): void {
    const k = addressKey(address);
    const c = this.candidates.get(k);
    if (!c) return;
    c.connected = false;
    c.failures++;
    if (!this.forgetIfSpent(k, c, now)) c.nextAttemptAt = now + this.backoff(c.failures);
  }

  /**
   * A connection to the address ended (`Parting`); `delivered`: the peer sent us a block on it,
   * which clears its drops (it worked, as a handshake alone does not show).
   */
  markClosed(address: Address, now: number, how: Parting, delivered = false): void {
    const k = addressKey(address);
    const c = this.candidates.get(k);
    if (!c) return;
    c.connected = false;
    c.answered = true;
    if (delivered) c.drops = 0;
    if (how === 'refused') {
      c.refusals++;
      if (c.refusals >= this.o.maxRefusals && c.source !== 'manual') return this.forget(k, c, now);
      c.nextAttemptAt = now + Math.min(this.backoff(c.refusals), this.o.maxRefusedRetryMs);
    } else if (how === 'dropped' && !delivered) {
      c.drops++;
      if (!this.forgetIfSpent(k, c, now)) c.nextAttemptAt = now + this.dropBackoff(c.drops);
    } else c.nextAttemptAt = now + this.o.retryBaseMs;
  }

  /** Forgets the address once its failures and drops reach `maxFailures` (manual ones are kept); whether it did. */
  private forgetIfSpent(k: AddressKey, c: Candidate, now: number): boolean {
    if (c.failures + c.drops < this.o.maxFailures || c.source === 'manual') return false;
    this.forget(k, c, now);
    return true;
  }

  private forget(k: AddressKey, c: Candidate, now: number): void {
    this.candidates.delete(k);
    this.perIp.release(c.address.host);
    this.remember(k, now, c.drops);
  }

  /** Remembers `k` as dropped at `now` (the newest); the oldest goes past `maxForgotten`. O(1) amortised. */
  private remember(k: AddressKey, now: number, drops: number): void {
    const old = this.forgotten.get(k);
    if (old) this.unforget(old);
    const e: Forgotten = { key: k, at: now, drops, live: true };
    this.forgotten.set(k, e);
    this.forgottenOrder.push(e);
    while (this.forgotten.size > this.o.maxForgotten && this.forgottenHead < this.forgottenOrder.length) {
      const oldest = this.forgottenOrder[this.forgottenHead++];
      if (oldest.live) this.unforget(oldest);
    }
    // Compact once the dequeued prefix is half the array, or dead entries outnumber the live
    // ones: each entry is copied at most once per halving.
    const queued = this.forgottenOrder.length - this.forgottenHead;
    if ((this.forgottenHead >= 64 && this.forgottenHead >= queued) || queued > 2 * this.forgotten.size + 64) {
      this.forgottenOrder = this.forgottenOrder.slice(this.forgottenHead).filter((f) => f.live);
      this.forgottenHead = 0;
    }
  }

  private unforget(e: Forgotten): void {
    e.live = false;
    this.forgotten.delete(e.key);
  }

  /** Addresses remembered as forgotten (bounded by `maxForgotten`). */
  get forgottenCount(): number {
    return this.forgotten.size;
  }

  /**
   * Addresses to dial now (not connected, not banned, due; no known seed when `weAreSeed`), up
   * to `count`, in tiers (`tierOf`): addresses never tried first, then those that answered
   * and did not fail us (one that refused us, full, is reachable), then those that failed or
   * were dropped; each tier in the order learned. As libtorrent ranks
   * its connect candidates by failure count first: a swarm whose peers come and go fills its
   * pool with departed addresses, each holding a half-open slot until its connect times out,
   * and dialled in the order learned they crowd out the live ones (issue 15: at 200 peers,
   * late arrivals sat with under 5 connections and a pool of 100 for minutes). `allow`, asked
   * last, may refuse an address for now (the per-IP dial rule, peer-turnover.ts `dialFilter`).
   */
  due(now: number, count: number, isConnected: (address: Address) => boolean, weAreSeed = false, allow?: (address: Address) => boolean): Address[] {
    const out: Address[] = [];
    for (let tier = 0; tier < 3; tier++) {
      for (const c of this.candidates.values()) {
        if (out.length >= count) return out;
        if (tierOf(c) !== tier) continue;
        if (c.connected || c.nextAttemptAt > now || isConnected(c.address) || (weAreSeed && c.seed === true)) continue;
        if (this.o.refused(c.address.host)) continue;
        if (allow && !allow(c.address)) continue;
        out.push(c.address);
        c.connected = true; // in progress; markFailed or markConnected settles it
      }
    }
    return out;
  }

  get size(): number {
    return this.candidates.size;
  }
}

/**
 * The dial order's tiers, as libtorrent's `compare_peer` ranks (failcount, then last connected,
 * never first): 0, never failed nor dropped and never tried; 1, never failed nor dropped but
 * tried (it refused us, full, or we parted); 2, failed or dropped.
 */
function tierOf(c: Candidate): number {
  return c.failures + c.drops > 0 ? 2 : c.answered ? 1 : 0;
}

/** `baseMs` after the first time, doubling with each after it, at most 64x. */
function doubling(baseMs: number, times: number): number {
  return baseMs * 2 ** Math.max(0, Math.min(times - 1, 6));
}
