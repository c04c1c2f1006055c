/** The shapes a swarm is configured with and reports: options, events, statistics. */
import type { Torrent } from '../metainfo/torrent.js';
import type { Address, Runtime } from '../runtime/types.js';
import type { PieceStorage } from '../storage/types.js';
import type { Bitfield } from '../util/bitfield.js';
import type { PeerDialer } from './peer-dialer.js';
import type { BanList } from './ban-list.js';
import type { RateLimiter } from './rate-limit.js';
import type { ChokerOptions } from './choker.js';
import type { PiecePickerOptions } from './piece-picker.js';
import type { WebSeedEvent, WebSeedOptions } from './webseeds.js';
import type { HolepunchEvent } from '../nat/holepunch.js';
import type { SwarmHolepunchOptions } from './holepunch.js';
import type { MetadataParser } from './metadata-exchange.js';

export interface OpenedStorage {
  readonly storage: PieceStorage;
  readonly have: Bitfield;
  /** Records verified pieces durably (resume data); optional. */
  readonly recorder?: { maybeSave(now: number): Promise<unknown>; close(): Promise<unknown> };
}

export interface SwarmOptions {
  readonly runtime: Runtime;
  readonly peerId: Uint8Array;
  /** Our TCP listen port, announced in the extension handshake. */
  readonly listenPort?: number;
  /**
   * Our listen address: never dialled, and (unless a wildcard) the local IP our outgoing
   * connections are bound to, so peers and trackers see an address that answers.
   */
  readonly listenAddress?: Address;
  /** The torrent, or (for a magnet) its info hashes until the metadata arrives. */
  readonly torrent?: Torrent;
  readonly infoHashV1?: Uint8Array;
  readonly infoHashV2?: Uint8Array;
  /** Opens storage once the torrent is known (at once, or after the metadata of a magnet). */
  readonly openStorage: (torrent: Torrent) => Promise<OpenedStorage>;
  /** Most connected peers (default 50). */
  readonly maxPeers?: number;
  /** Most connected peers from one address, IPv6 counted per /64 (default 4; peer-turnover.ts). */
  readonly maxPeersPerIp?: number;
  /** At `maxPeers`, a newcomer replaces a peer that exchanged no block either way for this long (default 10 s; peer-turnover.ts). */
  readonly turnoverGraceMs?: number;
  /** Peer exchange (BEP 11): send and take ut_pex messages (default true; read live, so a getter can switch it). Private torrents never do. */
  readonly pex?: boolean;
  /** A peer's ut_pex message sooner than this after the last one taken from it is ignored (default 45 s; BEP 11 says once a minute; pex-rate.ts). */
  readonly minPexIntervalMs?: number;
  /** Time from connecting to a complete handshake on our outgoing connections (default 10 s). */
  readonly handshakeTimeoutMs?: number;
  /** Most connection attempts in flight (default 8). */
  readonly maxHalfOpen?: number;
  /** A limit shared by every torrent of a session: connections in total. */
  readonly globalConnections?: { readonly max: number; count(): number };
  /** Connection attempts in flight across a session's torrents: a shared counter the swarm updates. */
  readonly globalHalfOpen?: { readonly max: number; count: number };
  /** IPs refused; a session shares one list among its swarms (default: the swarm's own). */
  readonly bans?: BanList;
  /**
   * Bytes of blocks on their way to one peer we hold at most: disk reads in flight plus the
   * stream's unsent queue (default 1 MiB). Requests wait while a peer is at it.
   */
  readonly maxQueuedUploadBytes?: number;
  /**
   * Bytes queued towards one peer (blocks, and the answers its messages draw: rejects, hash
   * rejects) past which a message from it closes the connection (default 4 MiB): a peer that
   * sends and never reads otherwise had us hold an answer for each of its messages (unread-peer.ts).
   */
  readonly maxUnsentBytes?: number;
  /**
   * Bytes of blocks requested and not yet received, all peers together (default 32 MiB): each
   * peer's queue follows its rate, but 200 fast seeders must not get 200 queues' worth. While
   * it binds, each peer holds at most an equal share.
   */
  readonly maxRequestedBytes?: number;
  /** Strikes (shares in failed pieces) that get a peer banned (default 3; sole sender of a bad piece: at once). */
  readonly maxStrikes?: number;
  /** Regular unchoke slots, or 'auto' to size them from upload rates (default 8; see choker.ts). */
  readonly unchokeSlots?: number | 'auto';
  /** How often to re-run the choker (default 10 s). */
  readonly rechokeIntervalMs?: number;
  readonly clientName?: string;
  /** Byte-rate limits this torrent obeys, e.g. [session-wide, this torrent's own]; the tightest wins. */
  readonly rateLimiters?: { readonly download: readonly RateLimiter[]; readonly upload: readonly RateLimiter[] };
  readonly onEvent?: (event: SwarmEvent) => void;
  /**
   * Opens outgoing connections under an encryption policy and remembers per peer what worked
   * (the session shares one among its torrents). Default: plaintext connections.
   */
  readonly dialer?: PeerDialer;
  /**
   * A peer whose requests timed out and that has not sent one block since it connected this
   * long ago is dropped (default 60 s, two request timeouts; Infinity: never). Sybils that
   * announce pieces and never send them otherwise hold connection slots for good.
   */
  readonly silentPeerTimeoutMs?: number;
  /** Choker tuning beyond the slot count (simulations compare policies; see choker.ts). */
  readonly choker?: Omit<ChokerOptions, 'regularSlots'>;
  /** Piece picker tuning (simulations compare rarest first with random picking). */
  readonly picker?: PiecePickerOptions;
  /** Web seed URLs beyond the torrent's `url-list` (a magnet's `ws=`; BEP 19). */
  readonly webSeedUrls?: readonly string[];
  /** Web seed limits (docs/webseeds.md), or false for no web seeds at all. */
  readonly webSeedOptions?: WebSeedOptions | false;
  /** Parses a magnet's info dict once fetched (default: inline; the daemon's parses a large one on a worker thread). */
  readonly parseMetadata?: MetadataParser;
  /**
   * BEP 55 hole punching (docs/nat.md): limits and the session's NAT verdict; `false` turns
   * ut_holepunch off. Punches need `punchDialer`.
   */
  readonly holepunch?: SwarmHolepunchOptions | false;
  /** Dials over uTP only, from the listen port (hole punches); none: we relay but never punch. */
  readonly punchDialer?: PeerDialer;
  /** A peer's BEP 10 `yourip` says it sees us at `host` (the session's external-address vote). */
  readonly onAddressReport?: (reporter: string, host: string) => void;
}

export type SwarmEvent =
  | { readonly type: 'metadata'; readonly torrent: Torrent }
  | { readonly type: 'ready'; readonly have: number; readonly total: number }
  | { readonly type: 'piece-verified'; readonly piece: number }
  | { readonly type: 'piece-failed'; readonly piece: number; readonly peers: readonly string[] }
  | { readonly type: 'peer-banned'; readonly address: string; readonly reason: string }
  | { readonly type: 'peer-connected'; readonly address: string; readonly transport: 'tcp' | 'utp' }
  | { readonly type: 'peer-disconnected'; readonly address: string; readonly reason: string }
  | { readonly type: 'complete' }
  | WebSeedEvent
  /** BEP 55: a rendezvous sent, relayed or refused, a punch started, failed or through. */
  | { readonly type: 'holepunch'; readonly event: HolepunchEvent }
  | { readonly type: 'error'; readonly error: Error };

export interface SwarmStats {
  readonly peers: number;
  readonly downloadRate: number;
  readonly uploadRate: number;
  readonly downloaded: number;
  readonly uploaded: number;
  /** Payload bytes received that we had already (duplicates: late answers, end game); not in `downloaded`. */
  readonly wasted: number;
  readonly have: number;
  readonly total: number;
  readonly bytesHave: number;
  readonly bytesTotal: number;
  readonly banned: number;
  readonly complete: boolean;
}
