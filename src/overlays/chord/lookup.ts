/**
 * Chord's iterative lookup, driven by the querier: it asks the closest preceding node it
 * knows for closer ones (FIND) until a node answers that the key lies between it and its
 * successor, then asks that successor whether it is responsible (OWNER_Q), so the lookup
 * really reaches the node holding the key. A node that does not answer is dropped from the
 * querier's tables and the next-best candidate is tried. The port sends the requests and
 * feeds the replies (or `null` on a timeout) back in.
 */
import type { Clock } from '../../runtime/types.js';
import { cw } from '../common/ring.js';
import type { ContactList } from '../common/contacts.js';
import type { ChordRouting } from './routing.js';
import type { Contact } from './messages.js';

/** 'owner': end at the responsible node (queries, gets). 'successor': stop at the first successor of key, unconfirmed (fix-fingers, joins). */
export type LookupMode = 'owner' | 'successor';

export interface LookupOutcome {
  found: boolean;
  hops: number;
  id: number;
  key: number;
  value: Uint8Array | null;
}

export interface LookupPort {
  readonly routing: ChordRouting;
  requestFind(lookup: IterativeLookup, to: number, key: number): void;
  requestOwner(lookup: IterativeLookup, to: number, key: number): void;
  contactFailed(key: number): void;
  /** The local answer to OWNER_Q (when the querier turns out to be responsible itself). */
  localValue(key: number): Uint8Array | null;
}

/** The outcome of a lookup that found nothing. */
export const NOT_FOUND: LookupOutcome = Object.freeze({ found: false, hops: 0, id: -1, key: -1, value: null });

/** Wraps `done` so that it runs once: with the first outcome, or with NOT_FOUND after `ms`. */
export function withDeadline(clock: Clock, ms: number, done: (o: LookupOutcome) => void): (o: LookupOutcome) => void {
  let finished = false;
  const deadline = clock.setTimer(ms, () => once(NOT_FOUND));
  const once = (o: LookupOutcome): void => {
    if (finished) return;
    finished = true;
    deadline.cancel();
    done(o);
  };
  return once;
}

/** A lookup gives up after this many requests. */
const MAX_STEPS = 64;
const MAX_CANDIDATES = 16;

export class IterativeLookup {
  readonly key: number;
  readonly mode: LookupMode;
  readonly traffic: number;
  private readonly port: LookupPort;
  private readonly done: (outcome: LookupOutcome) => void;
  private candIds: number[] = [];
  private candKeys: number[] = [];
  private readonly tried: number[] = [];
  private ownerIds: number[] = [];
  private ownerKeys: number[] = [];
  private hops = 0;
  private steps = 0;
  private finished = false;

  constructor(port: LookupPort, key: number, mode: LookupMode, traffic: number, done: (outcome: LookupOutcome) => void) {
    this.port = port;
    this.key = key;
    this.mode = mode;
    this.traffic = traffic;
    this.done = done;
  }

  get isFinished(): boolean {
    return this.finished;
  }

  /** Starts from local state, or from `seed` (an address key whose id is unknown, e.g. a bootstrap node). */
  start(seed = -1): void {
    const r = this.port.routing;
    if (seed >= 0) {
      this.tried.push(seed);
      this.request(seed, false);
      return;
    }
    if (this.mode === 'owner' && r.owns(this.key)) {
      this.finish(true, r.id, r.selfKey, this.port.localValue(this.key));
      return;
    }
    if (r.succCount === 0) {
      this.finish(true, r.id, r.selfKey, this.port.localValue(this.key));
      return;
    }
    if (r.successorOwns(this.key)) {
      this.ownerPhase(r.successorList());
      return;
    }
    r.closestPreceding(this.key, 8, this.candIds, this.candKeys);
    if (this.candIds.length === 0) {
      this.ownerPhase(r.successorList());
      return;
    }
    this.step();
  }

  /** A FIND reply (or null: the request timed out). */
  onFindReply(from: number, reply: { done: boolean; contacts: ContactList } | null): void {
    if (this.finished) return;
    if (reply === null) {
      this.port.contactFailed(from);
      this.step();
      return;
    }
    this.hops++;
    if (reply.done) {
      this.ownerPhase(reply.contacts);
      return;
    }
    const { ids, keys } = reply.contacts;
    for (let i = 0; i < ids.length; i++) this.addCandidate(ids[i], keys[i]);
    this.step();
  }

  /** An OWNER_R reply (or null: timed out). */
  onOwnerReply(from: number, fromId: number, reply: { owner: boolean; pred: Contact | null; value: Uint8Array | null } | null): void {
    if (this.finished) return;
    if (reply === null) {
      this.port.contactFailed(from);
      this.nextOwner();
      return;
    }
    this.hops++;
    if (reply.owner) {
      this.finish(true, fromId, from, reply.value);
      return;
    }
    const p = reply.pred;
    if (p !== null && !this.tried.includes(p.key) && cw(this.key, p.id) < cw(this.key, fromId)) {
      // It knows a node between the key and itself: that one is closer to responsible.
      this.ownerIds.unshift(p.id);
      this.ownerKeys.unshift(p.key);
    } else if (this.fallbackKey < 0) {
      // It does not know its predecessor (it may have just failed): the first such node at or
      // after the key is the answer unless a later one claims the key.
      this.fallbackId = fromId;
      this.fallbackKey = from;
      this.fallbackHops = this.hops;
    }
    this.nextOwner();
  }

  private fallbackId = -1;
  private fallbackKey = -1;
  private fallbackHops = 0;

  private ownerPhase(list: ContactList): void {
    const r = this.port.routing;
    // The nodes at or after the key, nearest first (a successor list may start before it).
    const order = list.ids.map((_, i) => i).sort((a, b) => cw(this.key, list.ids[a]) - cw(this.key, list.ids[b]));
    this.ownerIds = order.map((i) => list.ids[i]);
    this.ownerKeys = order.map((i) => list.keys[i]);
    if (this.mode === 'successor') {
      if (order.length === 0) this.finish(false, -1, -1, null);
      else this.finish(true, this.ownerIds[0], this.ownerKeys[0], null);
      return;
    }
    if (this.ownerKeys.includes(r.selfKey) && r.owns(this.key)) {
      this.finish(true, r.id, r.selfKey, this.port.localValue(this.key));
      return;
    }
    this.nextOwner();
  }

  private nextOwner(): void {
    const r = this.port.routing;
    while (this.ownerKeys.length > 0) {
      const id = this.ownerIds.shift()!;
      const key = this.ownerKeys.shift()!;
      if (key === r.selfKey || this.tried.includes(key)) continue;
      if (++this.steps > MAX_STEPS) break;
      this.tried.push(key);
      this.ownerAsked = id;
      this.port.requestOwner(this, key, this.key);
      return;
    }
    if (this.fallbackKey >= 0) {
      this.hops = this.fallbackHops;
      this.finish(true, this.fallbackId, this.fallbackKey, null);
    } else if (this.steps > MAX_STEPS) this.finish(false, -1, -1, null);
    else this.step();
  }

  /** The id of the node asked OWNER_Q last (the port passes it back with the reply). */
  ownerAsked = -1;

  private step(): void {
    if (++this.steps > MAX_STEPS) {
      this.finish(false, -1, -1, null);
      return;
    }
    while (this.candKeys.length > 0) {
      this.candIds.shift();
      const key = this.candKeys.shift()!;
      if (this.tried.includes(key) || key === this.port.routing.selfKey) continue;
      this.tried.push(key);
      this.request(key, false);
      return;
    }
    this.finish(false, -1, -1, null);
  }

  private request(to: number, owner: boolean): void {
    if (owner) this.port.requestOwner(this, to, this.key);
    else this.port.requestFind(this, to, this.key);
  }

  private addCandidate(id: number, key: number): void {
    if (key === this.port.routing.selfKey || this.tried.includes(key) || this.candKeys.includes(key)) return;
    const d = cw(id, this.key);
    let at = this.candIds.length;
    while (at > 0 && cw(this.candIds[at - 1], this.key) > d) at--;
    if (at >= MAX_CANDIDATES) return;
    this.candIds.splice(at, 0, id);
    this.candKeys.splice(at, 0, key);
    if (this.candIds.length > MAX_CANDIDATES) {
      this.candIds.pop();
      this.candKeys.pop();
    }
  }

  private finish(found: boolean, id: number, key: number, value: Uint8Array | null): void {
    if (this.finished) return;
    this.finished = true;
    this.done({ found, hops: this.hops, id, key, value });
  }
}
