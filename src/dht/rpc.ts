/**
 * Outstanding KRPC queries: transaction ids, the soft and hard timeouts of each query, and
 * a cap on how many may be pending at once (a defence limit: a node that is asked to do too
 * much fails new queries at once instead of growing without bound).
 */
import type { Address, Clock, Random, TimerHandle } from '../runtime/types.js';
import type { KrpcErrorReply, KrpcResponse } from './krpc.js';

export interface QueryHandler {
  /** The answer, with the round-trip time in ms. */
  response(msg: KrpcResponse, rttMs: number): void;
  /** A KRPC error reply. */
  error(msg: KrpcErrorReply): void;
  /** No answer before the hard timeout (or the query could not be sent). */
  timeout(): void;
  /** The soft timeout passed; the query is still pending. */
  slow?(): void;
}

export interface RpcOptions {
  /** After this long a pending query is reported slow (a lookup then stops waiting on it), ms. Default 500. */
  softTimeoutMs?: number;
  /** After this long a pending query has failed, ms. Default 4000. */
  timeoutMs?: number;
  /** Most queries pending at once. Default 1024. */
  maxPending?: number;
}

export const RPC_DEFAULTS = { softTimeoutMs: 500, timeoutMs: 4000, maxPending: 1024 } as const satisfies Required<RpcOptions>;

class Transaction {
  timer: TimerHandle | null = null;
  slowFired = false;
  constructor(
    readonly key: string,
    readonly address: Address,
    readonly sentAt: number,
    readonly handler: QueryHandler,
  ) {}
}

export class Transactions {
  private readonly clock: Clock;
  private readonly pending = new Map<string, Transaction>();
  private readonly softMs: number;
  private readonly hardMs: number;
  private readonly maxPending: number;
  private next: number;

  constructor(clock: Clock, random: Random, options: RpcOptions = {}) {
    this.clock = clock;
    this.softMs = options.softTimeoutMs ?? RPC_DEFAULTS.softTimeoutMs;
    this.hardMs = options.timeoutMs ?? RPC_DEFAULTS.timeoutMs;
    this.maxPending = options.maxPending ?? RPC_DEFAULTS.maxPending;
    this.next = random.int(65536);
  }

  get size(): number {
    return this.pending.size;
  }

  /**
   * Registers a query to `to` and returns its 2-byte transaction id, or undefined when the
   * pending cap is reached (the caller reports a failure).
   */
  open(to: Address, handler: QueryHandler): Uint8Array | undefined {
    if (this.pending.size >= this.maxPending) return undefined;
    let key = '';
    for (let tries = 0; tries < 65536; tries++) {
      const n = this.next;
      this.next = (n + 1) & 0xffff;
      key = String.fromCharCode(n >>> 8, n & 0xff);
      if (!this.pending.has(key)) break;
    }
    const tx = new Transaction(key, to, this.clock.now(), handler);
    this.pending.set(key, tx);
    if (handler.slow !== undefined && this.softMs < this.hardMs) tx.timer = this.clock.setTimer(this.softMs, () => this.soft(tx));
    else tx.timer = this.clock.setTimer(this.hardMs, () => this.expire(tx));
    return Uint8Array.of(key.charCodeAt(0), key.charCodeAt(1));
  }

  /** The pending query a reply belongs to: same transaction id and same sender address. */
  take(t: Uint8Array, from: Address): Transaction | undefined {
    if (t.length !== 2) return undefined;
    const key = String.fromCharCode(t[0], t[1]);
    const tx = this.pending.get(key);
    if (tx === undefined || tx.address.port !== from.port || tx.address.host !== from.host) return undefined;
    this.pending.delete(key);
    tx.timer?.cancel();
    tx.timer = null;
    return tx;
  }

  /** Settles a reply: routes it to the handler with the round-trip time. */
  settle(tx: Transaction, msg: KrpcResponse | KrpcErrorReply): void {
    if (msg.kind === 'response') tx.handler.response(msg, this.clock.now() - tx.sentAt);
    else tx.handler.error(msg);
  }

  /** Fails every pending query (on close). */
  failAll(): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const tx of all) {
      tx.timer?.cancel();
      tx.handler.timeout();
    }
  }

  private soft(tx: Transaction): void {
    if (this.pending.get(tx.key) !== tx) return;
    tx.slowFired = true;
    tx.timer = this.clock.setTimer(this.hardMs - this.softMs, () => this.expire(tx));
    tx.handler.slow?.();
  }

  private expire(tx: Transaction): void {
    if (this.pending.get(tx.key) !== tx) return;
    this.pending.delete(tx.key);
    tx.timer = null;
    tx.handler.timeout();
  }
}
