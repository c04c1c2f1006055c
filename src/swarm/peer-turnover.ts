/**
 * Who may take a connection slot when a torrent is full.
 *
 * Without this a peer that handshakes, says `interested` and then only keeps alive holds its
 * slot for ever: it is never silent (keep-alives), never lets a request time out (it makes
 * none) and breaks no rule, so `maxPeers` such connections locked every newcomer out. Two rules,
 * as libtorrent has them:
 * - at most `maxPeersPerIp` connections per address (libtorrent allows one unless
 *   `allow_multiple_connections_per_ip`; we allow a few, for peers behind one NAT and for
 *   several clients on one machine). IPv6 addresses count per /64, the block one host gets;
 * - at `maxPeers`, a newcomer replaces the peer that has gone longest without a block in either
 *   direction, if that peer has had `turnoverGraceMs` to exchange one (libtorrent's peer
 *   turnover, done when someone is waiting rather than on a timer). A peer that moves data is
 *   never replaced, and a newcomer is safe from the next newcomer for the grace period.
 */
import { sourceKey } from '../util/source-key.js';

/** Default connections per address per torrent. */
export const DEFAULT_MAX_PEERS_PER_IP = 4;
/** Default time a connected peer has to exchange a block before a newcomer may replace it. */
export const DEFAULT_TURNOVER_GRACE_MS = 10_000;
/**
 * Default addresses per IP (IPv6: per /64) a torrent's peer pool keeps: twice the connections
 * we make to one, so a few stale ports do not hide a live one. libtorrent keeps one entry per
 * IP unless `allow_multiple_connections_per_ip`.
 */
export const DEFAULT_MAX_ADDRESSES_PER_IP = 8;

/** What the rules read of a connected peer. */
export interface TurnoverPeer {
  readonly address: { readonly host: string };
  readonly connectedAt: number;
  /** When its last wanted block arrived, if ever. */
  readonly lastBlockAt: number | undefined;
  /** When we last sent it a block, if ever. */
  readonly lastBlockSentAt: number | undefined;
  readonly closed: boolean;
  /** `peerIpKey(address.host)`, when the peer keeps it (a PeerSession does: counted per newcomer and per dial). */
  readonly ipKey?: string;
}

/** The key connections are counted under: the IPv4 address or the IPv6 /64. */
export function peerIpKey(host: string): string {
  return sourceKey(host);
}

/**
 * The peer a newcomer may replace at `now`: of those connected at least `graceMs` with no block
 * either way in the last `graceMs`, the one idle longest; undefined when every peer is busy or new.
 */
export function idlestReplaceable<P extends TurnoverPeer>(peers: Iterable<P>, now: number, graceMs: number): P | undefined {
  let victim: P | undefined;
  let victimSince = Infinity;
  for (const p of peers) {
    if (p.closed || now - p.connectedAt < graceMs) continue;
    const since = Math.max(p.connectedAt, p.lastBlockAt ?? -Infinity, p.lastBlockSentAt ?? -Infinity);
    if (now - since < graceMs) continue;
    if (since < victimSince) {
      victim = p;
      victimSince = since;
    }
  }
  return victim;
}

/**
 * Counts per source key (IPv4 address, IPv6 /64) against a cap: the peer pool's addresses per
 * IP. Without it a tracker, PEX or DHT reply listing one IP with 500 ports filled the pool
 * with that IP and had us dial every port of it (a reflection attack on a third party).
 */
export class PerIpCounts {
  private readonly counts = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Counts one more for `host`'s source; false (nothing counted) when it holds `max` already, unless `force`. */
  take(host: string, force = false): boolean {
    return this.takeKey(peerIpKey(host), force);
  }

  /** `take` for a source key already computed (`peerIpKey`). */
  takeKey(k: string, force = false): boolean {
    const n = this.counts.get(k) ?? 0;
    if (n >= this.max && !force) return false;
    this.counts.set(k, n + 1);
    return true;
  }

  /** Gives back one counted by `take`. */
  release(host: string): void {
    this.releaseKey(peerIpKey(host));
  }

  releaseKey(k: string): void {
    const n = (this.counts.get(k) ?? 1) - 1;
    if (n <= 0) this.counts.delete(k);
    else this.counts.set(k, n);
  }

  get(host: string): number {
    return this.getKey(peerIpKey(host));
  }

  getKey(k: string): number {
    return this.counts.get(k) ?? 0;
  }
}

/**
 * Which due addresses we may dial now: per source, connected peers plus dials in flight stay
 * under `maxPeersPerIp` (the rule incoming peers meet at the handshake, applied to our own
 * dials). Each address the returned filter lets through is counted, so one call of
 * `PeerPool.due` never picks more than the room left for one IP.
 */
export function dialFilter(connected: PerIpCounts, inFlight: PerIpCounts, maxPeersPerIp: number): (address: { readonly host: string }) => boolean {
  // Picked by this call, per source (the connected counts are the swarm's, kept as peers come and go).
  const picked = new Map<string, number>();
  return (address) => {
    const k = peerIpKey(address.host);
    const mine = picked.get(k) ?? 0;
    const n = connected.getKey(k) + mine + inFlight.getKey(k);
    if (n >= maxPeersPerIp) return false;
    picked.set(k, mine + 1);
    return true;
  };
}

/** What `admitNewcomer` reads of the swarm's options (SwarmOptions). */
export interface AdmissionOptions {
  readonly maxPeers?: number;
  readonly maxPeersPerIp?: number;
  readonly turnoverGraceMs?: number;
}

/** The close reason of a peer a newcomer replaced at `maxPeers` (reports count it). */
export const TURNOVER_REASON = 'replaced by a newcomer: no block either way';

/**
 * Whether a newcomer from `host` may join `peers` at `now`: refused past `maxPeersPerIp`
 * (`perIp`: the connected peers counted per source, kept by the swarm); at `maxPeers`, the
 * idlest replaceable peer is closed to make room, or the newcomer is refused.
 */
export function admitNewcomer(peers: ReadonlyMap<string, TurnoverPeer & { close(reason: string): void }>, perIp: PerIpCounts, host: string, o: AdmissionOptions, now: number): boolean {
  if (perIp.get(host) >= (o.maxPeersPerIp ?? DEFAULT_MAX_PEERS_PER_IP)) return false;
  const maxPeers = o.maxPeers ?? 50;
  if (peers.size < maxPeers) return true;
  const victim = idlestReplaceable(peers.values(), now, o.turnoverGraceMs ?? DEFAULT_TURNOVER_GRACE_MS);
  victim?.close(TURNOVER_REASON);
  return peers.size < maxPeers;
}
