/**
 * A Mainline DHT node (BEP 5) as a sans-I/O core: datagrams come in through `receive`, go
 * out through a two-method `DhtSocket` port, and time and randomness come from the runtime
 * (`Clock`, `Random`), so unit tests drive it with a mock socket and the simulator with
 * virtual ones. `startDhtNode` (./start.ts) wires it to a real or simulated UDP endpoint.
 *
 * This file holds the plumbing: decoding, transactions, routing table upkeep, answering
 * queries (./handlers.ts). Lookups live in ./lookups.ts and ./item-lookups.ts, the join
 * procedure in ./bootstrap.ts, housekeeping in ./maintenance.ts, verifying the nodes that
 * query us in ./verify-queriers.ts.
 */
import type { Address, Clock, Random, TimerHandle } from '../runtime/types.js';
import { contactFamily, familyOf, PackedContact, type Contact, type Family } from './compact.js';
import { decodeKrpc, KRPC_ERROR, type KrpcLimits, type KrpcQuery, type KrpcResponse } from './krpc.js';
import { encodeError, encodeQuery, encodeResponse, type EnvelopeOptions, type QuerySpec } from './krpc-encode.js';
import { ExternalIpVoter, isCompliantNodeId, isExemptIp, compliantNodeId } from './bep42.js';
import { answerQuery, type ServerContext } from './handlers.js';
import { ItemStore } from './items.js';
import { idFromBytes, idToBytes, randomId, type NodeId } from './node-id.js';
import { DEFAULT_CLIENT, DHT_DEFAULTS, type Bep42Mode, type DhtEvent, type DhtNodeOptions } from './options.js';
import { PeerStore } from './peer-store.js';
import { RateLimiter } from './rate-limiter.js';
import { RoutingTable } from './routing-table.js';
import { Transactions, type NodeTimeoutListener, type QueryHandler } from './rpc.js';
import { TokenManager } from './tokens.js';
import { parseState, encodeState } from './persist.js';
import { runBootstrap } from './bootstrap.js';
import type { PutItem } from './item-lookups.js';
import { Republisher } from './republish.js';
import type { LookupHost } from './lookups.js';
import { maintain } from './maintenance.js';
import { heardFromQuerier } from './verify-queriers.js';
import { DhtStats, type DhtEnvironment, type DhtSocket } from './node-types.js';

export { DhtStats, type DhtEnvironment, type DhtSocket };

const NOOP_HANDLER: QueryHandler = { response() {}, error() {}, timeout() {} };

// Shared defaults: one object per node each was ~250 bytes a node in a big simulation.
const NO_OPTIONS: DhtNodeOptions = Object.freeze({});
const NO_KRPC_LIMITS: KrpcLimits = Object.freeze({});
const NO_ADDRESSES: readonly Address[] = Object.freeze([]);
const NO_CONTACTS: readonly Contact[] = Object.freeze([]);
const DEFAULT_ENVELOPE: EnvelopeOptions = Object.freeze({ readOnly: false, client: DEFAULT_CLIENT });

export class DhtNode implements ServerContext, LookupHost, NodeTimeoutListener {
  readonly clock: Clock;
  readonly random: Random;
  readonly socket: DhtSocket;
  readonly family: Family;
  readonly k: number;
  readonly alpha: number;
  readonly dataAlpha: number;
  /** BEP 43: queries carry `ro: 1` and nothing is answered (see `setReadOnly`). */
  readOnly: boolean;
  readonly stats = new DhtStats();
  readonly tokens: TokenManager;
  readonly sampleIntervalSec: number;
  readonly bootstrapNodes: readonly Address[];
  /** Contacts from saved state, tried first when bootstrapping. */
  readonly savedContacts: readonly Contact[];
  readonly options: DhtNodeOptions;
  table: RoutingTable;
  private id: NodeId;
  private readonly rpc: Transactions;
  private envelope: EnvelopeOptions;
  private readonly krpcLimits: KrpcLimits;
  private readonly limiter: RateLimiter | null;
  private readonly voter: ExternalIpVoter;
  private readonly adoptCompliantId: boolean;
  private readonly enforce: 'off' | 'prefer' | 'require';
  private readonly onEvent: ((e: DhtEvent) => void) | undefined;
  /** Addresses we are pinging to verify them (./verify-queriers.ts). */
  verifying: Address[] | null = null;
  /** BEP 32: the node of the other address family in a dual-stack pair (shares our stores). */
  private sibling: DhtNode | null = null;
  /** The stores, made on first use (most nodes of a big simulation are never announced to). */
  private peerStore: PeerStore | null = null;
  private itemStore: ItemStore | null = null;
  private kept: Republisher | null = null;
  private timer: TimerHandle | null = null;
  private closed = false;
  /** True while a bootstrap runs. */
  bootstrapping = false;
  /** When a well-formed message last arrived (any sender): timeouts count against nodes only if something did since. */
  private lastHeardAt = Number.NEGATIVE_INFINITY;

  /**
   * `pair`: BEP 32 dual stack. The new node (on the other address family's socket) shares
   * `pair`'s peer store, item store, write tokens, kept items and (unless `options` says
   * otherwise) its id, and each answers `want`s for the other family from the other's table.
   */
  constructor(env: DhtEnvironment, socket: DhtSocket, options: DhtNodeOptions = NO_OPTIONS, pair?: DhtNode) {
    this.clock = env.clock;
    this.random = env.random;
    this.socket = socket;
    this.options = options;
    this.family = familyOf(socket.address.host);
    this.k = options.k ?? DHT_DEFAULTS.k;
    this.alpha = options.alpha ?? DHT_DEFAULTS.alpha;
    this.dataAlpha = options.dataAlpha ?? DHT_DEFAULTS.dataAlpha;
    this.readOnly = options.readOnly ?? false;
    const now = this.clock.now();
    const state = options.state !== undefined ? parseState(options.state) : undefined;
    this.id = options.id !== undefined ? idFromBytes(options.id) : state?.id ?? pair?.nodeId ?? randomId(this.random);
    this.savedContacts = state?.contacts ?? NO_CONTACTS;
    this.enforce = options.bep42?.enforce ?? 'off';
    this.adoptCompliantId = options.bep42?.adoptCompliantId ?? (options.id === undefined && state === undefined);
    this.voter = new ExternalIpVoter({ minVotes: options.bep42?.minVotes });
    this.table = this.newTable(this.id, now);
    this.rpc = new Transactions(this.clock, this.random, options.rpc);
    this.rpc.onNodeTimeout = this;
    this.envelope = !this.readOnly && options.client === undefined ? DEFAULT_ENVELOPE : { readOnly: this.readOnly, client: options.client ?? DEFAULT_CLIENT };
    this.krpcLimits = options.krpc ?? NO_KRPC_LIMITS;
    this.limiter = options.rateLimit === false ? null : new RateLimiter(options.rateLimit ?? {});
    if (pair !== undefined) {
      this.peerStore = pair.peers;
      this.itemStore = pair.items;
      this.kept = pair.republisher;
    }
    this.tokens = pair?.tokens ?? new TokenManager(options.randomBytes ?? this.random, now);
    if (pair !== undefined) {
      if (pair.family === this.family) throw new RangeError('a dual-stack pair needs one IPv4 and one IPv6 node');
      this.sibling = pair;
      pair.sibling = this;
    }
    this.sampleIntervalSec = options.sampleIntervalSec ?? DHT_DEFAULTS.sampleIntervalSec;
    this.bootstrapNodes = options.bootstrap ?? NO_ADDRESSES;
    this.onEvent = options.onEvent;
    const every = options.maintenanceIntervalMs ?? DHT_DEFAULTS.maintenanceIntervalMs;
    if (every > 0) this.timer = this.clock.setTimer(every * (0.5 + this.random.next()), this.tickFn);
  }

  /** Peers announced to us (BEP 5). */
  get peers(): PeerStore {
    return (this.peerStore ??= new PeerStore(this.options.peers));
  }

  /** BEP 44 items stored with us. */
  get items(): ItemStore {
    return (this.itemStore ??= new ItemStore(this.options.items));
  }

  /** BEP 44 items we put and keep alive by putting them again. */
  get republisher(): Republisher {
    return (this.kept ??= new Republisher(this.options.republishIntervalMs));
  }

  /** Housekeeping: expires what the stores hold, without making stores nobody used. */
  expireStores(now: number): void {
    this.peerStore?.expire(now);
    this.itemStore?.expire(now);
  }

  /** Items we keep alive (0 when we never kept one). */
  get keptItems(): number {
    return this.kept?.size ?? 0;
  }

  /** Our node id (20 bytes). */
  get nodeIdBytes(): Uint8Array {
    return idToBytes(this.id);
  }

  /** Our node id as a binary string (the DHT's internal form). */
  get nodeId(): NodeId {
    return this.id;
  }

  get address(): Address {
    return this.socket.address;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Our external IP, once replies' BEP 42 `ip` fields agreed on it. */
  get externalHost(): string | undefined {
    return this.voter.external;
  }

  /** Queries waiting for an answer. */
  get pendingQueries(): number {
    return this.rpc.size;
  }

  now(): number {
    return this.clock.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    return this.clock.setTimer(ms, fn);
  }

  /** A lookup waiting only on slow nodes stops waiting for each this long after it went slow: twice the soft timeout unless set. */
  lookupStallGraceMs(): number {
    return this.options.lookupStallGraceMs ?? 2 * this.rpc.softTimeoutMs;
  }

  emit(e: DhtEvent): void {
    this.onEvent?.(e);
  }

  // ---- input ----

  /** One datagram from the network. */
  receive(data: Uint8Array, from: Address): void {
    if (this.closed) return;
    let msg;
    try {
      msg = decodeKrpc(data, this.krpcLimits);
    } catch {
      this.stats.malformed++;
      return;
    }
    this.lastHeardAt = this.clock.now();
    if (msg.kind === 'query') {
      this.onQuery(msg, from);
      return;
    }
    const tx = this.rpc.take(msg.t, from);
    if (tx === undefined) {
      this.stats.unexpected++;
      return;
    }
    if (msg.kind === 'response') {
      this.stats.responsesReceived++;
      this.onResponse(msg, from, this.clock.now() - tx.sentAt);
    } else this.stats.errorsReceived++;
    this.rpc.settle(tx, msg);
  }

  private onResponse(msg: KrpcResponse, from: Address, rtt: number): void {
    if (msg.ip !== undefined) {
      this.voteExternal(from.host, msg.ip.host);
      this.options.onIpReport?.(from, msg.ip); // the session's vote (src/nat/external-address.ts) wants the port too
    }
    this.table.responded(msg.id, from, this.clock.now(), rtt);
  }

  private onQuery(q: KrpcQuery, from: Address): void {
    this.stats.queriesReceived++;
    const now = this.clock.now();
    if (this.limiter !== null && !this.limiter.allow(from.host, now)) {
      this.stats.rateLimited++;
      return;
    }
    if (this.readOnly) return; // BEP 43: a read-only node answers nothing
    if (!q.ro && q.id !== this.id) heardFromQuerier(this, q.id, from, now);
    const answer = answerQuery(this, q, from);
    const data = 'ok' in answer
      ? encodeResponse(q.t, this.id, answer.ok, from, this.envelope)
      : encodeError(q.t, answer.error[0], answer.error[1], from, this.envelope);
    this.socket.send(data, from);
  }

  // ---- output ----

  /** A query to a routing-table node timed out (`Transactions` calls this before the query's handler). */
  nodeTimedOut(id: NodeId, address: Address, sentAt: number): void {
    this.stats.timeouts++;
    // Nothing at all arrived since we asked: our own network is likely down (a laptop
    // offline, a NAT mapping lost), so the timeout says nothing about the node. Counting it
    // would empty the table while we are cut off (bucket refreshes keep timing out) and
    // leave nothing to rejoin from (`shoal sim churn`: lookups with no seed at all).
    if (this.lastHeardAt < sentAt) return;
    this.table.failed(id, address);
  }

  /** Sends a query. The handler hears exactly one of response / error / timeout. */
  query(to: Address, spec: QuerySpec, handler: QueryHandler = NOOP_HANDLER, nodeId?: NodeId): void {
    if (this.closed) {
      handler.timeout();
      return;
    }
    const t = this.rpc.open(to, handler, nodeId);
    if (t < 0) {
      handler.timeout();
      return;
    }
    this.stats.queriesSent++;
    this.socket.send(encodeQuery(t, this.id, spec, this.envelope), to);
  }

  /** Queries a node we know by id: a timeout counts against it in the routing table. */
  queryNode(c: Contact, spec: QuerySpec, handler: QueryHandler): void {
    const of = this.options.addressOf;
    const to = of !== undefined && c instanceof PackedContact && c.host6 === null ? of(c.ip, c.port) ?? c.address : c.address;
    this.query(to, spec, handler, c.id);
  }

  // ---- context for handlers and lookups ----

  closest(target: NodeId, count = this.options.nodesPerReply ?? DHT_DEFAULTS.nodesPerReply): readonly Contact[] {
    return this.table.closest(target, count, true); // replies carry only nodes that answered us and did not fail since (as libtorrent does)
  }

  /** Our closest nodes for a reply, as compact node info of our family (no contact objects). */
  closestCompact(target: NodeId, count = this.options.nodesPerReply ?? DHT_DEFAULTS.nodesPerReply): Uint8Array {
    return this.table.closestCompact(target, count, true, this.family);
  }

  /** BEP 32: our closest nodes of `family` as compact node info (from the dual-stack sibling's table for the other family), or undefined when we have none of that family. */
  closestIn(family: Family, target: NodeId, count?: number): Uint8Array | undefined {
    if (family === this.family) return this.closestCompact(target, count);
    return this.sibling?.closestCompact(target, count);
  }

  /** The other family's node of a dual-stack pair. */
  get pair(): DhtNode | null {
    return this.sibling;
  }

  /** Lookup seeds: our closest nodes, or the saved contacts when the table is empty. */
  seeds(target: NodeId): Contact[] {
    const fromTable: Contact[] = this.table.closest(target, 2 * this.k);
    return fromTable.length > 0 ? fromTable : [...this.savedContacts];
  }

  /** A contact named in a reply: the table may keep it, unverified. */
  heardAbout(c: Contact): void {
    if (!this.readOnly || this.table.size < this.k) this.table.heardAbout(c, this.clock.now());
  }

  acceptContact(c: Contact): boolean {
    return c.id !== this.id && (c.port ?? c.address.port) > 0 && contactFamily(c) === this.family && this.acceptsId(c.id, c);
  }

  announced(infoHash: NodeId, peer: Address): void {
    if (this.onEvent !== undefined) this.emit({ type: 'announce', infoHash: idToBytes(infoHash), peer });
  }

  stored(target: NodeId): void {
    if (this.onEvent !== undefined) this.emit({ type: 'item-stored', target: idToBytes(target) });
  }

  /** Our own and BEP 42's checks of a node id at an address. */
  acceptsId(id: NodeId, at: Address | Contact): boolean {
    if (this.options.acceptNodeId !== undefined && !this.options.acceptNodeId(idToBytes(id))) return false;
    return this.enforce !== 'require' || isCompliantNodeId(id, 'host' in at ? at.host : at.address.host);
  }

  private newTable(id: NodeId, now: number): RoutingTable {
    const opts = this.options;
    return new RoutingTable(id, now, {
      k: opts.k ?? DHT_DEFAULTS.k,
      extendedBuckets: opts.extendedBuckets ?? DHT_DEFAULTS.extendedBuckets,
      unverifiedFill: opts.unverifiedFill,
      accept: tableAdmission(this.enforce, opts.acceptNodeId),
      prefer: this.enforce === 'prefer' ? (i, a) => isCompliantNodeId(i, a.host) : undefined,
    });
  }

  // ---- BEP 42 ----

  private voteExternal(voter: string, ip: string): void {
    const decided = this.voter.vote(voter, ip);
    if (decided === undefined) return;
    this.emit({ type: 'external-address', host: decided });
    if (!this.adoptCompliantId || isExemptIp(decided) || isCompliantNodeId(this.id, decided)) return;
    this.changeId(compliantNodeId(decided, this.random));
  }

  /**
   * BEP 43: turns read-only on (queries carry `ro: 1`, nothing is answered) or off. The
   * session does this when it finds the node unreachable (src/nat/dht-reachability.ts).
   */
  setReadOnly(on: boolean): void {
    this.readOnly = on;
    this.envelope = { ...this.envelope, readOnly: on };
  }

  /**
   * BEP 42: the session's vote (all sources, not only DHT replies) decided our external IP:
   * take a compliant id for it as our own vote would.
   */
  adoptExternalHost(host: string): void {
    if (this.voter.external === host) return;
    if (!this.adoptCompliantId || isExemptIp(host) || isCompliantNodeId(this.id, host)) return;
    this.changeId(compliantNodeId(host, this.random));
  }

  /** Switches to a new id; the routing table is rebuilt around it from the nodes we know. */
  changeId(id: NodeId): void {
    const now = this.clock.now();
    const old = [...this.table.nodes()];
    this.id = id;
    this.table = this.newTable(id, now);
    for (const n of old) this.table.responded(n.id, n.address, n.lastResponse, n.rtt);
    this.emit({ type: 'id-changed', id: idToBytes(id) });
  }

  // ---- lifecycle ----

  /** Joins the network: bootstrap nodes and saved contacts, a lookup of our own id, bucket refreshes. */
  bootstrap(onDone?: (nodes: number) => void, routers: readonly Address[] = this.bootstrapNodes): void {
    runBootstrap(this, routers, onDone);
  }

  /** Keeps a BEP 44 item we just put alive: it is put again every `republishIntervalMs` until `forgetItem`. */
  keepItem(target: NodeId, item: PutItem): boolean {
    return this.republisher.keep(target, item, this.clock.now());
  }

  forgetItem(target: NodeId): boolean {
    return this.republisher.forget(target);
  }

  /** Saved state: our id and our routing table's nodes (reload with `options.state`). */
  saveState(): Uint8Array {
    return encodeState(this.id, [...this.table.nodes()]);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.timer?.cancel();
    this.timer = null;
    this.rpc.close();
    this.voter.release();
  }

  /** The housekeeping timer's callback, made once: a closure per tick (each living a minute) was old-space garbage in every node. */
  private readonly tickFn = (): void => this.tick();

  private tick(): void {
    if (this.closed) return;
    maintain(this, this.clock.now());
    const every = this.options.maintenanceIntervalMs ?? DHT_DEFAULTS.maintenanceIntervalMs;
    this.timer = this.clock.setTimer(every, this.tickFn);
  }
}

/** The routing table's admission check: BEP 42 in `require` mode and the caller's own id check, either or both. */
function tableAdmission(enforce: Bep42Mode, acceptNodeId: ((id: Uint8Array) => boolean) | undefined): ((id: NodeId, a: Address) => boolean) | undefined {
  const bep42 = enforce === 'require';
  if (!bep42 && acceptNodeId === undefined) return undefined;
  return (id, a) => (acceptNodeId === undefined || acceptNodeId(idToBytes(id))) && (!bep42 || isCompliantNodeId(id, a.host));
}

export { KRPC_ERROR };
