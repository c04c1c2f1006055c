/**
 * What upper layers (the daemon, the CLI, the simulator's reports) read of a swarm: plain
 * readonly copies, made on request, so a component's fields stay its own (EXAMPLES practice
 * 16, libtorrent's `torrent_handle::status()` / `get_peer_info()`).
 */
import type { StorageStats } from '../storage/types.js';
import { encryptionOf } from '../transport/mse/index.js';
import type { Bitfield } from '../util/bitfield.js';
import type { PeerSession } from './peer-session.js';
import { swarmStats, type StatsSource } from './stats.js';
import type { SwarmStats } from './types.js';

export interface SwarmStatus extends SwarmStats {
  /** The torrent is known and its storage open (a magnet's metadata arrived). */
  readonly ready: boolean;
  /** Received bytes waiting to be written to storage. */
  readonly writeBacklog: number;
  /** The storage backend's counters (undefined until it is open). */
  readonly storage: StorageStats | undefined;
}

export interface PeerSnapshot {
  /** `host:port` as connected. */
  readonly address: string;
  readonly incoming: boolean;
  /** MSE (BEP 8 era Message Stream Encryption): `rc4`, `plaintext` after an MSE handshake, or none. */
  readonly encryption: 'rc4' | 'plaintext' | undefined;
  /** What the connection runs over (docs/utp.md). */
  readonly transport: 'tcp' | 'utp';
  readonly amInterested: boolean;
  readonly amChoking: boolean;
  readonly peerInterested: boolean;
  readonly peerChoking: boolean;
  readonly isSeed: boolean;
  /** Pieces the peer says it has (its bitfield and haves). */
  readonly piecesHave: number;
  readonly downloadRate: number;
  readonly uploadRate: number;
  /** The `v` of its extension handshake (BEP 10). */
  readonly clientVersion: string | undefined;
  /** A copy of its peer id. */
  readonly peerId: Uint8Array | undefined;
}

export interface SnapshotSource extends StatsSource {
  readonly writeBacklog: number;
  readonly storage: { stats(): StorageStats } | undefined;
}

export function swarmStatus(s: SnapshotSource, now: number): SwarmStatus {
  return { ...swarmStats(s, now), ready: s.picker !== undefined, writeBacklog: s.writeBacklog, storage: s.storage?.stats() };
}

/** A copy of the pieces had now (undefined before the torrent is known). */
export function haveCopy(s: Pick<StatsSource, 'picker'>): Bitfield | undefined {
  return s.picker?.have.clone();
}

export function peerSnapshot(p: PeerSession, now: number): PeerSnapshot {
  const c = p.conn;
  const id = c.remotePeerId;
  return {
    address: p.key,
    incoming: p.incoming,
    encryption: encryptionOf(p.stream),
    transport: p.overUtp ? 'utp' : 'tcp',
    amInterested: c.amInterested,
    amChoking: c.amChoking,
    peerInterested: c.peerInterested,
    peerChoking: c.peerChoking,
    isSeed: p.isSeed,
    piecesHave: c.peerPieces?.count ?? 0,
    downloadRate: p.download.rate(now),
    uploadRate: p.upload.rate(now),
    clientVersion: c.remoteExtendedHandshake?.v,
    peerId: id ? id.slice() : undefined,
  };
}

/** A peer as the simulator's uplink diagnostics read it (sim/scenarios/uplink-diagnostics.ts). */
export interface UplinkPeer {
  readonly host: string;
  /** Handshake done and not closing. */
  readonly open: boolean;
  readonly peerInterested: boolean;
  readonly amChoking: boolean;
  /** It asked for blocks we have not started sending (the send watermark or a disk read holds them). */
  readonly requestWaiting: boolean;
  readonly uploadRate: number;
}

export interface UplinkSnapshot {
  /** The choker's demand slots open now. */
  readonly demandSlots: number;
  readonly peers: readonly UplinkPeer[];
}

/** Every peer's uplink view and the choker's open demand slots, copied now. */
export function uplinkSnapshot(s: { readonly peers: ReadonlyMap<string, PeerSession>; readonly choker: { readonly openDemandSlots: number } }, now: number): UplinkSnapshot {
  const peers: UplinkPeer[] = [];
  for (const p of s.peers.values()) {
    const c = p.conn;
    peers.push({ host: p.address.host, open: c.state === 'open', peerInterested: c.peerInterested, amChoking: c.amChoking, requestWaiting: p.requestWaiting, uploadRate: p.upload.rate(now) });
  }
  return { demandSlots: s.choker.openDemandSlots, peers };
}
