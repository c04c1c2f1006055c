/**
 * A simulated DHT network: N hosts on the discrete-event simulator, each running the real
 * `DhtNode` on its virtual UDP endpoint. What changes is the environment only: latency,
 * loss, a share of hosts behind NATs (`NatSocket`), churn (./churn.ts).
 *
 * Nodes join one after another (`joinSpacingMs` apart), each bootstrapping from a random
 * node that joined before it, as if a bootstrap router handed it out.
 */
import { Simulator, LognormalLatency, type LatencyModel, type SimHost } from '../../sim/index.js';
import type { Address, Clock, TimerHandle, UdpEndpoint } from '../../runtime/types.js';
import { DhtNode, type DhtSocket } from '../dht-node.js';
import type { DhtNodeOptions } from '../options.js';
import type { NodeId } from '../node-id.js';
import { GroundTruth } from './ground-truth.js';
import { findNodeLookup } from '../lookups.js';
import { NatSocket } from './nat.js';
import { parseIPv4 } from '../compact.js';

export interface DhtSimNetworkOptions {
  readonly nodes: number;
  readonly seed?: number;
  /** Median round-trip time of the default lognormal latency model, ms. Default 100. */
  readonly medianRttMs?: number;
  /** Overrides the latency model. */
  readonly latency?: LatencyModel;
  readonly lossRate?: number;
  /** Share of nodes behind an address-restricted NAT (they never answer strangers). Default 0. */
  readonly unresponsive?: number;
  /** How long a NAT keeps a hole open after the node sent to a host, ms. Default 60 s. */
  readonly natTimeoutMs?: number;
  /** Options for every node. */
  readonly node?: DhtNodeOptions;
  /** Per-node options (e.g. a BEP 42 id for its address); replaces `node` for that node. */
  readonly nodeOptions?: (i: number, host: SimHost) => DhtNodeOptions;
  /** Host addresses (IPv4 literals); default: the simulator's automatic 10.x.y.z ones. */
  readonly address?: (i: number) => string;
  readonly port?: number;
}

/**
 * Queries go to the endpoints' own address objects (`DhtNodeOptions.addressOf`): the
 * simulator routes those without a host lookup. The simulator's own addresses are dense
 * (10.0.0.1 on), so they are an array indexed by the address less the lowest; others a map.
 */
function endpointAddresses(endpoints: readonly UdpEndpoint[]): (ip: number, port: number) => Address | undefined {
  const byIp = new Map<number, Address>();
  let low = Infinity;
  let high = -Infinity;
  for (const ep of endpoints) {
    const v4 = parseIPv4(ep.address.host);
    if (v4 < 0) continue;
    byIp.set(v4 | 0, ep.address);
    low = Math.min(low, v4);
    high = Math.max(high, v4);
  }
  return high - low < 4 * byIp.size + 1024 ? denseAddresses(byIp, low, high) : (ip, port) => samePort(byIp.get(ip), port);
}

/** The addresses in an array indexed by the address less `low` (a function of its own, so the map is not kept). */
function denseAddresses(byIp: Map<number, Address>, low: number, high: number): (ip: number, port: number) => Address | undefined {
  const dense = new Array<Address | undefined>(high - low + 1).fill(undefined);
  for (const [ip, a] of byIp) dense[(ip >>> 0) - low] = a;
  return (ip, port) => samePort(dense[(ip >>> 0) - low], port);
}

function samePort(a: Address | undefined, port: number): Address | undefined {
  return a !== undefined && a.port === port ? a : undefined;
}

/**
 * One clock for every node: a node reads the time for each datagram it hears, and a host's
 * own clock object was one more cold object (a cache miss) a datagram (its line was 1.6% of
 * a 20,000-node profile). Timers go through `Simulator.schedule`, which queues them exactly
 * as a host's clock does (same time, same order, so the same run); what it does not do is
 * drop a removed host's timers, and this network never removes a host (departures go offline).
 */
class NetworkClock implements Clock {
  private readonly sim: Simulator;
  constructor(sim: Simulator) {
    this.sim = sim;
  }
  now(): number {
    return this.sim.now;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    return this.sim.schedule(ms, fn);
  }
}

export class DhtSimNetwork {
  readonly sim: Simulator;
  readonly hosts: SimHost[] = [];
  readonly nodes: DhtNode[] = [];
  /** 1 for hosts behind a NAT. */
  readonly natted: Uint8Array;
  /** 1 once the node finished its bootstrap. */
  readonly ready: Uint8Array;
  readonly addresses: Address[] = [];
  private readonly byHost = new Map<string, number>();

  private constructor(sim: Simulator, n: number) {
    this.sim = sim;
    this.natted = new Uint8Array(n);
    this.ready = new Uint8Array(n);
  }

  get size(): number {
    return this.nodes.length;
  }

  /** Creates the hosts, binds their UDP ports and creates (but does not start) the nodes. */
  static async create(o: DhtSimNetworkOptions): Promise<DhtSimNetwork> {
    const seed = o.seed ?? 1;
    const latency = o.latency ?? new LognormalLatency({ seed, medianRttMs: o.medianRttMs ?? 100 });
    const sim = new Simulator({ seed, latency, lossRate: o.lossRate ?? 0, initialQueueCapacity: Math.max(1024, o.nodes * 4) });
    const net = new DhtSimNetwork(sim, o.nodes);
    const port = o.port ?? 6881;
    const pending: Promise<UdpEndpoint>[] = [];
    for (let i = 0; i < o.nodes; i++) {
      const h = sim.createHost(o.address === undefined ? {} : { address: o.address(i) });
      net.hosts.push(h);
      net.byHost.set(h.address, i);
      pending.push(h.runtime.udp.bind({ host: h.address, port }));
    }
    sim.runSync({ until: sim.now });
    const endpoints = await Promise.all(pending);
    const unresponsive = o.unresponsive ?? 0;
    const natMs = o.natTimeoutMs ?? 60_000;
    const addressOf = endpointAddresses(endpoints);
    const shared: DhtNodeOptions = { addressOf, ...o.node };
    const clock = new NetworkClock(sim);
    for (let i = 0; i < o.nodes; i++) {
      const h = net.hosts[i];
      const ep = endpoints[i];
      const behindNat = unresponsive > 0 && sim.random.next() < unresponsive;
      let socket: DhtSocket = ep;
      let node: DhtNode;
      const own = o.nodeOptions?.(i, h);
      const opts = own === undefined ? shared : { addressOf, ...own };
      if (behindNat) {
        net.natted[i] = 1;
        const nat = new NatSocket(ep, clock, natMs);
        socket = nat;
        node = new DhtNode({ clock, random: h.runtime.random }, socket, opts);
        ep.onMessage((d, from) => {
          if (nat.allows(from)) node.receive(d, from);
        });
      } else {
        node = new DhtNode({ clock, random: h.runtime.random }, socket, opts);
        // Bound, not a closure: a closure reaches the node through its context, one more
        // object (a cache miss, as every datagram goes to a node not touched for a while).
        ep.onMessage(node.receive.bind(node));
      }
      net.nodes.push(node);
      net.addresses.push(ep.address);
    }
    return net;
  }

  /** The node index of a host address. */
  indexOf(host: string): number | undefined {
    return this.byHost.get(host);
  }

  online(i: number): boolean {
    return this.hosts[i].online;
  }

  /**
   * Joins every node, `spacingMs` apart, each bootstrapping from a random earlier node that
   * is reachable (not behind a NAT, online); then runs until every join has finished.
   * `onProgress` hears the count of finished joins every `progressEvery` of them.
   */
  bootstrapAll(spacingMs = 1, onProgress?: (ready: number) => void, progressEvery = 10_000): void {
    const sim = this.sim;
    const n = this.nodes.length;
    const reachable: number[] = [];
    let readyCount = 0;
    const join = (i: number): void => {
      const routers = reachable.length === 0 ? [] : [this.addresses[reachable[sim.random.int(reachable.length)]]];
      this.nodes[i].bootstrap(() => {
        this.ready[i] = 1;
        readyCount++;
        if (onProgress !== undefined && readyCount % progressEvery === 0) onProgress(readyCount);
      }, routers);
      if (this.natted[i] === 0) reachable.push(i);
    };
    const start = sim.now;
    for (let i = 0; i < n; i++) sim.schedule(start - sim.now + i * spacingMs, () => join(i));
    while (readyCount < n && sim.pendingEvents > 0) {
      sim.runForSync(10_000);
    }
  }

  /**
   * Every node refreshes its own neighbourhood once (a lookup of its own id, as the BEP 5
   * refresh of its closest bucket would), at random times within `spreadMs`; runs until done.
   * Nodes that joined early learn of the neighbours that arrived after them.
   */
  refreshAll(spreadMs: number): void {
    const sim = this.sim;
    let pending = 0;
    for (let i = 0; i < this.nodes.length; i++) {
      if (!this.online(i)) continue;
      const node = this.nodes[i];
      pending++;
      sim.schedule(sim.random.next() * spreadMs, () => findNodeLookup(node, node.nodeId, () => pending--));
    }
    while (pending > 0 && sim.pendingEvents > 0) sim.runForSync(1000);
  }

  /** Ground truth over the nodes `include` accepts (default: online and not behind a NAT). */
  groundTruth(include: (i: number) => boolean = (i) => this.online(i) && this.natted[i] === 0): GroundTruth {
    const ids: NodeId[] = [];
    for (let i = 0; i < this.nodes.length; i++) if (include(i)) ids.push(this.nodes[i].nodeId);
    return new GroundTruth(ids);
  }

  /** A random node index that `include` accepts. */
  pick(include: (i: number) => boolean): number {
    for (;;) {
      const i = this.sim.random.int(this.nodes.length);
      if (include(i)) return i;
    }
  }
}
