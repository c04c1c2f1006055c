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
 * In the simulator, prefer the callback-style functions of ./lookups.ts on `dht.node`, or
 * run the simulator's async loop: the promises here resolve from runtime callbacks.
 */
import { encode, type Encodable } from '../bencode/index.js';
import type { Address, Clock, Random, Udp, UdpEndpoint } from '../runtime/types.js';
import type { Contact } from './compact.js';
import { DhtNode } from './dht-node.js';
import { DhtError, KrpcRemoteError } from './errors.js';
import type { Ed25519KeyPair } from './ed25519.js';
import { getItemLookup, putImmutableLookup, putMutableLookup, type GetItemResult, type PutResult } from './item-lookups.js';
import { announceLookup, findNodeLookup, getPeersLookup, type AnnounceResult, type FindNodeResult, type GetPeersResult } from './lookups.js';
import { idFromBytes, idToBytes } from './node-id.js';
import type { DhtNodeOptions } from './options.js';

export interface DhtStartOptions extends DhtNodeOptions {
  /** Where to listen. Default 0.0.0.0, port 0 (any free port). */
  bind?: Address;
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

export class Dht {
  readonly node: DhtNode;
  private readonly endpoint: UdpEndpoint;

  private constructor(node: DhtNode, endpoint: UdpEndpoint) {
    this.node = node;
    this.endpoint = endpoint;
  }

  /** Binds UDP on `runtime` and starts a node (call `bootstrap()` to join). */
  static async start(runtime: { readonly clock: Clock; readonly random: Random; readonly udp: Udp }, options: DhtStartOptions = {}): Promise<Dht> {
    const endpoint = await runtime.udp.bind(options.bind ?? { host: '0.0.0.0', port: 0 });
    const node = new DhtNode(runtime, endpoint, options);
    endpoint.onMessage((data, from) => node.receive(data, from));
    return new Dht(node, endpoint);
  }

  get id(): Uint8Array {
    return this.node.nodeIdBytes;
  }

  get address(): Address {
    return this.endpoint.address;
  }

  /** Nodes in the routing table. */
  get size(): number {
    return this.node.table.size;
  }

  /** Joins the network; resolves with the routing table's size (0: nobody answered). */
  bootstrap(): Promise<number> {
    return new Promise((resolve) => this.node.bootstrap(resolve));
  }

  findNode(target: Uint8Array, o: LookupOptions = {}): Promise<FindNodeResult> {
    return this.wrap(o, (done) => {
      const t = findNodeLookup(this.node, idFromBytes(target), done);
      return { cancel: () => t.cancel() };
    });
  }

  /** get_peers; `onPeers` hears new peers as they arrive. */
  getPeers(infoHash: Uint8Array, o: LookupOptions & { onPeers?: (peers: readonly Address[]) => void } = {}): Promise<GetPeersResult> {
    return this.wrap(o, (done) => {
      const t = getPeersLookup(this.node, idFromBytes(infoHash), { onPeers: o.onPeers && ((p) => o.onPeers?.(p)), onDone: done });
      return { cancel: () => t.cancel() };
    });
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

  /** get_peers, then announce_peer to the closest nodes. */
  announce(infoHash: Uint8Array, a: { port: number; impliedPort?: boolean; seed?: boolean }, o: LookupOptions = {}): Promise<AnnounceResult> {
    return this.wrap(o, (done) => announceLookup(this.node, idFromBytes(infoHash), a, { onDone: done }));
  }

  /** BEP 44 get; for a mutable item pass its target (`mutableTarget(publicKey, salt)`) and the salt. */
  get(target: Uint8Array, o: LookupOptions & { salt?: Uint8Array; seq?: bigint } = {}): Promise<GetItemResult> {
    return this.wrap(o, (done) => getItemLookup(this.node, idFromBytes(target), { salt: o.salt, seq: o.seq }, done));
  }

  /** BEP 44 immutable put of `value` (bencoded for you unless it is already `bencoded`). */
  putImmutable(value: Encodable, o: LookupOptions & { bencoded?: boolean } = {}): Promise<PutResult> {
    const v = o.bencoded && value instanceof Uint8Array ? value : encode(value);
    return this.wrap(o, (done) => putImmutableLookup(this.node, v, done));
  }

  /** BEP 44 mutable put, signed with `keyPair`. */
  putMutable(p: { keyPair: Ed25519KeyPair; value: Encodable; bencoded?: boolean; salt?: Uint8Array; seq?: bigint; cas?: bigint }, o: LookupOptions = {}): Promise<PutResult> {
    const v = p.bencoded && p.value instanceof Uint8Array ? p.value : encode(p.value);
    return this.wrap(o, (done) => putMutableLookup(this.node, { keyPair: p.keyPair, v, salt: p.salt, seq: p.seq, cas: p.cas }, done));
  }

  /** BEP 51: asks one node for a sample of the info hashes it stores. */
  sampleInfohashes(to: Address, target: Uint8Array = this.id): Promise<SampleResult> {
    return new Promise((resolve, reject) => {
      this.node.query(to, { q: 'sample_infohashes', target: idFromBytes(target) }, {
        response: (m) => resolve({
          id: idToBytes(m.id), samples: (m.samples ?? []).map(idToBytes), num: m.num ?? 0, interval: m.interval ?? 0,
          nodes: (this.node.family === 4 ? m.nodes : m.nodes6) ?? [],
        }),
        error: (m) => reject(new KrpcRemoteError(m.code, m.message)),
        timeout: () => reject(new DhtError(`no answer to sample_infohashes from ${to.host}:${to.port}`)),
      });
    });
  }

  /** Pings a node; resolves with its id. */
  ping(to: Address): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.node.query(to, { q: 'ping' }, {
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
    this.node.close();
    this.endpoint.close();
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
