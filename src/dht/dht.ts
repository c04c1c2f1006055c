/**
 * `Dht`: the application-facing DHT. It binds a UDP endpoint on a `Runtime` (real or
 * simulated), runs a `DhtNode` on it, and offers promise-based lookups:
 *
 *   const dht = await Dht.start(runtime, { bind: { host: '0.0.0.0', port: 6881 }, bootstrap });
 *   await dht.bootstrap();
 *   for await (const peer of dht.peers(infoHash)) connect(peer);   // get_peers, streamed
 *   await dht.announce(infoHash, { port: 6881 });                 // get_peers + announce_peer
 *   const { target } = await dht.putMutable({ keyPair, value });   // BEP 44
 *
 * Dual stack (BEP 32): with `bind6` as well, a second node runs on the IPv6 socket with
 * its own routing table, sharing the first one's id, peer store, items and tokens; peer
 * lookups, announces and BEP 44 gets and puts then run on both families and merge.
 *
 * In the simulator, prefer the callback-style functions of ./lookups.ts on `dht.node`, or
 * run the simulator's async loop: the promises here resolve from runtime callbacks.
 */
import { encode, type Encodable } from '../bencode/index.js';
import type { Address, Clock, Random, Udp, UdpEndpoint } from '../runtime/types.js';
import { familyOf, type Contact } from './compact.js';
import { DhtNode } from './dht-node.js';
import { DhtError, KrpcRemoteError } from './errors.js';
import type { Ed25519KeyPair } from './ed25519.js';
import { getItemLookup, putImmutableLookup, putMutableLookup, republishLookup, type GetItemResult, type PutResult } from './item-lookups.js';
import { announceLookup, findNodeLookup, getPeersLookup, type AnnounceResult, type FindNodeResult, type GetPeersResult } from './lookups.js';
import { idFromBytes, idToBytes } from './node-id.js';
import type { DhtNodeOptions } from './options.js';

export interface DhtStartOptions extends DhtNodeOptions {
  /** Where to listen. Default 0.0.0.0, port 0 (any free port). */
  bind?: Address;
  /** BEP 32: also run a node on this address of the other family (e.g. `::` or `::1`). */
  bind6?: Address;
}

export interface LookupOptions {
  /** Cancels the lookup; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export interface SampleResult {
  readonly id: Uint8Array;
  readonly samples: readonly Uint8Array[];
  readonly num: number;
  readonly interval: number;
  readonly nodes: readonly Contact[];
}

type Cancellable = { cancel(): void };

export interface PutOptions extends LookupOptions {
  /** Put the item again every `republishIntervalMs` (default 1 h) while this node runs, until `forget`. Default true. */
  keep?: boolean;
}

export class Dht {
  /** The node on `bind` (the one whose state `saveState` keeps). */
  readonly node: DhtNode;
  /** The node on `bind6`, when dual-stack. */
  readonly node6: DhtNode | undefined;
  private readonly endpoints: readonly UdpEndpoint[];

  private constructor(node: DhtNode, node6: DhtNode | undefined, endpoints: readonly UdpEndpoint[]) {
    this.node = node;
    this.node6 = node6;
    this.endpoints = endpoints;
  }

  /** Binds UDP on `runtime` and starts a node, or a dual-stack pair (call `bootstrap()` to join). */
  static async start(runtime: { readonly clock: Clock; readonly random: Random; readonly udp: Udp }, options: DhtStartOptions = {}): Promise<Dht> {
    const endpoint = await runtime.udp.bind(options.bind ?? { host: '0.0.0.0', port: 0 });
    // Each node bootstraps from the addresses of its own family.
    const ofFamily = (ep: UdpEndpoint) => options.bootstrap?.filter((a) => familyOf(a.host) === familyOf(ep.address.host));
    const node = new DhtNode(runtime, endpoint, { ...options, bootstrap: ofFamily(endpoint) });
    endpoint.onMessage((data, from) => node.receive(data, from));
    if (options.bind6 === undefined) return new Dht(node, undefined, [endpoint]);
    let endpoint6: UdpEndpoint;
    try {
      // IPv6 only: IPv4-mapped packets belong to the IPv4 node, and both may share a port.
      endpoint6 = await runtime.udp.bind(options.bind6, { ipv6Only: true });
      if (familyOf(endpoint6.address.host) === familyOf(endpoint.address.host)) {
        endpoint6.close();
        throw new DhtError('bind6 must be of the other address family than bind');
      }
    } catch (e) {
      node.close();
      endpoint.close();
      throw e;
    }
    const node6 = new DhtNode(runtime, endpoint6, { ...options, state: undefined, bootstrap: ofFamily(endpoint6) }, node);
    endpoint6.onMessage((data, from) => node6.receive(data, from));
    return new Dht(node, node6, [endpoint, endpoint6]);
  }

  /** Every node: one, or two when dual-stack. */
  get nodes(): readonly DhtNode[] {
    return this.node6 === undefined ? [this.node] : [this.node, this.node6];
  }

  get id(): Uint8Array {
    return this.node.nodeIdBytes;
  }

  get address(): Address {
    return this.endpoints[0].address;
  }

  /** The IPv6 (`bind6`) address, when dual-stack. */
  get address6(): Address | undefined {
    return this.endpoints[1]?.address;
  }

  /** Nodes in the routing tables (both, when dual-stack). */
  get size(): number {
    let n = 0;
    for (const node of this.nodes) n += node.table.size;
    return n;
  }

  /** Joins the network; resolves with the routing tables' size (0: nobody answered). */
  async bootstrap(): Promise<number> {
    const join = (node: DhtNode, routers?: readonly Address[]) => new Promise<number>((resolve) => node.bootstrap(resolve, routers));
    const sizes = await Promise.all(this.nodes.map((node) => join(node)));
    // An IPv6 node with no IPv6 bootstrap address learned IPv6 contacts from the IPv4 routers'
    // answers (`want` n6): it joins from those.
    const node6 = this.node6;
    if (node6 !== undefined && sizes[1] === 0 && node6.table.size > 0) sizes[1] = await join(node6, []);
    return sum(sizes);
  }

  findNode(target: Uint8Array, o: LookupOptions = {}): Promise<FindNodeResult> {
    return this.wrap(o, (done) => {
      const t = findNodeLookup(this.node, idFromBytes(target), done);
      return { cancel: () => t.cancel() };
    });
  }

  /** get_peers (on both families when dual-stack); `onPeers` hears new peers as they arrive. */
  getPeers(infoHash: Uint8Array, o: LookupOptions & { onPeers?: (peers: readonly Address[]) => void } = {}): Promise<GetPeersResult> {
    return this.wrap(o, (done) => this.onEach(done, mergePeers, (node, one) => {
      const t = getPeersLookup(node, idFromBytes(infoHash), { onPeers: o.onPeers && ((p) => o.onPeers?.(p)), onDone: one });
      return { cancel: () => t.cancel() };
    }));
  }

  /** The peers of an info hash as they are found (one get_peers lookup). */
  async *peers(infoHash: Uint8Array, o: LookupOptions = {}): AsyncGenerator<Address> {
    const queue: Address[] = [];
    let wake: (() => void) | null = null;
    let finished = false;
    let failure: unknown;
    const poke = (): void => {
      const w = wake;
      wake = null;
      w?.();
    };
    this.getPeers(infoHash, { ...o, onPeers: (p) => {
      queue.push(...p);
      poke();
    } }).then(() => {
      finished = true;
      poke();
    }, (e: unknown) => {
      failure = e;
      finished = true;
      poke();
    });
    for (;;) {
      while (queue.length > 0) yield queue.shift() as Address;
      if (finished) break;
      await new Promise<void>((r) => {
        wake = r;
      });
    }
    if (failure !== undefined) throw failure;
  }

  /** get_peers, then announce_peer to the closest nodes (on both families when dual-stack). */
  announce(infoHash: Uint8Array, a: { port: number; impliedPort?: boolean; seed?: boolean }, o: LookupOptions = {}): Promise<AnnounceResult> {
    return this.wrap(o, (done) => this.onEach(done, (rs) => ({ ...mergePeers(rs), announcedTo: sum(rs.map((r) => r.announcedTo)) }),
      (node, one) => announceLookup(node, idFromBytes(infoHash), a, { onDone: one })));
  }

  /** BEP 44 get (both families when dual-stack: the highest seq wins); for a mutable item pass its target (`mutableTarget(publicKey, salt)`) and the salt. */
  get(target: Uint8Array, o: LookupOptions & { salt?: Uint8Array; seq?: bigint } = {}): Promise<GetItemResult> {
    return this.wrap(o, (done) => this.onEach(done, mergeItems, (node, one) => getItemLookup(node, idFromBytes(target), { salt: o.salt, seq: o.seq }, one)));
  }

  /**
   * BEP 44 immutable put of `value` (bencoded for you unless it is already `bencoded`).
   * Unless `keep` is false the item is put again every hour until `forget(target)`.
   */
  putImmutable(value: Encodable, o: PutOptions & { bencoded?: boolean } = {}): Promise<PutResult> {
    const v = o.bencoded && value instanceof Uint8Array ? value : encode(value);
    return this.wrap(o, (done) => putImmutableLookup(this.node, v, this.keeping(o, done)));
  }

  /** BEP 44 mutable put, signed with `keyPair`; kept alive like `putImmutable`'s. */
  putMutable(p: { keyPair: Ed25519KeyPair; value: Encodable; bencoded?: boolean; salt?: Uint8Array; seq?: bigint; cas?: bigint }, o: PutOptions = {}): Promise<PutResult> {
    const v = p.bencoded && p.value instanceof Uint8Array ? p.value : encode(p.value);
    return this.wrap(o, (done) => putMutableLookup(this.node, { keyPair: p.keyPair, v, salt: p.salt, seq: p.seq, cas: p.cas }, this.keeping(o, done)));
  }

  /** Stops republishing an item we put (`target`: `idToBytes(putResult.target)`). */
  forget(target: Uint8Array): boolean {
    return this.node.forgetItem(idFromBytes(target));
  }

  /** After a put on the first node: the same item (same seq and signature) on the IPv6 node too, then keep it. */
  private keeping(o: PutOptions, done: (r: PutResult) => void): (r: PutResult) => void {
    return (r) => {
      if (o.keep !== false) this.node.keepItem(r.target, r.item);
      const node6 = this.node6;
      if (node6 === undefined || node6.isClosed) {
        done(r);
        return;
      }
      republishLookup(node6, r.target, r.item, (r6) => done({ ...r, storedAt: r.storedAt + r6.storedAt, errors: [...r.errors, ...r6.errors] }));
    };
  }

  /** Starts `start` on every node; `done` hears the merged result once all ended. */
  private onEach<T>(done: (r: T) => void, merge: (rs: T[]) => T, start: (node: DhtNode, one: (r: T) => void) => Cancellable): Cancellable {
    const nodes = this.nodes;
    const results: T[] = [];
    let pending = nodes.length;
    const handles = nodes.map((node, i) => start(node, (r) => {
      results[i] = r;
      if (--pending === 0) done(nodes.length === 1 ? results[0] : merge(results));
    }));
    return { cancel: () => handles.forEach((h) => h.cancel()) };
  }

  /** The node that talks to `to`'s address family. */
  private nodeFor(to: Address): DhtNode {
    return this.node6 !== undefined && familyOf(to.host) === this.node6.family ? this.node6 : this.node;
  }

  /** BEP 51: asks one node for a sample of the info hashes it stores. */
  sampleInfohashes(to: Address, target: Uint8Array = this.id): Promise<SampleResult> {
    return new Promise((resolve, reject) => {
      const node = this.nodeFor(to);
      node.query(to, { q: 'sample_infohashes', target: idFromBytes(target) }, {
        response: (m) => resolve({
          id: idToBytes(m.id), samples: (m.samples ?? []).map(idToBytes), num: m.num ?? 0, interval: m.interval ?? 0,
          nodes: (node.family === 4 ? m.nodes : m.nodes6) ?? [],
        }),
        error: (m) => reject(new KrpcRemoteError(m.code, m.message)),
        timeout: () => reject(new DhtError(`no answer to sample_infohashes from ${to.host}:${to.port}`)),
      });
    });
  }

  /** Pings a node; resolves with its id. */
  ping(to: Address): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.nodeFor(to).query(to, { q: 'ping' }, {
        response: (m) => resolve(idToBytes(m.id)),
        error: (m) => reject(new KrpcRemoteError(m.code, m.message)),
        timeout: () => reject(new DhtError(`no answer to ping from ${to.host}:${to.port}`)),
      });
    });
  }

  /** Our id and routing table, to pass back as `options.state` next time. */
  saveState(): Uint8Array {
    return this.node.saveState();
  }

  close(): void {
    for (const node of this.nodes) node.close();
    for (const ep of this.endpoints) ep.close();
  }

  private wrap<T>(o: LookupOptions, start: (done: (r: T) => void) => Cancellable): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.node.isClosed) {
        reject(new DhtError('the DHT node is closed'));
        return;
      }
      if (o.signal?.aborted) {
        reject(o.signal.reason);
        return;
      }
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        settled = true;
        handle.cancel();
        reject(o.signal?.reason);
      };
      const handle = start((r) => {
        if (settled) return;
        settled = true;
        o.signal?.removeEventListener('abort', onAbort);
        resolve(r);
      });
      o.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Two families' get_peers results as one: every peer, the first family's closest nodes, both families' tokens. */
function mergePeers<T extends GetPeersResult>(rs: readonly T[]): GetPeersResult {
  const [first] = rs;
  const firsts = rs.map((r) => r.firstPeers).filter((f) => f !== undefined);
  return {
    closest: first.closest,
    stats: first.stats,
    peers: rs.flatMap((r) => r.peers),
    tokens: rs.flatMap((r) => r.tokens),
    firstPeers: firsts.length === 0 ? undefined : firsts.reduce((a, b) => (b.ms < a.ms ? b : a)),
  };
}

/** Two families' BEP 44 gets as one: the highest seq wins; copies and tokens add up. */
function mergeItems(rs: readonly GetItemResult[]): GetItemResult {
  let best = rs[0];
  for (const r of rs) {
    if (r.item === undefined) continue;
    if (best.item === undefined || (r.item.seq !== undefined && best.item.seq !== undefined && r.item.seq > best.item.seq)) best = r;
  }
  const copies = sum(rs.filter((r) => r.item !== undefined && r.item.seq === best.item?.seq).map((r) => r.copies));
  return { ...best, copies, tokens: rs.flatMap((r) => r.tokens) };
}
