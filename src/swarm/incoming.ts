/**
 * Incoming peer connections before we know their torrent. Accepting one is a decision made
 * here, before any handshake work (the shape of quinn's `Endpoint::accept`/`refuse`): a
 * banned IP, a full pre-handshake table, too many pending connections from one IP, or a
 * session already at its connection limit is refused at once (the socket is closed, so it
 * holds no descriptor). An accepted connection is counted as pending and its handshake
 * deadline runs from the accept: a peer that sends nothing, or half-closes (FIN) before its
 * handshake, is closed. Once the handshake names a torrent the stream goes to that swarm,
 * whose `PeerSession` keeps driving the same deadline.
 *
 * Shared by the session and by simulations that run swarms without one.
 */
import type { Address, ByteStream, Runtime, TimerHandle } from '../runtime/types.js';
import { PeerConnection } from '../wire/index.js';
import { banKey, type BanList } from './ban-list.js';
import type { Swarm } from './swarm.js';

export interface IncomingOptions {
  /** Incoming connections accepted whose handshake has not arrived yet, at most (default 32). */
  readonly maxPendingHandshakes?: number;
  /** Of those, from one IP, IPv6 counted per /64 (default 4). */
  readonly maxPendingPerIp?: number;
  /** Time from accept to a complete peer handshake (default 10 s, libtorrent's `handshake_timeout`). */
  readonly handshakeTimeoutMs?: number;
}

export const INCOMING_DEFAULTS: Readonly<Required<IncomingOptions>> = {
  maxPendingHandshakes: 32,
  maxPendingPerIp: 4,
  handshakeTimeoutMs: 10_000,
};

export type RefuseReason = 'banned' | 'pending_full' | 'pending_per_ip' | 'connections_full' | 'closing';

/** The decision on a new connection. */
export type Admission = { readonly accept: true } | { readonly accept: false; readonly reason: RefuseReason };

export interface IncomingGateDeps {
  readonly runtime: Runtime;
  readonly peerId: Uint8Array;
  /** The swarm for an info hash from a handshake (v1, or v2 truncated to 20 bytes). */
  readonly find: (infoHash: Uint8Array) => Swarm | undefined;
  /** IPs refused at accept time (the session's). */
  readonly bans?: BanList;
  /** Connections the session may still open (its `maxConnections` less those open); default unlimited. */
  readonly room?: () => number;
  readonly options?: IncomingOptions;
  /** BEP 10 extensions incoming connections announce (default ut_pex, ut_metadata; the session adds ut_holepunch). */
  readonly extensions?: ReadonlyMap<string, number>;
  /** Told of each refusal (metrics, logs). */
  readonly onRefused?: (remote: Address, reason: RefuseReason) => void;
}

export class IncomingGate {
  private readonly o: Required<IncomingOptions>;
  private readonly perIp = new Map<string, number>();
  /** How to drop each pending connection (for `close`). */
  private readonly drops = new Set<() => void>();
  private pendingCount = 0;
  private closed = false;
  /** Refusals by reason since the gate was made. */
  readonly refused: Record<RefuseReason, number> = { banned: 0, pending_full: 0, pending_per_ip: 0, connections_full: 0, closing: 0 };

  constructor(private readonly deps: IncomingGateDeps) {
    this.o = { ...INCOMING_DEFAULTS, ...deps.options };
  }

  /** Accepted connections whose handshake has not arrived (they count against the session's connections too). */
  get pending(): number {
    return this.pendingCount;
  }

  /** The decision alone (no side effects): accept, or refuse with a reason. */
  decide(remote: Address, now: number): Admission {
    if (this.deps.bans?.isBanned(remote.host, now)) return { accept: false, reason: 'banned' };
    if (this.pendingCount >= this.o.maxPendingHandshakes) return { accept: false, reason: 'pending_full' };
    if ((this.perIp.get(banKey(remote.host)) ?? 0) >= this.o.maxPendingPerIp) return { accept: false, reason: 'pending_per_ip' };
    if (this.deps.room && this.deps.room() <= 0) return { accept: false, reason: 'connections_full' };
    return { accept: true };
  }

  /** A new connection from the listener: refused (closed at once) or accepted and read until its handshake. */
  offer(stream: ByteStream): void {
    const runtime = this.deps.runtime;
    const now = runtime.clock.now();
    const d: Admission = this.closed ? { accept: false, reason: 'closing' } : this.decide(stream.remote, now);
    if (!d.accept) {
      this.refused[d.reason]++;
      this.deps.onRefused?.(stream.remote, d.reason);
      stream.destroy();
      return;
    }
    this.admit(stream, now);
  }

  private admit(stream: ByteStream, now: number): void {
    const runtime = this.deps.runtime;
    const ip = banKey(stream.remote.host);
    this.pendingCount++;
    this.perIp.set(ip, (this.perIp.get(ip) ?? 0) + 1);
    let released = false;
    let timer: TimerHandle | undefined;
    const release = (): void => {
      if (released) return;
      released = true;
      this.drops.delete(drop);
      timer?.cancel();
      this.pendingCount--;
      const n = (this.perIp.get(ip) ?? 1) - 1;
      if (n <= 0) this.perIp.delete(ip);
      else this.perIp.set(ip, n);
    };
    const drop = (): void => {
      release();
      conn.close();
      stream.destroy();
    };
    this.drops.add(drop);
    const conn = new PeerConnection({ role: 'incoming', peerId: this.deps.peerId, now, handshakeTimeoutMs: this.o.handshakeTimeoutMs, extensions: this.deps.extensions });
    // The handshake deadline runs from the accept, whether or not a byte arrives.
    timer = runtime.clock.setTimer(Math.max(0, conn.nextDeadline() - now), () => {
      timer = undefined;
      if (released) return;
      conn.poll(runtime.clock.now());
      drop();
    });
    stream.onData((bytes) => {
      if (released) return;
      for (const e of conn.receive(bytes, runtime.clock.now())) {
        if (e.type === 'info_hash') {
          release();
          const target = this.deps.find(e.infoHash);
          if (!target || !target.acceptIncoming(stream, conn, e.infoHash)) {
            conn.close();
            stream.destroy();
          }
          return;
        }
        if (e.type === 'error' || e.type === 'timeout') return drop();
      }
    });
    // A peer that half-closes before its handshake will never complete one: close our side too.
    stream.onEnd(drop);
    stream.onClose(drop);
  }

  /** Closes every pending connection and refuses new ones (the session is closing). */
  close(): void {
    this.closed = true;
    for (const drop of [...this.drops]) drop();
  }
}

/**
 * Routes one incoming connection without limits (tests, simulations without a session):
 * the handshake deadline and the half-close rule still apply.
 */
export function routeIncoming(runtime: Runtime, peerId: Uint8Array, stream: ByteStream, find: (infoHash: Uint8Array) => Swarm | undefined, extensions?: ReadonlyMap<string, number>): void {
  new IncomingGate({ runtime, peerId, find, extensions, options: { maxPendingHandshakes: Infinity, maxPendingPerIp: Infinity } }).offer(stream);
}
