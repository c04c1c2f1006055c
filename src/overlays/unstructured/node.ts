/**
 * An unstructured overlay node (Gnutella 0.4 style): a random neighbour graph kept up by
 * `NeighbourManager`, and keyword search by either
 * - flooding: QUERY to every neighbour with a TTL, duplicates suppressed by guid, or
 * - k random walkers (Lv, Cao, Cohen, Li, Shenker 2002): each walker goes to one random
 *   neighbour per step and, every `checkEvery` steps, checks back with the querier, which
 *   tells it to stop once the query is satisfied.
 * Either way, a node holding the item answers with a HIT that travels back along the
 * reverse path (each node remembers which neighbour a guid first came from).
 */
import type { Runtime, TimerHandle, UdpEndpoint } from '../../runtime/types.js';
import type { OverlayNode, OverlayNodeContext, QueryResult, QueryTarget } from '../types.js';
import type { Address } from '../../runtime/types.js';
import { BaseOverlayNode, DEFAULT_MAX_MESSAGE_BYTES } from '../common/base-node.js';
import { OverlayMessageError, type ByteReader } from '../common/binary.js';
import { AgingMap } from '../common/aging-map.js';
import { RequestTable } from '../common/requests.js';
import { randomId } from '../common/ring.js';
import { NEIGHBOUR_DEFAULTS, NeighbourManager, type NeighbourOptions, type NeighbourPort } from './neighbours.js';
import * as M from './messages.js';

export type SearchMode = 'flood' | 'walk';

export interface UnstructuredOptions {
  search: SearchMode;
  neighbours: NeighbourOptions;
  /** Period of neighbour maintenance, ms (jittered). Default 5 000. */
  tickMs: number;
  /** Flooding: hops a QUERY may travel. Default 7. */
  floodTtl: number;
  /** Random walks: walkers per query. Default 16. */
  walkers: number;
  /** Random walks: steps a walker may take at most. Default 1024. */
  walkTtl: number;
  /** Random walks: check back with the querier every this many steps. Default 4. */
  checkEvery: number;
  /** A walker whose check-back is not answered within this many ms stops. Default 2 000. */
  checkTimeoutMs: number;
  /** A query with no hit after this long has failed, ms. Default 30 000. */
  queryTimeoutMs: number;
  /** Reverse-path entries live between one and two of these, ms. Default 60 000. */
  reversePathMs: number;
  maxMessageBytes: number;
}

export const UNSTRUCTURED_DEFAULTS: UnstructuredOptions = {
  search: 'flood',
  neighbours: NEIGHBOUR_DEFAULTS,
  tickMs: 5_000,
  floodTtl: 7,
  walkers: 16,
  walkTtl: 1024,
  checkEvery: 4,
  checkTimeoutMs: 2_000,
  queryTimeoutMs: 30_000,
  reversePathMs: 60_000,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
};

interface OwnQuery {
  done: ((r: QueryResult) => void) | null;
  timer: TimerHandle;
}

/** A reverse-path entry for a query this node started. */
const ORIGIN = -1;

export class UnstructuredNode extends BaseOverlayNode implements OverlayNode, NeighbourPort {
  readonly options: UnstructuredOptions;
  readonly neighbours: NeighbourManager;
  private items: Set<string> | null = null;
  private own: Map<number, OwnQuery> | null = null;
  private readonly reverse: AgingMap<number>;
  /** Flooding: the most hops left of any copy of a query seen here. */
  private readonly ttlSeen: AgingMap<number>;
  private readonly checks: RequestTable<M.WalkMessage>;
  private timer: TimerHandle | null = null;
  private readonly onTick = (): void => this.tick();
  private isJoined = false;

  constructor(rt: Runtime, endpoint: UdpEndpoint, context: OverlayNodeContext, options: Partial<UnstructuredOptions> = {}) {
    const o = { ...UNSTRUCTURED_DEFAULTS, ...options };
    super(rt, endpoint, context, M.UNSTRUCTURED_TAG, o.maxMessageBytes);
    this.options = o;
    this.neighbours = new NeighbourManager(this.selfKey, rt.random, this, o.neighbours);
    this.reverse = new AgingMap(o.reversePathMs, rt.clock.now());
    this.ttlSeen = new AgingMap(o.reversePathMs, rt.clock.now());
    this.checks = new RequestTable(rt.clock, rt.random, () => undefined);
  }

  get joined(): boolean {
    return this.isJoined && !this.stopped;
  }

  join(bootstrap: readonly Address[]): void {
    const now = this.rt.clock.now();
    for (const a of bootstrap) {
      const k = this.addresses.keyOf(a);
      if (k >= 0 && k !== this.selfKey) {
        this.neighbours.learnOne(k);
        this.neighbours.connect(k, now);
      }
    }
    if (bootstrap.length === 0) this.isJoined = true;
    this.timer = this.rt.clock.setTimer(this.rt.random.next() * this.options.tickMs, this.onTick);
  }

  leave(): void {
    this.neighbours.disconnectAll();
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    this.checks.clear();
    if (this.own !== null) for (const q of this.own.values()) q.timer.cancel();
    this.own = null;
  }

  share(keyword: Uint8Array): void {
    (this.items ??= new Set()).add(M.keywordKey(keyword));
  }

  holds(keyword: Uint8Array): boolean {
    return this.items !== null && this.items.has(M.keywordKey(keyword));
  }

  stateEntries(): number {
    return this.neighbours.degree;
  }

  query(target: QueryTarget, done: (result: QueryResult) => void): void {
    if (this.holds(target.keyword)) {
      done({ found: true, hops: 0, responder: this.address });
      return;
    }
    if (this.stopped) {
      done({ found: false, hops: 0, responder: null });
      return;
    }
    const guid = randomId(this.rt.random);
    const now = this.rt.clock.now();
    this.reverse.set(guid, ORIGIN, now);
    const q: OwnQuery = { done, timer: this.rt.clock.setTimer(this.options.queryTimeoutMs, () => this.finish(guid, null)) };
    (this.own ??= new Map()).set(guid, q);
    const keyword = target.keyword;
    const n = this.neighbours;
    if (this.options.search === 'flood') {
      const msg = M.encodeQuery(M.UNSTRUCTURED_TAG, { guid, ttl: this.options.floodTtl, hops: 1, keyword });
      for (let i = 0; i < n.degree; i++) this.send(n.keys[i], msg);
    } else {
      // Walkers leave through the neighbours in turn, from a random one.
      const start = n.degree > 0 ? this.rt.random.int(n.degree) : 0;
      for (let w = 0; w < this.options.walkers && n.degree > 0; w++) {
        const msg = M.encodeWalk({ guid, origin: this.selfKey, ttl: this.options.walkTtl, hops: 1, keyword });
        this.send(n.keys[(start + w) % n.degree], msg);
      }
    }
  }

  // NeighbourPort
  sendControl(to: number, type: number, peers: readonly number[] | null): void {
    this.send(to, M.encodeControl(M.UNSTRUCTURED_TAG, type, peers));
  }

  peersToShare(): number[] {
    return this.neighbours.sample(8);
  }

  protected handle(type: number, _traffic: number, from: number, body: ByteReader): void {
    const now = this.rt.clock.now();
    switch (type) {
      case M.MSG_CONNECT:
      case M.MSG_ACCEPT:
      case M.MSG_BYE:
      case M.MSG_PING:
        body.end();
        this.neighbours.heard(from, now);
        this.neighbours.handleControl(type, from, null, now);
        if (type === M.MSG_ACCEPT && this.neighbours.degree > 0) this.isJoined = true;
        return;
      case M.MSG_REJECT:
      case M.MSG_PONG:
        this.neighbours.handleControl(type, from, M.decodePeerList(body), now);
        this.neighbours.heard(from, now);
        return;
      case M.MSG_QUERY:
        this.onQuery(from, M.decodeQuery(body), now);
        return;
      case M.MSG_HIT:
        this.onHit(M.decodeHit(body), now);
        return;
      case M.MSG_WALK:
        this.onWalk(from, M.decodeWalk(body), now);
        return;
      case M.MSG_CHECK: {
        const c = M.decodeCheck(body);
        const q = this.own?.get(c.guid);
        this.send(from, M.encodeCheckReply(c.guid, c.tx, q !== undefined && q.done !== null));
        return;
      }
      case M.MSG_CHECK_REPLY: {
        const c = M.decodeCheckReply(body);
        const parked = this.checks.close(c.tx, from);
        if (parked !== undefined && c.proceed && parked.context.guid === c.guid) this.forwardWalker(parked.context, -1);
        return;
      }
      default:
        throw new OverlayMessageError(`unknown unstructured message type ${type}`);
    }
  }

  private onQuery(from: number, m: M.QueryMessage, now: number): void {
    this.neighbours.heard(from, now);
    if (this.reverse.has(m.guid, now)) {
      // A duplicate. Forward it again only if it has more hops left than the copy that came
      // first (a longer path can arrive sooner), so the whole TTL horizon is covered.
      const best = this.ttlSeen.get(m.guid, now);
      if (best === undefined || m.ttl <= best) return;
    } else {
      this.reverse.set(m.guid, from, now);
      if (this.holds(m.keyword)) this.send(from, M.encodeHit(M.UNSTRUCTURED_TAG, m.guid, m.hops, this.selfKey));
    }
    this.ttlSeen.set(m.guid, m.ttl, now);
    if (m.ttl <= 1) return;
    const n = this.neighbours;
    if (n.degree <= 1 && n.isNeighbour(from)) return;
    const msg = M.encodeQuery(M.UNSTRUCTURED_TAG, { guid: m.guid, ttl: m.ttl - 1, hops: m.hops + 1, keyword: m.keyword });
    for (let i = 0; i < n.degree; i++) if (n.keys[i] !== from) this.send(n.keys[i], msg);
  }

  private onHit(h: { guid: number; hops: number; responder: number }, now: number): void {
    const prev = this.reverse.get(h.guid, now);
    if (prev === undefined) return;
    if (prev === ORIGIN) {
      this.finish(h.guid, h);
      return;
    }
    this.send(prev, M.encodeHit(M.UNSTRUCTURED_TAG, h.guid, h.hops, h.responder));
  }

  private onWalk(from: number, m: M.WalkMessage, now: number): void {
    this.neighbours.heard(from, now);
    let prev = this.reverse.get(m.guid, now);
    if (prev === undefined) {
      prev = from;
      this.reverse.set(m.guid, from, now);
    }
    if (prev === ORIGIN) {
      // The walker came back to the querier, which knows whether to go on.
      const q = this.own?.get(m.guid);
      if (q !== undefined && q.done !== null && m.hops < m.ttl) this.forwardWalker(m, from);
      return;
    }
    if (this.holds(m.keyword)) {
      this.send(prev, M.encodeHit(M.UNSTRUCTURED_TAG, m.guid, m.hops, this.selfKey));
      return;
    }
    if (m.hops >= m.ttl) return;
    if (m.hops % this.options.checkEvery === 0) {
      const tx = this.checks.open(m, m.origin, this.options.checkTimeoutMs);
      this.send(m.origin, M.encodeCheck(m.guid, tx));
      return;
    }
    this.forwardWalker(m, from);
  }

  private forwardWalker(m: M.WalkMessage, from: number): void {
    const next = this.neighbours.randomNeighbour(from);
    if (next < 0) return;
    this.send(next, M.encodeWalk({ guid: m.guid, origin: m.origin, ttl: m.ttl, hops: m.hops + 1, keyword: m.keyword }));
  }

  private finish(guid: number, hit: { hops: number; responder: number } | null): void {
    const q = this.own?.get(guid);
    if (q === undefined) return;
    const done = q.done;
    if (done === null) {
      // Already answered; this is the query's timeout: forget it now.
      if (hit === null) this.own!.delete(guid);
      return;
    }
    q.done = null;
    if (hit === null) {
      this.own!.delete(guid);
      done({ found: false, hops: 0, responder: null });
    } else {
      done({ found: true, hops: hit.hops, responder: this.addresses.get(hit.responder) });
    }
  }

  private tick(): void {
    if (this.stopped) return;
    this.neighbours.tick(this.rt.clock.now());
    if (this.neighbours.degree > 0) this.isJoined = true;
    const t = this.options.tickMs;
    this.timer = this.rt.clock.setTimer(t * (0.75 + 0.5 * this.rt.random.next()), this.onTick);
  }
}
