/**
 * An address-restricted NAT filter in front of a simulated DHT node: the node can send to
 * anyone, but only hears from hosts it sent to in the last `timeoutMs`. This is how most of
 * the "nodes that never answer" in the real DHT behave: they get into routing tables
 * through their own traffic (a node they queried pings them back and they answer), but
 * whoever learns of them from a third party never hears back.
 * Part of the simulated environment: the DHT code is the same.
 */
import type { Address, Clock, UdpEndpoint } from '../../runtime/types.js';
import type { DhtSocket } from '../dht-node.js';

const MIN_PRUNE_AT = 64;

export class NatSocket implements DhtSocket {
  private readonly endpoint: UdpEndpoint;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private recent = new Map<string, number>();
  /**
   * Expired holes are dropped when the map reaches this size, which then becomes twice what
   * is left (at least 64): a fixed 512 kept ~1.5 KB of stale holes per NATed node at scale.
   */
  private pruneAt = MIN_PRUNE_AT;

  constructor(endpoint: UdpEndpoint, clock: Clock, timeoutMs: number) {
    this.endpoint = endpoint;
    this.clock = clock;
    this.timeoutMs = timeoutMs;
  }

  get address(): Address {
    return this.endpoint.address;
  }

  send(data: Uint8Array, to: Address): void {
    const now = this.clock.now();
    if (this.recent.size >= this.pruneAt) this.prune(now);
    this.recent.set(to.host, now);
    this.endpoint.send(data, to);
  }

  /** Whether a datagram from `from` gets through the NAT now. */
  allows(from: Address): boolean {
    const t = this.recent.get(from.host);
    return t !== undefined && this.clock.now() - t < this.timeoutMs;
  }

  private prune(now: number): void {
    const keep = new Map<string, number>();
    for (const [h, t] of this.recent) if (now - t < this.timeoutMs) keep.set(h, t);
    this.recent = keep;
    this.pruneAt = Math.max(MIN_PRUNE_AT, 2 * keep.size);
  }
}
