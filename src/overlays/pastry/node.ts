/**
 * A Pastry node (Rowstron & Druschel 2001; failure handling after MSPastry, Castro et al.
 * 2004) on the runtime seam.
 *
 * - Join: ping the bootstrap candidates, send a JOIN route through the nearest (lowest RTT);
 *   every node on the route sends its routing-table rows up to the prefix it shares with the
 *   newcomer (the first also its neighbourhood set), and the node numerically closest sends
 *   its leaf set. The newcomer then announces itself to everyone in its state.
 * - Routing: `state.ts`, hop by hop, each hop acknowledged; a hop not acknowledged in time
 *   is dropped from the state (and repaired) and the message is routed around it.
 * - Maintenance, every `tickMs` (jittered): leaf-set exchange with the right neighbour and
 *   one more leaf in turn (and the left neighbour when it has gone quiet); every few ticks a
 *   routing-table row from a random entry; RTT probes for proximity neighbour selection.
 */
import type { Address, Runtime, TimerHandle, UdpEndpoint } from '../../runtime/types.js';
import type { OverlayNode, OverlayNodeContext, QueryResult, QueryTarget } from '../types.js';
import { BaseOverlayNode, DEFAULT_MAX_MESSAGE_BYTES } from '../common/base-node.js';
import { OverlayMessageError, type ByteReader } from '../common/binary.js';
import { TRAFFIC_MAINTENANCE, TRAFFIC_QUERY } from '../common/counters.js';
import { RequestTable } from '../common/requests.js';
import { randomId, sharedPrefix } from '../common/ring.js';
import type { ContactList } from '../common/contacts.js';
import { PastryState } from './state.js';
import * as M from './messages.js';

export interface PastryOptions {
  /** The node's id; default random from the runtime. */
  id?: number;
  /** Bits per digit. Default 4 (base 16). */
  b: number;
  /** Leaf-set nodes on each side (L / 2). Default 8. */
  leafHalf: number;
  /** Neighbourhood-set size M. Default 16. */
  neighbourhood: number;
  /** Maintenance period, ms (jittered +-25%). Default 5 000. */
  tickMs: number;
  /** Refresh one routing-table row every this many ticks. Default 6. */
  rowRefreshTicks: number;
  /** RTT probes per tick for proximity selection. Default 1. */
  probesPerTick: number;
  rpcTimeoutMs: number;
  hopTimeoutMs: number;
  queryTimeoutMs: number;
  /** A join not completed by then starts over, ms. Default 5 000. */
  joinTimeoutMs: number;
  maxMessageBytes: number;
}

export const PASTRY_DEFAULTS: PastryOptions = {
  b: 4,
  leafHalf: 8,
  neighbourhood: 16,
  tickMs: 5_000,
  rowRefreshTicks: 6,
  probesPerTick: 1,
  rpcTimeoutMs: 1_000,
  hopTimeoutMs: 500,
  queryTimeoutMs: 20_000,
  joinTimeoutMs: 5_000,
  maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
};

type Pending =
  | { kind: 'hop'; m: M.RouteMessage; id: number; attempt: number }
  | { kind: 'ping'; bootstrap: boolean; id: number }
  | { kind: 'ls'; id: number }
  | { kind: 'row'; id: number };

const PROBE_QUEUE = 8;

export class PastryNode extends BaseOverlayNode implements OverlayNode {
  readonly options: PastryOptions;
  readonly state: PastryState;
  private readonly requests: RequestTable<Pending>;
  private timer: TimerHandle | null = null;
  private readonly onTick = (): void => this.tick();
  private isJoined = false;
  private bootstrapKeys: number[] = [];
  private joinPings = 0;
  private bestBootstrap = -1;
  private bestRtt = Infinity;
  private joinTimer: TimerHandle | null = null;
  private lookups: Map<number, (r: QueryResult) => void> | null = null;
  private ticks = 0;
  private leafTurn = 0;
  private leftHeardAt = 0;
  private probeIds: Float64Array | null = null;
  private probeKeys: Float64Array | null = null;
  private probeCount = 0;

  constructor(rt: Runtime, endpoint: UdpEndpoint, context: OverlayNodeContext, options: Partial<PastryOptions> = {}) {
    const o = { ...PASTRY_DEFAULTS, ...options };
    super(rt, endpoint, context, M.PASTRY_TAG, o.maxMessageBytes);
    this.options = o;
    this.state = new PastryState(rt.clock, o.id ?? randomId(rt.random), this.selfKey, o.b, o.leafHalf, o.neighbourhood);
    this.requests = new RequestTable(rt.clock, rt.random, (p, to) => this.onTimeout(p, to));
  }

  get id(): number {
    return this.state.id;
  }

  get joined(): boolean {
    return this.isJoined && !this.stopped;
  }

  join(bootstrap: readonly Address[]): void {
    this.bootstrapKeys = bootstrap.map((a) => this.addresses.keyOf(a)).filter((k) => k >= 0 && k !== this.selfKey);
    if (this.bootstrapKeys.length === 0) {
      this.becomeJoined();
      return;
    }
    this.startJoin();
  }

  leave(): void {
    if (this.isJoined) {
      const c = this.state.leaves.contacts();
      const msg = M.encodeLeaving(this.state.id, c);
      for (const k of c.keys) this.send(k, msg);
    }
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.joinTimer?.cancel();
    this.requests.clear();
    this.lookups = null;
  }

  share(): void {
    // Keys are placed by id in a structured overlay.
  }

  stateEntries(): number {
    return this.state.entries();
  }

  query(target: QueryTarget, done: (result: QueryResult) => void): void {
    if (this.stopped) return done({ found: false, hops: 0, responder: null });
    const qid = this.rt.random.int(4294967296);
    let finished = false;
    const deadline = this.rt.clock.setTimer(this.options.queryTimeoutMs, () => once({ found: false, hops: 0, responder: null }));
    const once = (r: QueryResult): void => {
      if (finished) return;
      finished = true;
      deadline.cancel();
      this.lookups?.delete(qid);
      done(r);
    };
    (this.lookups ??= new Map()).set(qid, once);
    this.forward({ hopTx: 0, kind: M.KIND_LOOKUP, qid, hops: 0, key: target.key48, originId: this.state.id, origin: this.selfKey }, 0);
  }

  protected handle(type: number, traffic: number, from: number, body: ByteReader): void {
    const s = this.state;
    s.failures.clear(from);
    switch (type) {
      case M.ROUTE: {
        const m = M.decodeRoute(body);
        this.send(from, M.encodeTx(M.HOP_ACK, traffic, m.hopTx));
        if (m.kind === M.KIND_JOIN) this.sendJoinState(m, false);
        this.forward(m, 0);
        return;
      }
      case M.HOP_ACK: {
        const p = this.requests.close(M.decodeTx(body), from);
        if (p !== undefined && p.context.kind === 'hop' && p.context.id >= 0) this.measured(p.context.id, from, p.rttMs);
        return;
      }
      case M.FOUND: {
        const m = M.decodeFound(body);
        this.lookups?.get(m.qid)?.({ found: true, hops: m.hops, responder: this.addresses.get(m.key) });
        return;
      }
      case M.JOIN_STATE: {
        const m = M.decodeJoinState(body);
        if (this.isJoined && !m.last) return;
        s.consider(m.id, from, NaN);
        s.considerAll(m.rows);
        s.considerAll(m.leaves);
        if (m.last && !this.isJoined) {
          this.becomeJoined();
          // Announce to the leaf set, and to the routing-table nodes that share a digit or
          // more with us (row 0 slots elsewhere are almost always taken already).
          const c = s.leaves.contacts();
          s.table.forEach((id, k) => {
            if (sharedPrefix(id, s.id, s.table.b) >= 1 && !c.keys.includes(k)) c.keys.push(k);
          });
          const msg = M.encodeId(M.ANNOUNCE, s.id);
          for (const k of c.keys) this.send(k, msg);
        }
        return;
      }
      case M.ANNOUNCE:
        s.consider(M.decodeId(body), from, NaN);
        return;
      case M.LS_REQ: {
        const m = M.decodeLeafExchange(body);
        const left = s.leaves.left;
        if (left.count > 0 && left.keys[0] === from) this.leftHeardAt = this.rt.clock.now();
        s.consider(m.id, from, NaN);
        s.considerAll(m.leaves);
        this.send(from, M.encodeLeafExchange(M.LS_REPLY, m.tx, s.id, s.leaves.contacts()));
        return;
      }
      case M.LS_REPLY: {
        const m = M.decodeLeafExchange(body);
        const p = this.requests.close(m.tx, from);
        if (p === undefined) return;
        this.measured(m.id, from, p.rttMs);
        s.considerAll(m.leaves);
        return;
      }
      case M.ROW_REQ: {
        const m = M.decodeRowRequest(body);
        this.send(from, M.encodeRowReply(m.tx, s.table.row(m.row)));
        return;
      }
      case M.ROW_REPLY: {
        const m = M.decodeRowReply(body);
        const p = this.requests.close(m.tx, from);
        if (p === undefined) return;
        for (let i = 0; i < m.contacts.ids.length; i++) {
          if (s.consider(m.contacts.ids[i], m.contacts.keys[i], NaN) === 'kept') this.queueProbe(m.contacts.ids[i], m.contacts.keys[i]);
        }
        return;
      }
      case M.PING:
        this.send(from, M.encodePong(M.decodeTx(body), s.id));
        return;
      case M.PONG: {
        const m = M.decodePong(body);
        const p = this.requests.close(m.tx, from);
        if (p === undefined || p.context.kind !== 'ping') return;
        if (p.context.bootstrap) this.bootstrapAnswered(from, p.rttMs);
        else this.measured(m.id, from, p.rttMs);
        return;
      }
      case M.LEAVING: {
        const m = M.decodeLeaving(body);
        s.remove(m.id, from);
        s.considerAll(m.leaves);
        return;
      }
      default:
        throw new OverlayMessageError(`unknown Pastry message type ${type}`);
    }
  }

  /** Routes a message one hop on (or delivers it here). */
  private forward(m: M.RouteMessage, attempt: number): void {
    const avoid = m.kind === M.KIND_JOIN ? m.origin : -1;
    if (attempt > 4 || m.hops >= 64) return; // give up: the origin's timeout reports it
    const next = this.state.route(m.key, avoid);
    if (next === null) {
      this.deliver(m);
      return;
    }
    const fwd: M.RouteMessage = { ...m, hops: m.hops + 1 };
    fwd.hopTx = this.requests.open({ kind: 'hop', m, id: next.id, attempt }, next.key, this.options.hopTimeoutMs);
    this.send(next.key, M.encodeRoute(m.kind === M.KIND_LOOKUP ? TRAFFIC_QUERY : TRAFFIC_MAINTENANCE, fwd));
  }

  private deliver(m: M.RouteMessage): void {
    if (m.kind === M.KIND_JOIN) {
      this.sendJoinState(m, true);
      return;
    }
    if (m.origin === this.selfKey) this.lookups?.get(m.qid)?.({ found: true, hops: m.hops, responder: this.address });
    else this.send(m.origin, M.encodeFound(m.qid, m.hops, this.state.id, this.selfKey));
  }

  private sendJoinState(m: M.RouteMessage, last: boolean): void {
    const s = this.state;
    const shared = sharedPrefix(s.id, m.key, s.table.b);
    const rows = s.table.rowsUpTo(shared, M.MAX_CONTACTS);
    if (m.hops <= 1) {
      // The first hop is near the newcomer: its neighbourhood set is a good start.
      for (let i = 0; i < s.near.count && rows.ids.length < M.MAX_CONTACTS; i++) {
        rows.ids.push(s.near.ids[i]);
        rows.keys.push(s.near.keys[i]);
      }
    }
    const leaves: ContactList = last ? s.leaves.contacts() : { ids: [], keys: [] };
    this.send(m.origin, M.encodeJoinState(last, s.id, rows, leaves));
  }

  private startJoin(): void {
    if (this.stopped) return;
    this.joinPings = 0;
    this.bestBootstrap = -1;
    this.bestRtt = Infinity;
    for (const k of this.bootstrapKeys) {
      this.joinPings++;
      const tx = this.requests.open({ kind: 'ping', bootstrap: true, id: -1 }, k, this.options.rpcTimeoutMs);
      this.send(k, M.encodeTx(M.PING, TRAFFIC_MAINTENANCE, tx));
    }
    this.joinTimer?.cancel();
    this.joinTimer = this.rt.clock.setTimer(this.options.joinTimeoutMs + this.options.rpcTimeoutMs, () => {
      if (!this.isJoined) this.startJoin();
    });
  }

  private bootstrapAnswered(from: number, rtt: number): void {
    if (from >= 0 && rtt < this.bestRtt) {
      this.bestRtt = rtt;
      this.bestBootstrap = from;
    }
    if (--this.joinPings > 0 || this.bestBootstrap < 0 || this.isJoined) return;
    const s = this.state;
    const m: M.RouteMessage = { hopTx: 0, kind: M.KIND_JOIN, qid: 0, hops: 1, key: s.id, originId: s.id, origin: this.selfKey };
    m.hopTx = this.requests.open({ kind: 'hop', m: { ...m, hops: 0 }, id: -1, attempt: 0 }, this.bestBootstrap, this.options.hopTimeoutMs);
    this.send(this.bestBootstrap, M.encodeRoute(TRAFFIC_MAINTENANCE, m));
  }

  private becomeJoined(): void {
    this.isJoined = true;
    this.joinTimer?.cancel();
    this.leftHeardAt = this.rt.clock.now();
    if (this.timer === null) this.timer = this.rt.clock.setTimer(this.rt.random.next() * this.options.tickMs, this.onTick);
  }

  private measured(id: number, key: number, rtt: number): void {
    const s = this.state;
    s.near.consider(id, key, rtt);
    s.table.updateRtt(id, key, rtt);
    if (s.table.consider(id, key, rtt) === 'kept') return;
  }

  private queueProbe(id: number, key: number): void {
    this.probeIds ??= new Float64Array(PROBE_QUEUE);
    this.probeKeys ??= new Float64Array(PROBE_QUEUE);
    const i = this.probeCount < PROBE_QUEUE ? this.probeCount++ : this.rt.random.int(PROBE_QUEUE);
    this.probeIds[i] = id;
    this.probeKeys[i] = key;
  }

  private onTimeout(p: Pending, to: number): void {
    if (this.stopped) return;
    switch (p.kind) {
      case 'hop':
        if (p.id < 0) {
          // The first hop of our own join: try the next bootstrap candidate.
          if (!this.isJoined) this.startJoin();
          return;
        }
        this.failed(p.id, to);
        this.forward(p.m, p.attempt + 1);
        return;
      case 'ping':
        if (p.bootstrap) this.bootstrapAnswered(-1, Infinity);
        return;
      case 'ls':
      case 'row':
        this.failed(p.id, to);
        return;
    }
  }

  /** A node did not answer: forget it and start repairing where it was. */
  private failed(id: number, key: number): void {
    const s = this.state;
    const { slot, leaf } = s.remove(id, key);
    if (leaf) {
      // Ask the farthest leaf on each side for its leaf set, to refill ours.
      for (const side of [s.leaves.right, s.leaves.left]) if (side.count > 0) this.requestLeaves(side.ids[side.count - 1], side.keys[side.count - 1]);
    }
    if (slot !== null) {
      const row = s.table.row(slot[0]);
      if (row.ids.length > 0) {
        const j = this.rt.random.int(row.ids.length);
        this.requestRow(row.ids[j], row.keys[j], slot[0]);
      }
    }
  }

  private requestLeaves(id: number, key: number): void {
    const tx = this.requests.open({ kind: 'ls', id }, key, this.options.rpcTimeoutMs);
    this.send(key, M.encodeLeafExchange(M.LS_REQ, tx, this.state.id, this.state.leaves.contacts()));
  }

  private requestRow(id: number, key: number, row: number): void {
    const tx = this.requests.open({ kind: 'row', id }, key, this.options.rpcTimeoutMs);
    this.send(key, M.encodeRowRequest(tx, row));
  }

  private tick(): void {
    if (this.stopped) return;
    const s = this.state;
    const now = this.rt.clock.now();
    const { right, left } = s.leaves;
    this.ticks++;
    if (right.count > 0) this.requestLeaves(right.ids[0], right.keys[0]);
    if (this.ticks % 3 === 0) {
      // Every third tick, one more leaf in turn: failure detection for the rest of the set.
      const all = s.leaves.contacts();
      const i = this.leafTurn++ % Math.max(1, all.ids.length);
      if (all.ids.length > 1 && all.keys[i] !== right.keys[0]) this.requestLeaves(all.ids[i], all.keys[i]);
    }
    if (left.count > 0 && now - this.leftHeardAt > 3 * this.options.tickMs) {
      this.leftHeardAt = now;
      this.requestLeaves(left.ids[0], left.keys[0]);
    }
    if (this.ticks % this.options.rowRefreshTicks === 0) {
      const e = s.table.randomEntry(this.rt.random);
      if (e !== null) this.requestRow(s.table.idAt(e[0], e[1]), s.table.keyAt(e[0], e[1]), e[0]);
    }
    for (let n = 0; n < this.options.probesPerTick && this.probeCount > 0 && this.ticks % 2 === 0; n++) {
      const j = --this.probeCount;
      const tx = this.requests.open({ kind: 'ping', bootstrap: false, id: this.probeIds![j] }, this.probeKeys![j], this.options.rpcTimeoutMs);
      this.send(this.probeKeys![j], M.encodeTx(M.PING, TRAFFIC_MAINTENANCE, tx));
    }
    this.timer = this.rt.clock.setTimer(this.options.tickMs * (0.75 + 0.5 * this.rt.random.next()), this.onTick);
  }
}
