import { sourceKey } from '../util/source-key.js';

/**
 * Which IPs we refuse, for a whole session: checked when a connection is accepted (before
 * any handshake work) and before dialling. Keyed by IP, not IP and port, so a peer cannot
 * come back from a new port (libtorrent bans by IP too); an IPv6 address by its /64.
 *
 * Two kinds of refusal:
 * - a ban, for corrupt data (a piece failing its hash, bad metadata): it holds for the
 *   session, until `maxBans` newer bans push it out (oldest first);
 * - a time-out, for an IP that keeps breaking the protocol: one violation only closes that
 *   connection, but `maxViolations` within `violationWindowMs` refuse the IP for
 *   `violationBanMs`, so a violate-and-reconnect loop stops.
 *
 * Sans I/O: the caller passes `now` (the runtime clock's milliseconds).
 */

export interface BanListOptions {
  /** Banned or refused IPs kept at most; past it the oldest entry is dropped (default 10,000). */
  readonly maxBans?: number;
  /** Protocol violations from one IP within `violationWindowMs` that get it refused (default 5). */
  readonly maxViolations?: number;
  /** The window violations are counted in (default 60 s). */
  readonly violationWindowMs?: number;
  /** How long an IP that reached `maxViolations` is refused (default 10 min). */
  readonly violationBanMs?: number;
  /** IPs whose recent violations are remembered at most; the oldest is forgotten first (default 10,000). */
  readonly maxTrackedViolators?: number;
}

export const BAN_LIST_DEFAULTS: Readonly<Required<BanListOptions>> = {
  maxBans: 10_000,
  maxViolations: 5,
  violationWindowMs: 60_000,
  violationBanMs: 10 * 60_000,
  maxTrackedViolators: 10_000,
};

interface Ban {
  /** When the refusal ends (Infinity: for the session). */
  readonly until: number;
  readonly reason: string;
}

interface Violations {
  count: number;
  since: number;
}

/**
 * The key an address is banned under: the IPv4 address (an IPv4-mapped IPv6 one,
 * `::ffff:a.b.c.d`, counts as it), or the /64 of an IPv6 address. Keyed by the whole IPv6
 * address, a ban cost an attacker holding a /64 (what one host usually gets) nothing: it
 * has 2^64 addresses to come back from.
 */
export const banKey = sourceKey;

export class BanList {
  private readonly o: Required<BanListOptions>;
  private readonly bans = new Map<string, Ban>();
  private readonly violations = new Map<string, Violations>();

  constructor(options: BanListOptions = {}) {
    this.o = { ...BAN_LIST_DEFAULTS, ...options };
  }

  get options(): Readonly<Required<BanListOptions>> {
    return this.o;
  }

  /** Bans `host` (corrupt data): refused for `durationMs` (default: for the session). */
  ban(host: string, reason: string, now: number, durationMs = Infinity): void {
    const k = banKey(host);
    this.bans.delete(k); // re-inserted last: the newest entry is evicted last
    this.bans.set(k, { until: now + durationMs, reason });
    this.violations.delete(k);
    while (this.bans.size > this.o.maxBans) this.bans.delete(this.bans.keys().next().value as string);
  }

  /** Whether `host` is refused now; an expired refusal is forgotten. */
  isBanned(host: string, now: number): boolean {
    const k = banKey(host);
    const b = this.bans.get(k);
    if (b === undefined) return false;
    if (now < b.until) return true;
    this.bans.delete(k);
    return false;
  }

  /** Why `host` is refused, or undefined. */
  reason(host: string, now: number): string | undefined {
    return this.isBanned(host, now) ? this.bans.get(banKey(host))?.reason : undefined;
  }

  /**
   * A connection from `host` broke the protocol (and was closed). Returns true when this one
   * was the `maxViolations`-th within the window: the IP is refused from now on for
   * `violationBanMs`.
   */
  recordViolation(host: string, reason: string, now: number): boolean {
    const k = banKey(host);
    if (this.isBanned(k, now)) return false;
    let v = this.violations.get(k);
    if (v === undefined || now - v.since >= this.o.violationWindowMs) {
      this.violations.delete(k);
      v = { count: 0, since: now };
      this.violations.set(k, v);
      while (this.violations.size > this.o.maxTrackedViolators) this.violations.delete(this.violations.keys().next().value as string);
    }
    if (++v.count < this.o.maxViolations) return false;
    this.ban(k, `${v.count} protocol violations within ${this.o.violationWindowMs / 1000} s (last: ${reason})`, now, this.o.violationBanMs);
    return true;
  }

  /** IPs refused (expired time-outs may still be counted until they are looked up). */
  get size(): number {
    return this.bans.size;
  }

  /** IPs with violations remembered. */
  get trackedViolators(): number {
    return this.violations.size;
  }
}
