/**
 * An address-restricted NAT filter in front of a simulated DHT node: the node can send to
 * anyone, but only hears from hosts it sent to in the last `timeoutMs`. This is how most of
 * the "nodes that never answer" in the real DHT behave: they get into routing tables
 * through their own traffic (a node they queried pings them back and they answer), but
 * whoever learns of them from a third party never hears back.
 * Part of the simulated environment: the DHT code is the same.
 *
 * The holes are an open-addressing table of IPv4 addresses (as int32) and send times in two
 * typed arrays: as a `Map` from host string to time, each hole was a boxed number and often
 * a host string of its own, ~58 old-space objects per NATed node at 100,000 nodes (a sixth of
 * all objects). Hosts that are not IPv4 literals fall back to a `Map`.
 */
import type { Address, Clock, UdpEndpoint } from '../../runtime/types.js';
import type { DhtSocket } from '../dht-node.js';
import { parseIPv4 } from '../compact.js';

/** Slots the table starts with (a power of two). */
const INITIAL_SLOTS = 64;
/** An empty slot's time: no real send time is this. */
const EMPTY = Number.NEGATIVE_INFINITY;

export class NatSocket implements DhtSocket {
  private readonly endpoint: UdpEndpoint;
  private readonly clock: Clock;
  private readonly timeoutMs: number;
  private keys = new Int32Array(INITIAL_SLOTS);
  private times = new Float64Array(INITIAL_SLOTS).fill(EMPTY);
  /** Slots in use (open holes and expired ones not yet dropped). */
  private used = 0;
  /** Holes of hosts that are not IPv4 literals. */
  private others: Map<string, number> | null = null;

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
    const v4 = parseIPv4(to.host);
    if (v4 >= 0) this.open(v4 | 0, now);
    else (this.others ??= new Map()).set(to.host, now);
    this.endpoint.send(data, to);
  }

  /** Whether a datagram from `from` gets through the NAT now. */
  allows(from: Address): boolean {
    const v4 = parseIPv4(from.host);
    const t = v4 >= 0 ? this.sentAt(v4 | 0) : this.others?.get(from.host);
    return t !== undefined && this.clock.now() - t < this.timeoutMs;
  }

  private slotOf(ip: number): number {
    const mask = this.keys.length - 1;
    let i = (Math.imul(ip, 0x9e3779b1) >>> 0) & mask;
    while (this.times[i] !== EMPTY && this.keys[i] !== ip) i = (i + 1) & mask;
    return i;
  }

  private sentAt(ip: number): number | undefined {
    const i = this.slotOf(ip);
    return this.times[i] === EMPTY ? undefined : this.times[i];
  }

  private open(ip: number, now: number): void {
    let i = this.slotOf(ip);
    if (this.times[i] === EMPTY) {
      // Half full: drop the expired holes, and double the table if that did not free a quarter.
      if (2 * (this.used + 1) > this.keys.length) {
        this.rebuild(now);
        i = this.slotOf(ip);
      }
      this.used++;
      this.keys[i] = ip;
    }
    this.times[i] = now;
  }

  private rebuild(now: number): void {
    const keys = this.keys;
    const times = this.times;
    let live = 0;
    for (let i = 0; i < times.length; i++) if (times[i] !== EMPTY && now - times[i] < this.timeoutMs) live++;
    const size = 4 * (live + 1) > keys.length ? 2 * keys.length : keys.length;
    this.keys = new Int32Array(size);
    this.times = new Float64Array(size).fill(EMPTY);
    this.used = 0;
    for (let i = 0; i < times.length; i++) {
      if (times[i] === EMPTY || now - times[i] >= this.timeoutMs) continue;
      const j = this.slotOf(keys[i]);
      this.keys[j] = keys[i];
      this.times[j] = times[i];
      this.used++;
    }
  }
}
