/**
 * The simulated population of one experiment: a host and an overlay node per member, the
 * live set, which items each member shares and how many live holders each item has, the
 * ground-truth oracle of structured overlays, and joins and departures.
 */
import type { Address, UdpEndpoint } from '../../runtime/types.js';
import type { SeededRandom } from '../../runtime/random.js';
import type { SimHost, Simulator } from '../../sim/index.js';
import type { OverlayFactory, OverlayNode, ResponsibilityOracle } from '../types.js';
import { AddressTable } from '../common/addresses.js';
import { OverlayCounters } from '../common/counters.js';
import type { Catalogue } from '../workload/catalogue.js';
import { paretoCapacity } from '../workload/capacity.js';

/** The port every simulated member binds. */
export const MEMBER_PORT = 7000;
/** Bootstrap contacts handed to a joining node (a host cache / bootstrap server). */
export const BOOTSTRAP_CONTACTS = 4;

export interface Member<N extends OverlayNode = OverlayNode> {
  readonly index: number;
  readonly host: SimHost;
  readonly node: N;
  readonly key: number;
  readonly capacity: number;
  readonly items: readonly number[];
  /** Online and not departed. */
  live: boolean;
  /** Virtual time it started to join. */
  joinedAt: number;
  /** Its position in `Population.live`, or -1. */
  slot: number;
  /** Added to the oracle (its join completed). */
  inTruth: boolean;
}

export class Population<N extends OverlayNode = OverlayNode> {
  readonly sim: Simulator;
  readonly factory: OverlayFactory<N>;
  readonly catalogue: Catalogue;
  readonly counters = new OverlayCounters();
  readonly addresses = new AddressTable();
  readonly oracle: ResponsibilityOracle<N> | null;
  readonly members: Member<N>[] = [];
  readonly live: Member<N>[] = [];
  /** Live members holding each item. */
  readonly holders: Int32Array;
  private readonly byKey = new Map<number, Member<N>>();
  private joining: Member<N>[] = [];
  private readonly random: SeededRandom;
  private readonly capacityAlpha: number;

  constructor(sim: Simulator, factory: OverlayFactory<N>, catalogue: Catalogue, random: SeededRandom, capacityAlpha: number) {
    this.sim = sim;
    this.factory = factory;
    this.catalogue = catalogue;
    this.random = random;
    this.capacityAlpha = capacityAlpha;
    this.oracle = factory.createOracle?.() ?? null;
    this.holders = new Int32Array(catalogue.targets.length);
  }

  /**
   * Creates members (hosts, bound endpoints, nodes) sharing the given items; not joined yet.
   * `inRun`: called from inside the simulator's async run loop (which settles the binds);
   * otherwise the binds are settled here with a zero-length synchronous run.
   */
  async spawn(itemsPerMember: readonly (readonly number[])[], inRun = false): Promise<Member<N>[]> {
    const hosts = itemsPerMember.map(() => this.sim.createHost());
    const pending = hosts.map((h) => h.runtime.udp.bind({ host: h.address, port: MEMBER_PORT }));
    if (!inRun) this.sim.runSync({ until: this.sim.now });
    const endpoints: UdpEndpoint[] = await Promise.all(pending);
    return hosts.map((host, i) => this.adopt(host, endpoints[i], itemsPerMember[i]));
  }

  private adopt(host: SimHost, endpoint: UdpEndpoint, items: readonly number[]): Member<N> {
    const index = this.members.length;
    const capacity = paretoCapacity(this.random, this.capacityAlpha);
    const node = this.factory.create(host.runtime, endpoint, { index, counters: this.counters, addresses: this.addresses, capacity });
    for (const item of items) node.share(this.catalogue.targets[item].keyword);
    const m: Member<N> = { index, host, node, key: this.addresses.keyOf(endpoint.address), capacity, items, live: false, joinedAt: -1, slot: -1, inTruth: false };
    this.members.push(m);
    this.byKey.set(m.key, m);
    return m;
  }

  /** Starts a member's join through a few random live, joined members. */
  join(m: Member<N>): void {
    m.live = true;
    m.joinedAt = this.sim.now;
    m.slot = this.live.length;
    this.live.push(m);
    for (const item of m.items) this.holders[item]++;
    this.joining.push(m);
    m.node.join(this.bootstrapFor(m));
  }

  /** Up to BOOTSTRAP_CONTACTS random live members whose join completed. */
  bootstrapFor(m: Member<N>): Address[] {
    const out: Address[] = [];
    const n = this.live.length;
    for (let tries = 0; tries < 4 * BOOTSTRAP_CONTACTS && out.length < BOOTSTRAP_CONTACTS && n > 1; tries++) {
      const c = this.live[this.random.int(n)];
      if (c !== m && c.node.joined && !out.includes(c.node.address)) out.push(c.node.address);
    }
    return out;
  }

  /** A member leaves for good: gracefully (handing over) or by crashing. */
  depart(m: Member<N>, graceful: boolean): void {
    if (!m.live) return;
    m.live = false;
    const last = this.live.pop()!;
    if (last !== m) {
      this.live[m.slot] = last;
      last.slot = m.slot;
    }
    m.slot = -1;
    for (const item of m.items) this.holders[item]--;
    if (m.inTruth) this.oracle?.remove(m.node);
    m.inTruth = false;
    if (graceful) m.node.leave();
    else m.node.stop();
    this.sim.removeHost(m.host);
  }

  /** Adds members whose join has completed to the ground truth. */
  refreshTruth(): void {
    if (this.joining.length === 0) return;
    const still: Member<N>[] = [];
    for (const m of this.joining) {
      if (!m.live) continue;
      if (m.node.joined) {
        m.inTruth = true;
        this.oracle?.add(m.node);
      } else still.push(m);
    }
    this.joining = still;
  }

  /** A random live member whose join completed, or null. */
  randomJoined(random: SeededRandom): Member<N> | null {
    const n = this.live.length;
    for (let tries = 0; tries < 32 && n > 0; tries++) {
      const m = this.live[random.int(n)];
      if (m.node.joined) return m;
    }
    return null;
  }

  byAddress(a: Address): Member<N> | undefined {
    return this.byKey.get(this.addresses.keyOf(a));
  }
}
