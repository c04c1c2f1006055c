/**
 * A Chord node (Stoica, Morris, Karger, Kaashoek, Balakrishnan 2001) on the runtime seam.
 *
 * - Join: an iterative lookup of the node's own id through a bootstrap node finds its
 *   successor S; JOIN_HELLO to S makes S take it as predecessor, tell its old predecessor
 *   (NEW_SUCC), hand over the keys now ours (KEYS), and send its successor list and finger
 *   table as hints for ours (the paper's join optimisation).
 * - Maintenance, every `stabiliseMs` (jittered): stabilise (GET_PRED to the successor, adopt
 *   a closer one, NOTIFY it), check one finger (GET_PRED to the finger: if its predecessor is
 *   still at or after the finger's start, that node is the better finger; a dead finger is
 *   replaced by a lookup), and forget a predecessor that stopped notifying.
 * - Lookups: iterative (`lookup.ts`) or recursive with a hop-by-hop acknowledgement, where a
 *   hop that is not acknowledged is routed around.
 * - Leave: LEAVING to both neighbours and the keys to the successor.
 */
import type { Address, Runtime, TimerHandle, UdpEndpoint } from '../../runtime/types.js';
import type { OverlayNode, OverlayNodeContext, QueryResult, QueryTarget } from '../types.js';
import { BaseOverlayNode } from '../common/base-node.js';
import { OverlayMessageError, type ByteReader } from '../common/binary.js';
import { TRAFFIC_MAINTENANCE, TRAFFIC_QUERY } from '../common/counters.js';
import { RequestTable } from '../common/requests.js';
import { ID_BITS, cw, inHalfOpen, inOpen, randomId } from '../common/ring.js';
import { ChordRouting } from './routing.js';
import { IterativeLookup, NOT_FOUND, withDeadline, type LookupOutcome, type LookupPort } from './lookup.js';
import { ChordKeyStore } from './keys.js';
import { RecursiveRouter } from './recursive.js';
import * as M from './messages.js';
import * as A from './answers.js';
import { NO_OPTIONS, resolveOptions, type ChordOptions } from './options.js';

export { CHORD_DEFAULTS, type ChordOptions } from './options.js';

/** A joining node follows at most this many "your successor is closer" redirects. */
const MAX_HELLO_REDIRECTS = 32;
/** Immediate re-stabilisations after finding a closer successor, per period. */
const MAX_FAST_STABILISE = 16;

type Pending =
  | { kind: 'stabilise'; id: number; attempt: number }
  | { kind: 'finger'; i: number; id: number }
  | { kind: 'find'; lookup: IterativeLookup }
  | { kind: 'owner'; lookup: IterativeLookup; id: number }
  | { kind: 'hello'; id: number; attempt: number }
  | { kind: 'hop'; m: M.RecursiveLookup; attempt: number };

export class ChordNode extends BaseOverlayNode implements OverlayNode, LookupPort {
  readonly options: ChordOptions;
  readonly routing: ChordRouting;
  readonly store: ChordKeyStore;
  private readonly requests: RequestTable<Pending>;
  private timer: TimerHandle | null = null;
  private readonly onTick = (): void => this.tick();
  private isJoined = false;
  private predHeardAt = 0;
  private nextFingerIndex = 0;
  private fastSteps = 0;
  private bootstrapKeys: number[] = [];
  /** Created on first use: most nodes of an iterative run never route a recursive lookup. */
  private recursiveRouter: RecursiveRouter | null = null;

  constructor(rt: Runtime, endpoint: UdpEndpoint, context: OverlayNodeContext, options: Partial<ChordOptions> = NO_OPTIONS) {
    const o = resolveOptions(options);
    super(rt, endpoint, context, M.CHORD_TAG, o.maxMessageBytes);
    this.options = o;
    this.routing = new ChordRouting(o.id ?? randomId(rt.random), this.selfKey, o.successors);
    this.store = new ChordKeyStore(o.maxStoredKeys);
    this.requests = new RequestTable(rt.clock, rt.random, (p, to) => this.onTimeout(p, to));
  }

  private get recursive(): RecursiveRouter {
    return (this.recursiveRouter ??= new RecursiveRouter({
      routing: this.routing,
      selfKey: this.selfKey,
      forwardHop: (to, fwd, received, attempt) => {
        fwd.hopTx = this.requests.open({ kind: 'hop', m: received, attempt }, to, this.options.hopTimeoutMs);
        this.send(to, M.encodeRecursive(fwd));
      },
      sendFound: (origin, qid, hops) => this.send(origin, M.encodeFound(qid, hops, this.routing.id, this.selfKey)),
    }));
  }

  get id(): number {
    return this.routing.id;
  }

  get joined(): boolean {
    return this.isJoined && !this.stopped;
  }

  join(bootstrap: readonly Address[]): void {
    this.bootstrapKeys = bootstrap.map((a) => this.addresses.keyOf(a)).filter((k) => k >= 0 && k !== this.selfKey);
    if (this.bootstrapKeys.length === 0) {
      this.isJoined = true;
      this.scheduleTick(this.rt.random.next() * this.options.stabiliseMs);
      return;
    }
    this.findSuccessorAndHello(0);
  }

  leave(): void {
    const r = this.routing;
    if (this.isJoined && r.succCount > 0) {
      const { toSuccessor, toPredecessor } = A.leaving(r);
      this.send(r.succKey(0), toSuccessor);
      this.handOver(r.succKey(0), this.store.entries(), M.KEYS);
      if (toPredecessor !== null) this.send(r.predKey, toPredecessor);
    }
    this.stop();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    this.requests.clear();
    this.recursiveRouter?.clear();
  }

  share(): void {
    // Structured overlays place keys by id; items are not shared by keyword.
  }

  stateEntries(): number {
    return this.routing.entries();
  }

  query(target: QueryTarget, done: (result: QueryResult) => void): void {
    this.lookup(target.key48, TRAFFIC_QUERY, (o) => done({ found: o.found, hops: o.hops, responder: o.found ? this.addresses.get(o.key) : null }));
  }

  /** Finds the node responsible for `key` (iterative or recursive, as configured). */
  lookup(key: number, traffic: number, done: (outcome: LookupOutcome) => void): void {
    const once = withDeadline(this.rt.clock, this.options.queryTimeoutMs, done);
    if (this.stopped) once(NOT_FOUND);
    else if (this.options.lookup === 'recursive' && traffic === TRAFFIC_QUERY) this.recursive.start(this.rt.random.int(4294967296), key, once);
    else new IterativeLookup(this, key, 'owner', traffic, once).start();
  }

  /** Stores a value at the node responsible for `key`. */
  put(key: number, value: Uint8Array, done: (stored: boolean) => void): void {
    new IterativeLookup(this, key, 'owner', TRAFFIC_QUERY, (o) => {
      if (!o.found) return done(false);
      if (o.key === this.selfKey) this.store.set(key, value);
      else this.send(o.key, M.encodeKeys(M.STORE, TRAFFIC_QUERY, [[key, value]], this.maxMessageBytes - 3).message);
      done(true);
    }).start();
  }

  /** Fetches the value stored under `key` from the node responsible for it. */
  get(key: number, done: (value: Uint8Array | null) => void): void {
    new IterativeLookup(this, key, 'owner', TRAFFIC_QUERY, (o) => done(o.found ? o.value : null)).start();
  }

  // LookupPort
  requestFind(lookup: IterativeLookup, to: number, key: number): void {
    const tx = this.requests.open({ kind: 'find', lookup }, to, this.options.rpcTimeoutMs);
    this.send(to, M.encodeTxKey(M.FIND, lookup.traffic, tx, key));
  }

  requestOwner(lookup: IterativeLookup, to: number, key: number): void {
    const tx = this.requests.open({ kind: 'owner', lookup, id: lookup.ownerAsked }, to, this.options.rpcTimeoutMs);
    this.send(to, M.encodeTxKey(M.OWNER_Q, lookup.traffic, tx, key));
  }

  contactFailed(key: number): void {
    this.routing.remove(key);
  }

  localValue(key: number): Uint8Array | null {
    return this.store.get(key);
  }

  protected handle(type: number, traffic: number, from: number, body: ByteReader): void {
    const r = this.routing;
    switch (type) {
      case M.GET_PRED:
        return this.send(from, A.predReply(r, traffic, M.decodeTx(body)));
      case M.PRED_REPLY:
        return this.onPredReply(from, M.decodePredReply(body));
      case M.NOTIFY:
        return this.onNotify(from, M.decodeId(body));
      case M.FIND:
        return this.send(from, A.findReply(r, traffic, M.decodeTxKey(body)));
      case M.FIND_REPLY: {
        const m = M.decodeFindReply(body);
        const p = this.requests.close(m.tx, from);
        if (p !== undefined && p.context.kind === 'find') p.context.lookup.onFindReply(from, m);
        return;
      }
      case M.OWNER_Q:
        return this.send(from, A.ownerReply(r, this.store, traffic, M.decodeTxKey(body)));
      case M.OWNER_R: {
        const m = M.decodeOwnerReply(body);
        const p = this.requests.close(m.tx, from);
        if (p !== undefined && p.context.kind === 'owner') p.context.lookup.onOwnerReply(from, p.context.id, m);
        return;
      }
      case M.RLOOKUP: {
        const m = M.decodeRecursive(body);
        this.send(from, M.encodeTx(M.HOP_ACK, TRAFFIC_QUERY, m.hopTx));
        this.recursive.route(m, 0);
        return;
      }
      case M.HOP_ACK:
        this.requests.close(M.decodeTx(body), from);
        return;
      case M.FOUND: {
        const m = M.decodeFound(body);
        this.recursive.found(m.qid, m.hops, m.id, m.key);
        return;
      }
      case M.JOIN_HELLO:
        return this.onHello(from, M.decodeTxKey(body));
      case M.WELCOME:
        return this.onWelcome(from, M.decodeWelcome(body));
      case M.NEW_SUCC: {
        const c = M.decodeContact(body);
        if (r.succCount === 0) r.setSuccessors(c.id, c.key, null);
        else r.considerSuccessor(c.id, c.key);
        return;
      }
      case M.LEAVING:
        return this.onLeaving(from, M.decodeLeaving(body));
      case M.KEYS:
      case M.STORE:
        for (const [k, v] of M.decodeKeys(body)) this.store.set(k, v);
        return;
      default:
        throw new OverlayMessageError(`unknown Chord message type ${type}`);
    }
  }

  private onNotify(from: number, id: number): void {
    const r = this.routing;
    if (r.predKey === from) this.predHeardAt = this.rt.clock.now();
    else if (!r.hasPred || inOpen(id, r.predId, r.id)) {
      r.setPred(id, from);
      this.predHeardAt = this.rt.clock.now();
    }
    if (r.succCount === 0) r.setSuccessors(id, from, null);
  }

  private onPredReply(from: number, m: { tx: number; pred: M.Contact | null; succ: { ids: number[]; keys: number[] } }): void {
    const p = this.requests.close(m.tx, from);
    if (p === undefined) return;
    const r = this.routing;
    const c = p.context;
    if (c.kind === 'stabilise') {
      const x = m.pred;
      if (x !== null && x.key !== this.selfKey && x.key !== from && inOpen(x.id, r.id, c.id)) {
        r.setSuccessors(x.id, x.key, { ids: [c.id, ...m.succ.ids], keys: [from, ...m.succ.keys] });
        // A closer successor: check it at once rather than a period later, so a successor
        // pointer that skipped many nodes walks back in round trips, not in minutes.
        if (this.fastSteps++ < MAX_FAST_STABILISE) {
          this.stabilise(0);
          return;
        }
      } else r.setSuccessors(c.id, from, m.succ);
      if (r.succCount > 0) this.send(r.succKey(0), M.encodeId(M.NOTIFY, r.id));
    } else if (c.kind === 'finger') {
      const x = m.pred;
      const start = r.fingerStart(c.i);
      if (x !== null && x.key !== this.selfKey && cw(start, x.id) < cw(start, c.id)) r.setFinger(c.i, x.id, x.key);
      else r.setFinger(c.i, c.id, from);
    }
  }

  private onHello(from: number, m: { tx: number; key: number }): void {
    const r = this.routing;
    const id = m.key;
    const oldPred = r.hasPred ? { id: r.predId, key: r.predKey } : null;
    const takes = A.takesAsPredecessor(r, id, from);
    this.send(from, A.welcome(r, m.tx, from, takes));
    if (!takes) return;
    r.setPred(id, from);
    this.predHeardAt = this.rt.clock.now();
    if (oldPred !== null && oldPred.key !== from) this.send(oldPred.key, M.encodeContactMessage(M.NEW_SUCC, id, from));
    if (r.succCount === 0) r.setSuccessors(id, from, null);
    // Keys in (oldPred, id] are the newcomer's now.
    this.handOver(from, this.store.take((k) => !inHalfOpen(k, id, r.id)), M.KEYS);
  }

  private onWelcome(from: number, m: { tx: number; pred: M.Contact | null; succ: { ids: number[]; keys: number[] }; hints: { ids: number[]; keys: number[] } }): void {
    const p = this.requests.close(m.tx, from);
    if (p === undefined || p.context.kind !== 'hello') return;
    const r = this.routing;
    const sid = p.context.id;
    const x = m.pred;
    if (x !== null && x.key !== this.selfKey && inOpen(x.id, r.id, sid)) {
      // Others joined between us and S first: walk back towards our true successor, or
      // look it up again when that takes too long.
      if (p.context.attempt < MAX_HELLO_REDIRECTS) this.hello(x.id, x.key, p.context.attempt + 1);
      else this.findSuccessorAndHello(1);
      return;
    }
    if (x !== null && x.key !== this.selfKey) {
      r.setPred(x.id, x.key);
      this.predHeardAt = this.rt.clock.now();
    }
    r.setSuccessors(sid, from, m.succ);
    r.fingersFromHints(m.hints);
    if (!this.isJoined) {
      this.isJoined = true;
      this.scheduleTick(this.rt.random.next() * this.options.stabiliseMs);
    }
  }

  private onLeaving(from: number, m: { pred: M.Contact | null; succ: { ids: number[]; keys: number[] } }): void {
    if (this.routing.neighbourLeft(from, m.pred, m.succ)) this.predHeardAt = this.rt.clock.now();
  }

  private findSuccessorAndHello(attempt: number): void {
    if (this.stopped || this.bootstrapKeys.length === 0) return;
    const seed = this.bootstrapKeys[attempt % this.bootstrapKeys.length];
    new IterativeLookup(this, this.routing.id, 'successor', TRAFFIC_MAINTENANCE, (o) => {
      if (this.stopped || (this.isJoined && this.routing.succCount > 0)) return;
      if (o.found && o.key !== this.selfKey) this.hello(o.id, o.key, 0);
      else if (attempt < 8) this.findSuccessorAndHello(attempt + 1);
    }).start(seed);
  }

  private hello(id: number, key: number, attempt: number): void {
    const tx = this.requests.open({ kind: 'hello', id, attempt }, key, this.options.rpcTimeoutMs);
    this.send(key, M.encodeJoinHello(tx, this.routing.id));
  }

  private onTimeout(p: Pending, to: number): void {
    if (this.stopped) return;
    switch (p.kind) {
      case 'stabilise':
        this.routing.remove(to);
        if (p.attempt < 3) this.stabilise(p.attempt + 1);
        return;
      case 'finger':
        this.routing.remove(to);
        return;
      case 'find':
        p.lookup.onFindReply(to, null);
        return;
      case 'owner':
        p.lookup.onOwnerReply(to, p.id, null);
        return;
      case 'hello':
        if (!this.isJoined || this.routing.succCount === 0) this.findSuccessorAndHello(p.attempt + 1);
        return;
      case 'hop':
        this.routing.remove(to);
        this.recursive.route(p.m, p.attempt + 1);
        return;
    }
  }

  private stabilise(attempt: number): void {
    const r = this.routing;
    if (r.succCount === 0) {
      // Lost every successor: rejoin through the predecessor, a finger or the bootstrap nodes.
      const c = r.contacts();
      if (c.keys.length > 0 || this.bootstrapKeys.length > 0) {
        this.bootstrapKeys = [...c.keys, ...this.bootstrapKeys].slice(0, 8);
        this.findSuccessorAndHello(0);
      }
      return;
    }
    const tx = this.requests.open({ kind: 'stabilise', id: r.succId(0), attempt }, r.succKey(0), this.options.rpcTimeoutMs);
    this.send(r.succKey(0), M.encodeTx(M.GET_PRED, TRAFFIC_MAINTENANCE, tx));
  }

  private fixOneFinger(): void {
    const r = this.routing;
    const first = r.firstFinger();
    if (this.nextFingerIndex < first || this.nextFingerIndex >= ID_BITS) this.nextFingerIndex = first;
    const i = this.nextFingerIndex++;
    const key = r.fingerKey(i);
    if (key >= 0) {
      const tx = this.requests.open({ kind: 'finger', i, id: r.fingerId(i) }, key, this.options.rpcTimeoutMs);
      this.send(key, M.encodeTx(M.GET_PRED, TRAFFIC_MAINTENANCE, tx));
      return;
    }
    new IterativeLookup(this, r.fingerStart(i), 'successor', TRAFFIC_MAINTENANCE, (o) => {
      if (o.found && o.key !== this.selfKey && !this.stopped) r.setFinger(i, o.id, o.key);
    }).start();
  }

  private tick(): void {
    if (this.stopped) return;
    const r = this.routing;
    if (r.hasPred && this.rt.clock.now() - this.predHeardAt > 3 * this.options.stabiliseMs) r.setPred(-1, -1);
    this.fastSteps = 0;
    this.stabilise(0);
    if (r.succCount > 0) this.fixOneFinger();
    this.scheduleTick(this.options.stabiliseMs * (0.75 + 0.5 * this.rt.random.next()));
  }

  private scheduleTick(ms: number): void {
    this.timer = this.rt.clock.setTimer(ms, this.onTick);
  }

  private handOver(to: number, entries: [number, Uint8Array][], type: number): void {
    for (const message of M.encodeKeyBatches(type, TRAFFIC_MAINTENANCE, entries, this.maxMessageBytes - 3)) this.send(to, message);
  }
}
