/**
 * Neighbour maintenance for an unstructured overlay (Gnutella 0.4 style): keep between
 * `targetDegree` and `maxDegree` neighbours, learn other peers' addresses from PONGs and
 * REJECTs into a small host cache, ping neighbours that have been silent, drop the ones that
 * stay silent, and replace lost neighbours with random peers from the cache. The graph that
 * results is a random graph with roughly the target degree.
 *
 * State is in typed arrays (address keys and last-heard times), so a node costs a few
 * hundred bytes here however long it runs.
 */
import { MSG_ACCEPT, MSG_BYE, MSG_CONNECT, MSG_PING, MSG_PONG, MSG_REJECT } from './messages.js';
import type { Random } from '../../runtime/types.js';

export interface NeighbourOptions {
  /** Connect out until this many neighbours. Default 4. */
  targetDegree: number;
  /** Accept connections up to this many. Default 10. */
  maxDegree: number;
  /** Addresses remembered for later connections. Default 32. */
  hostCacheSize: number;
  /** Ping a neighbour that has been silent this long, ms. Default 15 000. */
  pingAfterMs: number;
  /** Drop a neighbour silent this long, ms. Default 35 000. */
  deadAfterMs: number;
  /** Give up on an unanswered CONNECT after this long, ms. Default 3 000. */
  connectTimeoutMs: number;
}

export const NEIGHBOUR_DEFAULTS: NeighbourOptions = {
  targetDegree: 4,
  maxDegree: 10,
  hostCacheSize: 32,
  pingAfterMs: 15_000,
  deadAfterMs: 35_000,
  connectTimeoutMs: 3_000,
};

/** How the manager talks: the node encodes and sends its control messages. */
export interface NeighbourPort {
  sendControl(to: number, type: number, peers: readonly number[] | null): void;
  /** Addresses this node offers others (PONG, REJECT). */
  peersToShare(): number[];
}

const MAX_PENDING_CONNECTS = 4;

export class NeighbourManager {
  readonly options: NeighbourOptions;
  /** Neighbours' address keys, [0, degree). */
  readonly keys: Float64Array;
  private readonly heardAt: Float64Array;
  degree = 0;
  private readonly cache: Float64Array;
  private cacheCount = 0;
  private readonly pendingKeys = new Float64Array(MAX_PENDING_CONNECTS);
  private readonly pendingAt = new Float64Array(MAX_PENDING_CONNECTS);
  private pendingCount = 0;
  private readonly selfKey: number;
  private readonly random: Random;
  private readonly port: NeighbourPort;

  constructor(selfKey: number, random: Random, port: NeighbourPort, options: NeighbourOptions) {
    if (!(options.targetDegree >= 1 && options.maxDegree >= options.targetDegree)) throw new RangeError('need 1 <= targetDegree <= maxDegree');
    this.options = options;
    this.selfKey = selfKey;
    this.random = random;
    this.port = port;
    this.keys = new Float64Array(options.maxDegree);
    this.heardAt = new Float64Array(options.maxDegree);
    this.cache = new Float64Array(options.hostCacheSize);
  }

  indexOf(key: number): number {
    const keys = this.keys;
    for (let i = 0; i < this.degree; i++) if (keys[i] === key) return i;
    return -1;
  }

  isNeighbour(key: number): boolean {
    return this.indexOf(key) >= 0;
  }

  /** Any message from a neighbour shows it is alive. */
  heard(key: number, now: number): void {
    const i = this.indexOf(key);
    if (i >= 0) this.heardAt[i] = now;
  }

  /** A random neighbour other than `exclude` when there is one; -1 when there is none. */
  randomNeighbour(exclude: number): number {
    const n = this.degree;
    if (n === 0) return -1;
    if (n === 1) return this.keys[0];
    const i = this.random.int(n);
    const k = this.keys[i];
    if (k !== exclude) return k;
    return this.keys[(i + 1 + this.random.int(n - 1)) % n];
  }

  /** Remembers addresses to connect to later. */
  learn(peers: readonly number[]): void {
    for (const p of peers) this.learnOne(p);
  }

  learnOne(key: number): void {
    if (key === this.selfKey || key < 0) return;
    const c = this.cache;
    for (let i = 0; i < this.cacheCount; i++) if (c[i] === key) return;
    if (this.cacheCount < c.length) c[this.cacheCount++] = key;
    else c[this.random.int(c.length)] = key;
  }

  forget(key: number): void {
    const c = this.cache;
    for (let i = 0; i < this.cacheCount; i++) {
      if (c[i] === key) {
        c[i] = c[--this.cacheCount];
        return;
      }
    }
  }

  /**
   * Up to `n` known addresses drawn at random from the neighbours and the cache together,
   * so that knowledge of newer peers spreads instead of everyone learning the oldest ones.
   */
  sample(n: number): number[] {
    const out: number[] = [];
    const total = this.degree + this.cacheCount;
    if (total === 0) return out;
    const start = this.random.int(total);
    const step = total > 1 ? 1 + this.random.int(total - 1) : 1;
    for (let j = 0, i = start; j < total && out.length < n; j++, i = (i + step) % total) {
      const k = i < this.degree ? this.keys[i] : this.cache[i - this.degree];
      if (!out.includes(k)) out.push(k);
    }
    return out;
  }

  /** Asks `key` to become a neighbour (unless it is one, or a request is out). */
  connect(key: number, now: number): void {
    if (key === this.selfKey || this.isNeighbour(key) || this.pendingCount >= MAX_PENDING_CONNECTS) return;
    for (let i = 0; i < this.pendingCount; i++) if (this.pendingKeys[i] === key) return;
    this.pendingKeys[this.pendingCount] = key;
    this.pendingAt[this.pendingCount++] = now;
    this.port.sendControl(key, MSG_CONNECT, null);
  }

  /** Handles CONNECT, ACCEPT, REJECT, BYE, PING, PONG (already decoded peer lists). */
  handleControl(type: number, from: number, peers: readonly number[] | null, now: number): void {
    switch (type) {
      case MSG_CONNECT:
        if (this.isNeighbour(from) || this.add(from, now)) this.port.sendControl(from, MSG_ACCEPT, null);
        else this.port.sendControl(from, MSG_REJECT, this.port.peersToShare());
        return;
      case MSG_ACCEPT:
        this.clearPending(from);
        if (!this.isNeighbour(from) && !this.add(from, now)) this.port.sendControl(from, MSG_BYE, null);
        return;
      case MSG_REJECT:
        this.clearPending(from);
        this.forget(from);
        if (peers !== null) this.learn(peers);
        return;
      case MSG_BYE:
        this.remove(from);
        return;
      case MSG_PING:
        if (this.isNeighbour(from)) this.port.sendControl(from, MSG_PONG, this.port.peersToShare());
        else this.port.sendControl(from, MSG_BYE, null);
        return;
      case MSG_PONG:
        if (peers !== null) this.learn(peers);
        return;
    }
  }

  /** Periodic work: ping the silent, drop the dead, replace the lost. */
  tick(now: number): void {
    const o = this.options;
    for (let i = this.degree - 1; i >= 0; i--) {
      const silent = now - this.heardAt[i];
      if (silent > o.deadAfterMs) {
        this.forget(this.keys[i]);
        this.removeAt(i);
      }
      else if (silent > o.pingAfterMs) this.port.sendControl(this.keys[i], MSG_PING, null);
    }
    for (let i = this.pendingCount - 1; i >= 0; i--) {
      if (now - this.pendingAt[i] > o.connectTimeoutMs) {
        this.forget(this.pendingKeys[i]);
        this.pendingKeys[i] = this.pendingKeys[--this.pendingCount];
        this.pendingAt[i] = this.pendingAt[this.pendingCount];
      }
    }
    let want = o.targetDegree - this.degree - this.pendingCount;
    for (let tries = 0; want > 0 && tries < 2 * o.targetDegree && this.cacheCount > 0; tries++) {
      const k = this.cache[this.random.int(this.cacheCount)];
      const before = this.pendingCount;
      this.connect(k, now);
      if (this.pendingCount > before) want--;
    }
  }

  remove(key: number): void {
    const i = this.indexOf(key);
    if (i >= 0) this.removeAt(i);
  }

  /** Says BYE to every neighbour (a graceful leave). */
  disconnectAll(): void {
    for (let i = 0; i < this.degree; i++) this.port.sendControl(this.keys[i], MSG_BYE, null);
    this.degree = 0;
  }

  private add(key: number, now: number): boolean {
    if (this.degree >= this.options.maxDegree || key === this.selfKey) return false;
    this.keys[this.degree] = key;
    this.heardAt[this.degree++] = now;
    this.learnOne(key);
    return true;
  }

  private removeAt(i: number): void {
    const last = --this.degree;
    this.keys[i] = this.keys[last];
    this.heardAt[i] = this.heardAt[last];
  }

  private clearPending(key: number): void {
    for (let i = 0; i < this.pendingCount; i++) {
      if (this.pendingKeys[i] === key) {
        this.pendingKeys[i] = this.pendingKeys[--this.pendingCount];
        this.pendingAt[i] = this.pendingAt[this.pendingCount];
        return;
      }
    }
  }
}
