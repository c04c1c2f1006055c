/**
 * The swarm's outgoing connections: how many may be dialled now (per torrent, session-wide,
 * half-open budgets), dialling the due addresses through the encryption-aware dialer, and
 * handing each connected stream, with its `PeerConnection`, back to the swarm.
 */
import type { Address, Runtime } from '../runtime/types.js';
import { concatBytes } from '../util/bytes.js';
import type { PeerConnection, PeerEvent } from '../wire/index.js';
import type { PeerDialer } from './peer-dialer.js';
import { PeerPool } from './peer-pool.js';
import { PeerSession } from './peer-session.js';
import { DEFAULT_MAX_PEERS_PER_IP, dialFilter, PerIpCounts } from './peer-turnover.js';
import type { SwarmOptions } from './types.js';

/** What dialling needs of the swarm. */
export interface DialContext {
  readonly runtime: Runtime;
  readonly pool: PeerPool;
  readonly dialer: PeerDialer;
  readonly peers: ReadonlyMap<string, PeerSession>;
  /** Those peers counted per source (the swarm keeps it as they come and go). */
  readonly connectedPerIp: PerIpCounts;
  readonly options: Pick<SwarmOptions, 'maxPeers' | 'maxPeersPerIp' | 'maxHalfOpen' | 'globalConnections' | 'globalHalfOpen' | 'listenAddress'>;
  /** The 20-byte hash our handshake names. */
  handshakeHash(): Uint8Array;
  /** We have every piece: known seeds are not dialled. */
  isSeed(): boolean;
  stopped(): boolean;
  /** A fresh outgoing `PeerConnection` (its handshake deadline runs from its creation). */
  newConnection(): PeerConnection;
  /** A connected peer for the swarm to keep, with the events its first bytes produced. */
  adopt(peer: PeerSession, pending: PeerEvent[]): void;
  /** A dial failed (hole punching may try through a relay). */
  dialFailed?(address: Address): void;
}

export class OutgoingDials {
  /** Dials in flight for this torrent. */
  private halfOpen = 0;
  /** Of those, per IP (IPv6: /64): with the connected peers, held under `maxPeersPerIp`. */
  private readonly inFlight = new PerIpCounts(Infinity);

  constructor(private readonly ctx: DialContext) {}

  private get maxPerIp(): number {
    return this.ctx.options.maxPeersPerIp ?? DEFAULT_MAX_PEERS_PER_IP;
  }

  /** Dials as many due addresses as every budget allows. */
  dial(): void {
    const ctx = this.ctx;
    const o = ctx.options;
    const global = o.globalConnections;
    const globalRoom = global ? global.max - global.count() : Infinity;
    const dialing = o.globalHalfOpen;
    const dialRoom = dialing ? dialing.max - dialing.count : Infinity;
    const room = Math.min((o.maxPeers ?? 50) - ctx.peers.size - this.halfOpen, (o.maxHalfOpen ?? 8) - this.halfOpen, globalRoom, dialRoom);
    if (room <= 0) return;
    // Bound to our listen IP when we have one, so the peer sees an address that answers.
    const localHost = o.listenAddress && !isWildcard(o.listenAddress.host) ? o.listenAddress.host : undefined;
    // A tracker, PEX or DHT reply may list one IP with hundreds of ports: dial it as many
    // times as we would accept it, no more.
    const allow = dialFilter(ctx.connectedPerIp, this.inFlight, this.maxPerIp);
    for (const address of ctx.pool.due(ctx.runtime.clock.now(), room, (a) => ctx.peers.has(PeerPool.key(a)), ctx.isSeed(), allow)) this.dialOne(address, localHost);
  }

  /** BEP 55: dials `address` with `dialer` (uTP only) outside the pool; resolves whether it connected. */
  punch(address: Address, dialer: PeerDialer): Promise<boolean> {
    const o = this.ctx.options;
    const localHost = o.listenAddress && !isWildcard(o.listenAddress.host) ? o.listenAddress.host : undefined;
    return new Promise((resolve) => this.dialOne(address, localHost, dialer, resolve));
  }

  private dialOne(address: Address, localHost: string | undefined, dialer = this.ctx.dialer, done?: (ok: boolean) => void): void {
    const ctx = this.ctx;
    const dialing = ctx.options.globalHalfOpen;
    this.halfOpen++;
    this.inFlight.take(address.host);
    if (dialing) dialing.count++;
    const settle = (): void => {
      this.halfOpen--;
      this.inFlight.release(address.host);
      if (dialing) dialing.count--;
    };
    // Made once connected (its handshake deadline runs from then); our handshake goes out
    // inside MSE's step 3 or first on a plaintext connection.
    let conn: PeerConnection | undefined;
    const handshake = (): Uint8Array => {
      conn?.close();
      conn = ctx.newConnection();
      return concatBytes(conn.takeOutgoing());
    };
    dialer.dial(address, ctx.handshakeHash(), handshake, { localHost }).then(
      ({ stream, payload }) => {
        settle();
        done?.(true);
        const c = conn as PeerConnection; // made by handshake(), which the dialer calls before resolving
        if (ctx.stopped() || ctx.peers.has(PeerPool.key(address))) {
          c.close();
          return stream.destroy();
        }
        // An incoming peer from the same IP may have taken the room while we dialled.
        if (ctx.connectedPerIp.get(address.host) >= this.maxPerIp) {
          c.close();
          stream.destroy();
          return ctx.pool.markConnected(address, false);
        }
        const pending = payload.length > 0 ? c.receive(payload, ctx.runtime.clock.now()) : [];
        ctx.adopt(new PeerSession(ctx.runtime, stream, c, address, false), pending);
      },
      () => {
        settle();
        ctx.pool.markFailed(address, ctx.runtime.clock.now());
        if (done) done(false);
        else ctx.dialFailed?.(address);
      },
    );
  }
}

/** A listen host that stands for every local address. */
export function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::';
}
