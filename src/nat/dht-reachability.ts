/**
 * BEP 43: a DHT node that nobody can reach should run read-only (set `ro: 1` in its queries
 * and answer nothing), so other nodes do not fill their routing tables with it.
 *
 * The judgement: once `graceMs` have passed since bootstrap, a node that got no unsolicited
 * query in that time while its NAT maps nothing for it (the vote's NAT type is not 'open')
 * is unreachable. A NAT type that turns 'open' (a port mapping was made) makes it a full
 * node again; so does a query reaching it later (someone can reach us after all: a full-cone
 * NAT, or a mapping we did not make). Sans-I/O: the caller passes `now`, the node's count of
 * queries received and the NAT type.
 */
import type { NatType } from './external-address.js';

export interface DhtReachabilityOptions {
  /** How long after bootstrap a node waits for an unsolicited query (default 5 min). */
  graceMs?: number;
}

export const DHT_REACHABILITY_DEFAULTS: Required<DhtReachabilityOptions> = { graceMs: 5 * 60_000 };

export class DhtReachability {
  private readonly graceMs: number;
  private bootstrappedAt: number | undefined;
  private queriesAtBootstrap = 0;
  private lastQueries = 0;
  private ro = false;

  constructor(options: DhtReachabilityOptions = {}) {
    this.graceMs = options.graceMs ?? DHT_REACHABILITY_DEFAULTS.graceMs;
  }

  get readOnly(): boolean {
    return this.ro;
  }

  /** Bootstrap finished at `now`, when the node had received `queriesReceived` queries. */
  bootstrapped(now: number, queriesReceived: number): void {
    this.bootstrappedAt = now;
    this.queriesAtBootstrap = queriesReceived;
    this.lastQueries = queriesReceived;
  }

  /** Re-judges; returns the new read-only state when it changed, else undefined. */
  check(now: number, queriesReceived: number, natType: NatType): boolean | undefined {
    if (this.bootstrappedAt === undefined) return undefined;
    let next: boolean;
    if (natType === 'open') next = false;
    else if (this.ro) next = queriesReceived <= this.lastQueries; // a query reached us after all
    else next = now - this.bootstrappedAt >= this.graceMs && queriesReceived === this.queriesAtBootstrap;
    this.lastQueries = queriesReceived;
    if (next === this.ro) return undefined;
    this.ro = next;
    return next;
  }
}
