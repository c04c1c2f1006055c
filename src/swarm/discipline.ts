/**
 * What a swarm does about a peer that misbehaves or is not who it seems: corrupt data bans
 * the IP, a protocol violation closes the connection (repeat offenders are refused for a
 * while, see `ban-list.ts`), and a second connection to a peer id we already have is closed.
 */
import type { Runtime } from '../runtime/types.js';
import { banKey, type BanList } from './ban-list.js';
import { keepOfDuplicates, samePeerId } from './peer-identity.js';
import type { PeerPool } from './peer-pool.js';
import type { PeerSession } from './peer-session.js';
import type { SwarmEvent } from './types.js';

/** What these rules need of the swarm. */
export interface DisciplineContext {
  readonly runtime: Runtime;
  readonly bans: BanList;
  readonly pool: PeerPool;
  readonly peers: ReadonlyMap<string, PeerSession>;
  /** Open peers by peer id (`peerIdKey`): kept here, dropped by the swarm when one closes. */
  readonly byPeerId: Map<string, PeerSession>;
  readonly ourPeerId: Uint8Array;
  emit(event: SwarmEvent): void;
}

/** A peer id as a map key (one char per byte). */
export function peerIdKey(id: Uint8Array): string {
  return String.fromCharCode.apply(null, id as unknown as number[]);
}

/** Corrupt data: bans the peer's IP (session-wide when the list is shared) and closes its connections. */
export function banPeer(ctx: DisciplineContext, peer: PeerSession, reason: string): void {
  ctx.bans.ban(peer.address.host, reason, ctx.runtime.clock.now());
  refuseHost(ctx, peer, reason);
}

/** How the close reason of a protocol violation starts (`<VIOLATION_CLOSE>: <what>`): the pool counts it as a drop (peer-departure.ts). */
export const VIOLATION_CLOSE = 'protocol violation';

/**
 * A protocol violation closes that connection only; an IP that keeps violating is refused
 * for a while (`BanListOptions.maxViolations`), so a violate-and-reconnect loop stops.
 */
export function peerViolation(ctx: DisciplineContext, peer: PeerSession, reason: string): void {
  const now = ctx.runtime.clock.now();
  if (ctx.bans.recordViolation(peer.address.host, reason, now)) refuseHost(ctx, peer, ctx.bans.reason(peer.address.host, now) ?? reason);
  else peer.close(`${VIOLATION_CLOSE}: ${reason}`);
}

function refuseHost(ctx: DisciplineContext, peer: PeerSession, reason: string): void {
  ctx.emit({ type: 'peer-banned', address: peer.key, reason });
  ctx.pool.forgetHost(peer.address.host);
  const ip = banKey(peer.address.host);
  for (const p of [...ctx.peers.values()]) if (p !== peer && banKey(p.address.host) === ip) p.close(`banned: ${reason}`);
  peer.close(`banned: ${reason}`);
}

/**
 * A second connection to a peer id we are connected to already: one of the two is closed,
 * the same one the peer closes (`keepOfDuplicates`). False when `peer` itself was closed.
 */
export function keepIfNotDuplicate(ctx: DisciplineContext, peer: PeerSession, peerId: Uint8Array): boolean {
  // An index, not a scan of every peer per handshake: each open peer passed through here, so
  // at most one open peer has a given id.
  const key = peerIdKey(peerId);
  const other = ctx.byPeerId.get(key);
  if (other === undefined || other === peer || other.conn.state !== 'open' || !samePeerId(other.conn.remotePeerId ?? EMPTY, peerId)) {
    ctx.byPeerId.set(key, peer);
    return true;
  }
  const keep = keepOfDuplicates(ctx.ourPeerId, peerId, other, peer);
  const drop = keep === peer ? other : peer;
  drop.close('duplicate connection to the same peer id');
  if (!drop.incoming && keep.incoming) {
    // The address we dialled is the kept connection's peer: not to be dialled while it lasts.
    keep.listenAddress ??= drop.address;
    ctx.pool.markConnected(drop.address, true);
    ctx.pool.markWorked(drop.address); // its handshake came: a duplicate, not a failure
  }
  if (keep === peer) ctx.byPeerId.set(key, peer);
  return keep === peer;
}

const EMPTY = new Uint8Array(0);
