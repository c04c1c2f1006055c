/** Options, limits and events of `PeerConnection` (peer-connection.ts). */
import type { PeerProtocolError } from './errors.js';
import type { ExtendedHandshake, ExtendedHandshakeLimits } from './extension.js';
import type { WireFeatures } from './handshake.js';
import type { BlockRef, WireMessage } from './messages.js';
import type { Framing } from './outbox.js';
import type { MetadataMessage } from './ut-metadata.js';
import type { PexLimits, PexPayload } from './ut-pex.js';

/** The shape of the torrent's piece space, once known (a magnet link learns it from the metadata). */
export interface PieceGeometry {
  readonly pieceCount: number;
  /** Bytes of every piece but the last. */
  readonly pieceLength: number;
  /** Bytes of the last piece. */
  readonly lastPieceLength: number;
}

export interface PeerLimits {
  /** Largest length prefix of any message but `piece` (default 1 MiB; raised to fit the bitfield). */
  maxMessageLength?: number;
  /** Largest block the peer may request or send (default 16 KiB). */
  maxBlockLength?: number;
  /** Our requests outstanding to the peer (default 500; also capped by the peer's `reqq`). */
  maxOutstandingRequests?: number;
  /** The peer's requests to us held at once (default 250, like libtorrent's `reqq`); we announce it as `reqq`. */
  maxPeerRequests?: number;
  /**
   * Requests we may refuse (the peer's requests while we choke it, or over `maxPeerRequests`)
   * since we last unchoked it, before it is dropped as flooding (default 1000; BEP 6 warns
   * that requests already in flight when we choke keep arriving for a while).
   */
  maxRefusedRequests?: number;
  /** Our hash requests outstanding, and the peer's to us (default 64 each). */
  maxHashRequests?: number;
  /** Largest `length` of a hash request we serve (default 512, BEP 52's SHOULD). */
  maxHashRequestLength?: number;
  /** Pieces kept from the peer's allowed-fast messages (default 64; BEP 6's k is 10). */
  maxAllowedFast?: number;
  /** `have` messages kept while the piece count is unknown (default 65,536). */
  maxPendingHaves?: number;
  /** What a block we never requested (or already got) does: 'error' drops the peer (BEP 6 MUST), 'ignore' drops the block. Default 'error'. */
  unrequestedPiece?: 'error' | 'ignore';
  /** Silence from us after which a keep-alive goes out (default 60 s: libtorrent drops peers silent for 120 s). */
  keepAliveIntervalMs?: number;
  /** Silence from the peer after which the connection times out (default 180 s: BEP 3 peers keep-alive every 120 s). */
  idleTimeoutMs?: number;
  /** Time allowed to complete the handshake (default 20 s). */
  handshakeTimeoutMs?: number;
  extendedHandshake?: ExtendedHandshakeLimits;
  pex?: PexLimits;
}

export const PEER_LIMIT_DEFAULTS: Readonly<Required<Omit<PeerLimits, 'extendedHandshake' | 'pex'>>> = {
  maxMessageLength: 1024 * 1024,
  maxBlockLength: 16 * 1024,
  maxOutstandingRequests: 500,
  maxPeerRequests: 250,
  maxRefusedRequests: 1000,
  maxHashRequests: 64,
  maxHashRequestLength: 512,
  maxAllowedFast: 64,
  maxPendingHaves: 65_536,
  unrequestedPiece: 'error',
  keepAliveIntervalMs: 60_000,
  idleTimeoutMs: 180_000,
  handshakeTimeoutMs: 20_000,
};

export interface PeerConnectionOptions extends PeerLimits {
  /** 'outgoing': we connected and send our handshake at once. 'incoming': we answer theirs. */
  readonly role: 'outgoing' | 'incoming';
  /** Our 20-byte peer id. */
  readonly peerId: Uint8Array;
  /** The current time (the handshake timeout starts here). */
  readonly now: number;
  /**
   * The 20 bytes our handshake carries: the v1 info hash, or the v2 info hash truncated to 20
   * bytes (BEP 52). Required for 'outgoing'. For 'incoming', leave it out to see the peer's
   * info hash first (`info_hash` event) and answer with `accept()`.
   */
  readonly infoHash?: Uint8Array;
  /**
   * Info hashes we accept in the peer's handshake (default: `infoHash` only). A hybrid
   * torrent lists both the v1 and the truncated v2 hash: BEP 52 lets the answering side
   * upgrade to v2.
   */
  readonly acceptInfoHashes?: readonly Uint8Array[];
  /** The peer id the tracker announced; a different one severs the connection (BEP 3). */
  readonly expectedPeerId?: Uint8Array;
  /** Reserved bits we announce (default: extension protocol and fast on, DHT and v2 upgrade off). */
  readonly features?: Partial<WireFeatures>;
  /** The piece space; leave out until the metadata is known (then call `setGeometry`). */
  readonly geometry?: PieceGeometry;
  /** Extensions we support and the ids we want them under (default ut_pex = 1, ut_metadata = 2). */
  readonly extensions?: ReadonlyMap<string, number>;
  /** 'bytes' (default) or 'messages' for a transport that carries typed frames (the simulator). */
  readonly framing?: Framing;
}

export type ConnectionState = 'handshaking' | 'awaiting_accept' | 'open' | 'closed';

export type PeerEvent =
  /** Incoming connection, before we answer: look the torrent up, then `accept()` or `close()`. */
  | { readonly type: 'info_hash'; readonly infoHash: Uint8Array; readonly reserved: Uint8Array }
  /** The handshake is complete both ways; messages may be sent. */
  | {
      readonly type: 'handshake';
      readonly infoHash: Uint8Array;
      readonly peerId: Uint8Array;
      /** What the peer announced. */
      readonly remote: WireFeatures;
      /** What both sides announced: the features in use. */
      readonly negotiated: WireFeatures;
    }
  /** A message that passed validation; the connection's state already reflects it. */
  | { readonly type: 'message'; readonly message: WireMessage }
  /** The peer choked us without the fast extension: these requests will not be answered (BEP 3). */
  | { readonly type: 'requests_dropped'; readonly requests: readonly BlockRef[] }
  | { readonly type: 'extended_handshake'; readonly handshake: ExtendedHandshake }
  /** A ut_metadata message (BEP 9). */
  | { readonly type: 'metadata'; readonly message: MetadataMessage }
  /** A ut_pex message (BEP 11). */
  | { readonly type: 'pex'; readonly message: PexPayload }
  /** An extension message of another name we registered. */
  | { readonly type: 'extension'; readonly name: string; readonly payload: Uint8Array }
  /** The peer broke the protocol; the connection is closed. Drop (or ban) the peer. */
  | { readonly type: 'error'; readonly error: PeerProtocolError }
  /** The handshake took too long or the peer fell silent; the connection is closed. */
  | { readonly type: 'timeout'; readonly reason: 'handshake' | 'idle' };

export type PeerEventType = PeerEvent['type'];

/** Byte counts for rate estimation. Payload = block bytes of piece messages. */
export interface PeerCounters {
  bytesReceived: number;
  bytesSent: number;
  payloadReceived: number;
  payloadSent: number;
}
