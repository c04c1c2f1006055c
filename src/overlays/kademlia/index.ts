/**
 * Kademlia in the comparison: the project's Mainline DHT node (`src/dht`, BEP 5) run
 * unchanged on the same workload. A query is the lookup a BitTorrent client makes for a
 * key: get_peers of the item's 160-bit key (the SHA-1 digest), with the data lookups'
 * width (`dataAlpha`, aggressive). It succeeds when the closest of the asking node and the
 * nodes the lookup returns is the live node truly XOR-closest to the key. (It once used find_node, which the DHT tunes for
 * joins and refreshes, where traffic matters more than time: alpha 4, not aggressive. That
 * measured maintenance lookups, not what users wait for; see docs/simulator.md.)
 *
 * Accounting: the DHT's datagrams are counted as maintenance as they are sent, and a
 * lookup's own queries and answers (its `queried + responded`) move to query traffic when
 * it ends. Per-node query load counts the find_node and get_peers queries a node receives
 * (bucket refreshes included, so it is an upper bound).
 */
import type { Address, Runtime, UdpEndpoint } from '../../runtime/types.js';
import type { OverlayFactory, OverlayNode, OverlayNodeContext, QueryResult, QueryTarget, ResponsibilityOracle } from '../types.js';
import { DhtNode, getPeersLookup, type DhtNodeOptions, type DhtSocket } from '../../dht/index.js';
import { compareDistance, idFromBytes, type NodeId } from '../../dht/node-id.js';
import { GroundTruth } from '../../dht/sim/ground-truth.js';
import { TRAFFIC_MAINTENANCE, TRAFFIC_QUERY } from '../common/counters.js';
import type { OverlayCounters } from '../common/counters.js';

/** "q" key followed by a lookup query name, as bencoded KRPC has it. */
const FIND_NODE = new TextEncoder().encode('1:q9:find_node');
const GET_PEERS = new TextEncoder().encode('1:q9:get_peers');

export class KademliaOverlayNode implements OverlayNode {
  readonly dht: DhtNode;
  readonly address: Address;
  private ready = false;
  private stopped = false;
  private readonly counters: OverlayCounters;

  constructor(rt: Runtime, endpoint: UdpEndpoint, context: OverlayNodeContext, options: DhtNodeOptions = {}) {
    this.address = endpoint.address;
    const counters = (this.counters = context.counters);
    const socket: DhtSocket = {
      address: endpoint.address,
      send: (data, to) => {
        if (this.stopped) return;
        counters.sent(TRAFFIC_MAINTENANCE, data.byteLength);
        endpoint.send(data, to);
      },
    };
    this.dht = new DhtNode(rt, socket, options);
    endpoint.onMessage((data, from) => {
      if (this.stopped) return;
      if (contains(data, FIND_NODE) || contains(data, GET_PEERS)) counters.received(context.index, TRAFFIC_QUERY);
      this.dht.receive(data, from);
    });
  }

  /** The node's 160-bit id (a 20-char binary string). */
  get nodeId(): NodeId {
    return this.dht.nodeId;
  }

  get joined(): boolean {
    return this.ready && !this.stopped;
  }

  join(bootstrap: readonly Address[]): void {
    if (bootstrap.length === 0) this.ready = true;
    this.dht.bootstrap(() => {
      this.ready = true;
    }, bootstrap);
  }

  leave(): void {
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    this.dht.close();
  }

  share(): void {
    // Keys live at the XOR-closest nodes; items are not shared by keyword.
  }

  stateEntries(): number {
    return this.dht.table.size;
  }

  query(target: QueryTarget, done: (result: QueryResult) => void): void {
    if (this.stopped) return done({ found: false, hops: 0, responder: null });
    const key = idFromBytes(target.digest);
    getPeersLookup(this.dht, key, {
      onDone: (r) => {
        const n = r.stats.queried + r.stats.responded;
        this.counters.maintenanceMessages -= n;
        this.counters.queryMessages += n;
        // A lookup never returns the asking node, yet it may be the closest to the key (one
        // query in N): it then answers from its own store, as Chord and Pastry answer a key
        // they own. Without this, 1-2 of 200 lookups "failed" at 200 nodes with no churn.
        const best = r.closest[0];
        if (best === undefined) return done({ found: false, hops: r.stats.hops, responder: null });
        const self = compareDistance(this.dht.nodeId, best.id, key) < 0;
        done({ found: true, hops: r.stats.hops, responder: self ? this.address : best.address });
      },
    });
  }
}

/** Ground truth: the live node XOR-closest to the key (ids re-read when membership changes). */
export class XorOracle implements ResponsibilityOracle<KademliaOverlayNode> {
  private readonly members = new Set<KademliaOverlayNode>();
  private truth: GroundTruth | null = null;
  private byId = new Map<NodeId, KademliaOverlayNode>();

  add(node: KademliaOverlayNode): void {
    this.members.add(node);
    this.truth = null;
  }

  remove(node: KademliaOverlayNode): void {
    if (this.members.delete(node)) this.truth = null;
  }

  responsible(target: QueryTarget): Address | null {
    if (this.truth === null) {
      this.byId = new Map([...this.members].map((n) => [n.nodeId, n]));
      this.truth = new GroundTruth(this.byId.keys());
    }
    const [id] = this.truth.closest(idFromBytes(target.digest), 1);
    return id === undefined ? null : this.byId.get(id)!.address;
  }
}

export function kademliaOverlay(options: DhtNodeOptions = {}): OverlayFactory<KademliaOverlayNode> {
  return {
    name: 'kademlia',
    family: 'structured',
    create: (rt: Runtime, ep: UdpEndpoint, ctx: OverlayNodeContext) => new KademliaOverlayNode(rt, ep, ctx, options),
    createOracle: () => new XorOracle(),
  };
}

function contains(data: Uint8Array, needle: Uint8Array): boolean {
  const n = needle.length;
  outer: for (let i = 0; i + n <= data.length; i++) {
    for (let j = 0; j < n; j++) if (data[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
