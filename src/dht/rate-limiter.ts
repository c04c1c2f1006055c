/**
 * Per-source rate limit on incoming queries (a defence limit): each source IP may send
 * `perSecond` queries per second with bursts of `burst`; more are dropped without reply.
 * A token bucket per IP, kept as one number (the generic cell rate algorithm: the time at
 * which the source's bucket is full again), forgotten once full; at most `maxSources` are
 * tracked at once (past that, new sources share one bucket so the map cannot grow without
 * bound).
 *
 * One number a source instead of a `{ tokens, at }` object: the object and its two boxed
 * doubles were three old-space objects per recent source in every node of a big simulation.
 */
import { randomInt } from 'node:crypto';
import { smallHash } from '../util/small-hash.js';

export interface RateLimitOptions {
  /** Sustained queries per second per source IP. Default 20. */
  perSecond?: number;
  /** Burst size. Default 50. */
  burst?: number;
  /** Sources tracked at once. Default 4096. */
  maxSources?: number;
}

export const RATE_LIMIT_DEFAULTS = { perSecond: 20, burst: 50, maxSources: 4096 } as const satisfies Required<RateLimitOptions>;

/** Slots at the first source; tables never shrink below it. */
const MIN_SLOTS = 8;
const NO_HOSTS: (string | null)[] = [];
const NO_TIMES: number[] = [];
/** A sweep's survivors, gathered before they are put back (sweeps are synchronous; the arrays keep their length). */
const KEPT_HOSTS: string[] = [];
const KEPT_TIMES: number[] = [];
/** A free slot's time: a double, so the times array holds unboxed doubles from the start. */
const FREE = Number.NEGATIVE_INFINITY;

export class RateLimiter {
  /** Ms one query takes out of the bucket (1 / rate). */
  private readonly intervalMs: number;
  /** A query is allowed while the bucket's full time is at most this far ahead: (burst - 1) intervals. */
  private readonly toleranceMs: number;
  private readonly burst: number;
  private readonly maxSources: number;
  /**
   * Source -> when its bucket is full again (clock ms): an open-addressing table (linear
   * probing by `smallHash` of the source) in two plain arrays, the times unboxed. A `Map`
   * boxed every new time and reallocated its hash table at each sweep; the new tables,
   * hung off a long-lived map, outlived the young generation (a tenth of what survived
   * scavenges in a 10,000-node simulation). Shared empty arrays until the first source.
   */
  private hosts: (string | null)[] = NO_HOSTS;
  private fullAts: number[] = NO_TIMES;
  private count = 0;
  /** The bucket sources share once `maxSources` are tracked. */
  private overflowFullAt = Number.NEGATIVE_INFINITY;
  private sweptAt = 0;
  /**
   * Secret per table: the sources are UDP source addresses, which a sender picks (and can
   * spoof); with a known hash, thousands of addresses crafted to share one probe run would make
   * every datagram scan them all. Where sources land in the table changes nothing else (the
   * same decisions, so a simulation replays the same), so it need not come from the runtime's
   * seeded random source.
   */
  private readonly seed = randomInt(0x40000000);

  constructor(options: RateLimitOptions = {}) {
    const o = { ...RATE_LIMIT_DEFAULTS, ...options };
    // No refill at all (perSecond 0): an interval of ~31 years keeps the arithmetic finite.
    this.intervalMs = o.perSecond > 0 ? 1000 / o.perSecond : 1e12;
    this.burst = o.burst;
    this.toleranceMs = (o.burst - 1) * this.intervalMs;
    this.maxSources = o.maxSources;
  }

  /** Takes one token for `source`; false when it is over its limit. */
  allow(source: string, now: number): boolean {
    let slot = this.find(source);
    let fullAt: number;
    let shared = false;
    if (slot < 0) {
      if (now - this.sweptAt > this.burst * this.intervalMs) this.sweep(now);
      if (this.count >= this.maxSources) {
        shared = true;
        fullAt = this.overflowFullAt;
      } else fullAt = now;
    } else fullAt = this.fullAts[slot];
    // A bucket that is full again counts from now (tokens do not pile up past the burst).
    const from = fullAt > now ? fullAt : now;
    if (from - now > this.toleranceMs) return false; // fewer than one token left
    if (shared) this.overflowFullAt = from + this.intervalMs;
    else {
      if (slot < 0) slot = this.insert(source);
      this.fullAts[slot] = from + this.intervalMs;
    }
    return true;
  }

  /** Sources currently tracked. */
  get size(): number {
    return this.count;
  }

  /** The longest run of occupied slots: what one lookup may have to scan (a health figure, and the tests' check on the seed). */
  get longestProbeRun(): number {
    let longest = 0, run = 0;
    for (let i = 0; i < 2 * this.hosts.length; i++) {
      if (this.hosts[i % this.hosts.length] === null) run = 0;
      else longest = Math.max(longest, Math.min(++run, this.count));
    }
    return longest;
  }

  /** The slot holding `source`, or -1. */
  private find(source: string): number {
    if (this.count === 0) return -1;
    const hosts = this.hosts;
    const mask = hosts.length - 1;
    for (let i = smallHash(source, this.seed) & mask; ; i = (i + 1) & mask) {
      const h = hosts[i];
      if (h === null) return -1;
      if (h === source) return i;
    }
  }

  /** Puts a new source in a free slot (growing the table past half full) and returns the slot. */
  private insert(source: string): number {
    if (2 * (this.count + 1) > this.hosts.length) this.resize(Math.max(MIN_SLOTS, 2 * this.hosts.length));
    this.count++;
    return this.place(source, FREE);
  }

  private place(source: string, fullAt: number): number {
    const hosts = this.hosts;
    const mask = hosts.length - 1;
    let i = smallHash(source, this.seed) & mask;
    while (hosts[i] !== null) i = (i + 1) & mask;
    hosts[i] = source;
    this.fullAts[i] = fullAt;
    return i;
  }

  /** New arrays of `slots` slots (a power of two) holding the same sources. */
  private resize(slots: number): void {
    const oldHosts = this.hosts;
    const oldTimes = this.fullAts;
    this.hosts = new Array<string | null>(slots).fill(null);
    this.fullAts = new Array<number>(slots).fill(FREE);
    for (let i = 0; i < oldHosts.length; i++) {
      const h = oldHosts[i];
      if (h !== null) this.place(h, oldTimes[i]);
    }
  }

  /** Forgets the sources whose bucket is full again; the table shrinks when it is mostly empty. */
  private sweep(now: number): void {
    this.sweptAt = now;
    if (this.count === 0) return;
    const hosts = this.hosts;
    const times = this.fullAts;
    let kept = 0;
    for (let i = 0; i < hosts.length; i++) {
      const h = hosts[i];
      if (h === null) continue;
      if (times[i] > now) {
        KEPT_HOSTS[kept] = h;
        KEPT_TIMES[kept++] = times[i];
      }
      hosts[i] = null;
      times[i] = FREE;
    }
    this.count = kept;
    let slots = hosts.length;
    while (slots > MIN_SLOTS && 8 * kept < slots) slots >>= 1;
    if (slots !== hosts.length) {
      this.hosts = new Array<string | null>(slots).fill(null);
      this.fullAts = new Array<number>(slots).fill(FREE);
    }
    for (let i = 0; i < kept; i++) {
      this.place(KEPT_HOSTS[i], KEPT_TIMES[i]);
      KEPT_HOSTS[i] = ''; // holds no source past the sweep
    }
  }
}
