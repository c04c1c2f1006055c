/**
 * A super-peer overlay node (Gnutella 0.6 ultrapeers, Skype-like supernodes). A node is a
 * leaf or a super-peer:
 * - A leaf attaches to `leafSuperPeers` super-peers and uploads a QRP-like index (hashes of
 *   its keywords); it sends its queries to them and answers the LEAF_QUERYs they forward.
 *   When a super-peer goes silent it fails over to another from its cache.
 * - Super-peers form their own unstructured overlay (`unstructured/neighbours.ts`) and
 *   flood queries among themselves only, with a TTL; each forwards a query to those of its
 *   leaves whose index matches. Hits travel back along the reverse path.
 * - Election by capacity and uptime: a super-peer that must turn a leaf away promotes its
 *   best leaf (capacity >= `minCapacity`, uptime >= `minUptimeMs`, longest capacity x
 *   uptime); a leaf that cannot attach anywhere and is eligible promotes itself; a node that
 *   knows no one starts a network as its first super-peer.
 */
import type { Address, Runtime, TimerHandle, UdpEndpoint } from '../../runtime/types.js';
import type { OverlayNode, OverlayNodeContext, QueryResult, QueryTarget } from '../types.js';
import { BaseOverlayNode, DEFAULT_MAX_MESSAGE_BYTES } from '../common/base-node.js';
import { OverlayMessageError, type ByteReader } from '../common/binary.js';
import { AgingMap } from '../common/aging-map.js';
import { randomId } from '../common/ring.js';
import { NeighbourManager, type NeighbourOptions, type NeighbourPort } from '../unstructured/neighbours.js';
import * as U from '../unstructured/messages.js';
import { LeafTable } from './leaf-table.js';
import * as M from './messages.js';

export interface SuperPeerOptions {
  /** Super-peers a leaf attaches to. Default 2. */
  leafSuperPeers: number;
  /** Leaves a super-peer serves at most. Default 30. */
  maxLeaves: number;
  /** The super-peers' own overlay. Default target degree 6, at most 16. */
  superNeighbours: NeighbourOptions;
  /** Matching leaves a super-peer forwards one query to, at most. Default 2. */
  maxLeafForwards: number;
  /** Hops a query floods among super-peers. Default 4. */
  superTtl: number;
  /** Capacity a node needs to become a super-peer. Default 5 (about the top 15% of Pareto(1.2)). */
  minCapacity: number;
  /** Uptime a leaf needs before it is promoted, ms. Default 30 000. */
  minUptimeMs: number;
  tickMs: number;
  /** A leaf pings each of its super-peers this often (both learn the other is alive), ms. Default 20 000. */
  leafPingMs: number;
  /** Drop a super-peer (or a leaf) silent this long, ms. Default 50 000. */
  leafDeadAfterMs: number;
  queryTimeoutMs: number;
  reversePathMs: number;
  maxMessageBytes: number;
}

export const SUPER_PEER_DEFAULTS: SuperPeerOptions = {
  leafSuperPeers: 2,
  maxLeaves: 30,
  superNeighbours: { targetDegree: 6, maxDegree: 16, hostCacheSize: 32, pingAfterMs: 15_000, deadAfterMs: 35_000, connectTimeoutMs: 3_000 },
  superTtl: 4,
  maxLeafForwards: 2,
  minCapacity: 5,
  minUptimeMs: 30_000,
  tickMs: 5_000,
  leafPingMs: 20_000,
  leafDeadAfterMs: 50_000,
  queryTimeoutMs: 20_000,
  reversePathMs: 60_000,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
};

const ORIGIN = -1;
const ATTACH_TIMEOUT_MS = 3_000;

export class SuperPeerNode extends BaseOverlayNode implements OverlayNode, NeighbourPort {
  readonly options: SuperPeerOptions;
  /** The super-peer overlay when super; for everyone, its cache is the known super-peers. */
  readonly neighbours: NeighbourManager;
  readonly leaves: LeafTable;
  role: 'leaf' | 'super' = 'leaf';
  /** A leaf's attached super-peers and when each was last heard. */
  readonly superPeers: number[] = [];
  private readonly spHeardAt: number[] = [];
  private readonly spPingedAt: number[] = [];
  private readonly pendingAttach: number[] = [];
  private readonly pendingAt: number[] = [];
  private attachFailures = 0;
  private items: Set<string> | null = null;
  private hashes = new Uint32Array(0);
  private readonly reverse: AgingMap<number>;
  private own: Map<number, { done: ((r: QueryResult) => void) | null; timer: TimerHandle }> | null = null;
  private bootstrapKeys: number[] = [];
  private startedAt = 0;
  private promotedThisTick = false;
  private lonelyTicks = 0;
  /** Immediate re-attach attempts left this tick (after ATTACH_FULL). */
  private attachBudget = 4;
  /** Leaves this super-peer promoted lately. */
  private readonly promoted: number[] = [];
  private timer: TimerHandle | null = null;
  private readonly onTick = (): void => this.tick();

  constructor(rt: Runtime, endpoint: UdpEndpoint, context: OverlayNodeContext, options: Partial<SuperPeerOptions> = {}) {
    const o = { ...SUPER_PEER_DEFAULTS, ...options };
    super(rt, endpoint, context, M.SUPER_PEER_TAG, o.maxMessageBytes);
    this.options = o;
    this.neighbours = new NeighbourManager(this.selfKey, rt.random, this, o.superNeighbours);
    this.leaves = new LeafTable(o.maxLeaves);
    this.reverse = new AgingMap(o.reversePathMs, rt.clock.now());
  }

  get joined(): boolean {
    return !this.stopped && (this.role === 'super' || this.superPeers.length > 0);
  }

  get capacity(): number {
    return this.context.capacity;
  }

  join(bootstrap: readonly Address[]): void {
    this.startedAt = this.rt.clock.now();
    this.bootstrapKeys = bootstrap.map((a) => this.addresses.keyOf(a)).filter((k) => k >= 0 && k !== this.selfKey);
    if (this.bootstrapKeys.length === 0) this.becomeSuper();
    else for (const k of this.bootstrapKeys) this.send(k, M.encodeEmpty(M.GET_SPS));
    this.timer = this.rt.clock.setTimer(this.rt.random.next() * this.options.tickMs, this.onTick);
  }

  leave(): void {
    const detach = M.encodeEmpty(M.DETACH);
    for (const k of this.superPeers) this.send(k, detach);
    for (const l of this.leaves.leaves) this.send(l.key, detach);
    this.neighbours.disconnectAll();
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    if (this.own !== null) for (const q of this.own.values()) q.timer.cancel();
    this.own = null;
  }

  share(keyword: Uint8Array): void {
    (this.items ??= new Set()).add(U.keywordKey(keyword));
    const h = M.keywordHash(keyword);
    if (!this.hashes.includes(h) && this.hashes.length < M.MAX_INDEX_ENTRIES) this.hashes = Uint32Array.from([...this.hashes, h]);
  }

  holds(keyword: Uint8Array): boolean {
    return this.items !== null && this.items.has(U.keywordKey(keyword));
  }

  stateEntries(): number {
    return this.role === 'super' ? this.neighbours.degree + this.leaves.size + this.leaves.indexEntries() : this.superPeers.length;
  }

  query(target: QueryTarget, done: (result: QueryResult) => void): void {
    if (this.holds(target.keyword)) return done({ found: true, hops: 0, responder: this.address });
    if (this.stopped) return done({ found: false, hops: 0, responder: null });
    const guid = randomId(this.rt.random);
    this.reverse.set(guid, ORIGIN, this.rt.clock.now());
    const timer = this.rt.clock.setTimer(this.options.queryTimeoutMs, () => this.finish(guid, null));
    (this.own ??= new Map()).set(guid, { done, timer });
    const m = { guid, ttl: this.options.superTtl, hops: 1, keyword: target.keyword };
    if (this.role === 'super') this.floodQuery(ORIGIN, { ...m, hops: 0 });
    else for (const k of this.superPeers) this.send(k, U.encodeQuery(M.SUPER_PEER_TAG, m));
  }

  sendControl(to: number, type: number, peers: readonly number[] | null): void {
    this.send(to, U.encodeControl(M.SUPER_PEER_TAG, type, peers));
  }

  peersToShare(): number[] {
    const out = this.neighbours.sample(8);
    return this.role === 'super' ? [this.selfKey, ...out].slice(0, 8) : [...this.superPeers, ...out].slice(0, 8);
  }

  protected handle(type: number, _traffic: number, from: number, body: ByteReader): void {
    const now = this.rt.clock.now();
    this.heard(from, now);
    switch (type) {
      case U.MSG_CONNECT:
      case U.MSG_ACCEPT:
      case U.MSG_BYE:
      case U.MSG_PING:
        body.end();
        if (this.role === 'super') this.neighbours.handleControl(type, from, null, now);
        else if (type !== U.MSG_BYE) this.sendControl(from, type === U.MSG_ACCEPT ? U.MSG_BYE : U.MSG_REJECT, this.peersToShare());
        return;
      case U.MSG_REJECT:
      case U.MSG_PONG:
        this.neighbours.handleControl(type, from, U.decodePeerList(body), now);
        return;
      case M.GET_SPS:
        body.end();
        this.send(from, M.encodePeers(M.SPS, this.peersToShare()));
        return;
      case M.SPS:
      case M.LEAF_PONG:
        this.neighbours.learn(M.decodePeers(body));
        if (this.role === 'leaf') this.tryAttach(now);
        else this.neighbours.tick(now);
        return;
      case M.ATTACH: {
        const a = M.decodeAttach(body);
        return this.onAttach(from, a.capacity, a.uptimeS, a.hashes, now);
      }
      case M.ATTACH_OK:
        body.end();
        return this.onAttachOk(from, now);
      case M.ATTACH_FULL:
        // Full (or not a super-peer): forget it for now and try the ones it suggests.
        this.clearPending(from);
        this.attachFailures++;
        this.neighbours.forget(from);
        this.neighbours.learn(M.decodePeers(body));
        if (this.role === 'leaf' && this.attachBudget-- > 0) this.tryAttach(now);
        return;
      case M.DETACH:
        body.end();
        this.leaves.remove(from);
        this.dropSuperPeer(from);
        return;
      case M.LEAF_PING: {
        const p = M.decodeLeafPing(body);
        if (this.role === 'super' && this.leaves.find(from) !== undefined) {
          this.leaves.upsert(from, now, p.capacity, p.uptimeS * 1000, null);
          this.send(from, M.encodePeers(M.LEAF_PONG, this.peersToShare()));
        } else this.send(from, M.encodeEmpty(M.DETACH));
        return;
      }
      case M.PROMOTE:
        body.end();
        if (this.role === 'leaf' && this.capacity >= this.options.minCapacity) this.becomeSuper();
        return;
      case U.MSG_QUERY:
        if (this.role === 'super') this.floodQuery(from, U.decodeQuery(body));
        return;
      case M.LEAF_QUERY: {
        const q = M.decodeLeafQuery(body);
        if (this.holds(q.keyword)) this.send(from, U.encodeHit(M.SUPER_PEER_TAG, q.guid, q.hops, this.selfKey));
        return;
      }
      case U.MSG_HIT: {
        const h = U.decodeHit(body);
        const prev = this.reverse.get(h.guid, now);
        if (prev === ORIGIN) this.finish(h.guid, h);
        else if (prev !== undefined) this.send(prev, U.encodeHit(M.SUPER_PEER_TAG, h.guid, h.hops, h.responder));
        return;
      }
      default:
        throw new OverlayMessageError(`unknown super-peer message type ${type}`);
    }
  }

  /** A super-peer handles a query: its own items, its leaves' indexes, then its super-peer neighbours. */
  private floodQuery(from: number, m: U.QueryMessage): void {
    const now = this.rt.clock.now();
    if (from !== ORIGIN) {
      if (this.reverse.has(m.guid, now)) return;
      this.reverse.set(m.guid, from, now);
      if (this.holds(m.keyword)) this.send(from, U.encodeHit(M.SUPER_PEER_TAG, m.guid, m.hops, this.selfKey));
    }
    const leafQuery = M.encodeLeafQuery(m.guid, m.hops + 1, m.keyword);
    const matching = this.leaves.matching(M.keywordHash(m.keyword), from);
    for (let i = 0; i < matching.length && i < this.options.maxLeafForwards; i++) this.send(matching[i], leafQuery);
    if (m.ttl <= 1) return;
    const n = this.neighbours;
    const fwd = U.encodeQuery(M.SUPER_PEER_TAG, { guid: m.guid, ttl: m.ttl - 1, hops: m.hops + 1, keyword: m.keyword });
    for (let i = 0; i < n.degree; i++) if (n.keys[i] !== from) this.send(n.keys[i], fwd);
  }

  private onAttach(from: number, capacity: number, uptimeS: number, hashes: Uint32Array, now: number): void {
    if (this.role === 'super' && this.leaves.upsert(from, now, capacity, uptimeS * 1000, hashes)) {
      this.send(from, M.encodeEmpty(M.ATTACH_OK));
      return;
    }
    const suggest = this.role === 'super' ? [...this.promoted, ...this.neighbours.sample(8)] : this.peersToShare();
    this.send(from, M.encodePeers(M.ATTACH_FULL, suggest));
    if (this.role === 'super' && !this.promotedThisTick) {
      // Full: the network needs another super-peer; promote the fittest of our leaves.
      const best = this.leaves.bestCandidate(this.options.minCapacity, this.options.minUptimeMs, now);
      if (best !== undefined) {
        this.promotedThisTick = true;
        this.leaves.remove(best.key);
        this.send(best.key, M.encodeEmpty(M.PROMOTE));
        // Leaves turned away from now on are pointed at the new super-peer first.
        this.promoted.unshift(best.key);
        if (this.promoted.length > 4) this.promoted.pop();
      }
    }
  }

  private onAttachOk(from: number, now: number): void {
    this.clearPending(from);
    if (this.role === 'super' || this.superPeers.includes(from) || this.superPeers.length >= this.options.leafSuperPeers) {
      if (!this.superPeers.includes(from)) this.send(from, M.encodeEmpty(M.DETACH));
      return;
    }
    this.superPeers.push(from);
    this.spHeardAt.push(now);
    this.spPingedAt.push(now);
    this.attachFailures = 0;
  }

  private tryAttach(now: number): void {
    const want = this.options.leafSuperPeers - this.superPeers.length - this.pendingAttach.length;
    const candidates = this.neighbours.sample(32).filter((k) => !this.superPeers.includes(k) && !this.pendingAttach.includes(k));
    const uptimeS = Math.floor((now - this.startedAt) / 1000);
    for (let i = 0; i < want && candidates.length > 0; i++) {
      const k = candidates.splice(this.rt.random.int(candidates.length), 1)[0];
      this.pendingAttach.push(k);
      this.pendingAt.push(now);
      this.send(k, M.encodeAttach(this.capacity, uptimeS, this.hashes));
    }
  }

  private becomeSuper(): void {
    if (this.role === 'super') return;
    this.role = 'super';
    this.lonelyTicks = 0;
    const detach = M.encodeEmpty(M.DETACH);
    for (const k of this.superPeers) {
      this.send(k, detach);
      this.neighbours.learnOne(k);
    }
    this.superPeers.length = 0;
    this.spHeardAt.length = 0;
    this.spPingedAt.length = 0;
    this.pendingAttach.length = 0;
    this.pendingAt.length = 0;
    this.neighbours.tick(this.rt.clock.now());
  }

  private heard(from: number, now: number): void {
    const i = this.superPeers.indexOf(from);
    if (i >= 0) this.spHeardAt[i] = now;
    if (this.role === 'super') {
      this.neighbours.heard(from, now);
      const leaf = this.leaves.find(from);
      if (leaf !== undefined) leaf.heardAt = now;
    }
  }

  private dropSuperPeer(key: number): void {
    const i = this.superPeers.indexOf(key);
    if (i < 0) return;
    this.superPeers.splice(i, 1);
    this.spHeardAt.splice(i, 1);
    this.spPingedAt.splice(i, 1);
  }

  private clearPending(key: number): void {
    const i = this.pendingAttach.indexOf(key);
    if (i >= 0) {
      this.pendingAttach.splice(i, 1);
      this.pendingAt.splice(i, 1);
    }
  }

  private finish(guid: number, hit: { hops: number; responder: number } | null): void {
    const q = this.own?.get(guid);
    if (q === undefined) return;
    const done = q.done;
    if (hit === null) this.own!.delete(guid);
    if (done === null) return;
    q.done = null;
    if (hit === null) done({ found: false, hops: 0, responder: null });
    else done({ found: true, hops: hit.hops, responder: this.addresses.get(hit.responder) });
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.rt.clock.now();
    const o = this.options;
    this.promotedThisTick = false;
    this.attachBudget = 4;
    if (this.role === 'super') {
      this.neighbours.tick(now);
      this.leaves.expire(now, o.leafDeadAfterMs);
      this.lonelyTicks = this.neighbours.degree === 0 && this.leaves.size === 0 ? this.lonelyTicks + 1 : 0;
      if (this.lonelyTicks >= 6 && this.bootstrapKeys.length > 0) {
        // A super-peer nobody uses or connects to serves no one: go back to being a leaf.
        this.role = 'leaf';
        this.attachFailures = 0;
        this.tryAttach(now);
      } else if (this.neighbours.degree < o.superNeighbours.targetDegree) {
        // Short of super-peer neighbours: leaves and bootstrap nodes know others.
        const ask = M.encodeEmpty(M.GET_SPS);
        const leaves = this.leaves.leaves;
        if (leaves.length > 0) this.send(leaves[this.rt.random.int(leaves.length)].key, ask);
        if (this.neighbours.degree === 0) for (const k of this.bootstrapKeys) this.send(k, ask);
      }
    } else {
      for (let i = this.superPeers.length - 1; i >= 0; i--) {
        if (now - this.spHeardAt[i] > o.leafDeadAfterMs) {
          this.neighbours.forget(this.superPeers[i]);
          this.dropSuperPeer(this.superPeers[i]);
        } else if (now - this.spPingedAt[i] > o.leafPingMs) {
          this.spPingedAt[i] = now;
          this.send(this.superPeers[i], M.encodeLeafPing(this.capacity, Math.floor((now - this.startedAt) / 1000)));
        }
      }
      for (let i = this.pendingAttach.length - 1; i >= 0; i--) {
        if (now - this.pendingAt[i] > ATTACH_TIMEOUT_MS) {
          this.neighbours.forget(this.pendingAttach[i]);
          this.clearPending(this.pendingAttach[i]);
          this.attachFailures++;
        }
      }
      const known = this.neighbours.sample(1).length > 0;
      if (!known) this.attachFailures++;
      if (this.superPeers.length === 0 && this.attachFailures >= 3 && this.capacity >= o.minCapacity && (now - this.startedAt >= o.minUptimeMs || !known)) {
        // Nowhere to attach: become a super-peer ourselves.
        this.becomeSuper();
      } else {
        if (!known) for (const k of this.bootstrapKeys) this.send(k, M.encodeEmpty(M.GET_SPS));
        this.tryAttach(now);
      }
    }
    this.timer = this.rt.clock.setTimer(o.tickMs * (0.75 + 0.5 * this.rt.random.next()), this.onTick);
  }
}
