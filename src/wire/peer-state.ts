/**
 * The protocol state of one open connection, shared by `PeerConnection` (which changes it on
 * sends) and `PeerInbound` (which changes it on received messages). Plain data; no I/O.
 */
import { Availability } from './availability.js';
import type { ExtendedHandshake } from './extension.js';
import type { WireFeatures } from './handshake.js';
import type { HashRequest } from './hash-messages.js';
import type { PeerLimits, PieceGeometry } from './peer-types.js';
import { RequestBook } from './request-book.js';

export type ResolvedPeerLimits = Readonly<Required<Omit<PeerLimits, 'extendedHandshake' | 'pex'>> & Pick<PeerLimits, 'extendedHandshake' | 'pex'>>;

/** What an unused set reads as (never written: writes go through the methods that make the set). */
const NOTHING: ReadonlySet<never> = new Set<never>();

export const NO_FEATURES: WireFeatures = { extensionProtocol: false, fast: false, dht: false, v2Upgrade: false };

/** Identifies a hash request for correlation with its answer. */
export function hashKey(r: HashRequest): string {
  let root = '';
  for (let i = 0; i < r.piecesRoot.length; i++) root += String.fromCharCode(r.piecesRoot[i]);
  return `${root}:${r.baseLayer}:${r.index}:${r.length}:${r.proofLayers}`;
}

export class WireState {
  amChoking = true;
  amInterested = false;
  peerChoking = true;
  peerInterested = false;
  negotiated: WireFeatures = NO_FEATURES;
  geometry: PieceGeometry | undefined;
  readonly book: RequestBook;
  readonly availability: Availability;
  // The sets below are made when first written: most connections never use them, and a swarm
  // holds thousands of connections (an empty Set with its table is ~200 bytes).
  private granted: Set<number> | undefined;
  private allowed: Set<number> | undefined;
  private ourHashes: Set<string> | undefined;
  private theirHashes: Set<string> | undefined;
  /** Requests refused since we last unchoked (flood detection). */
  refusedRequests = 0;
  /** The peer's `reqq` from its extended handshake. */
  peerReqq: number | undefined;
  remoteExtended: ExtendedHandshake | undefined;
  /** The latest time the connection was told (receive, poll, accept). */
  now = 0;
  /** When we last queued something (keep-alive timing). */
  lastSentAt = 0;

  constructor(readonly limits: ResolvedPeerLimits) {
    this.book = new RequestBook(limits.maxOutstandingRequests);
    this.availability = new Availability(limits.maxPendingHaves);
  }

  /** Pieces we let the peer request while choked (we sent allowed_fast). */
  get grantedFast(): ReadonlySet<number> {
    return this.granted ?? NOTHING;
  }
  grantFast(index: number): void {
    (this.granted ??= new Set()).add(index);
  }
  /** Pieces the peer lets us request while choked. */
  get peerFast(): ReadonlySet<number> {
    return this.allowed ?? NOTHING;
  }
  allowFast(index: number): void {
    (this.allowed ??= new Set()).add(index);
  }
  /** Our hash requests (BEP 52) not answered yet. */
  get ourHashRequests(): Set<string> {
    return (this.ourHashes ??= new Set());
  }
  /** The peer's hash requests we accepted and have not answered. */
  get theirHashRequests(): Set<string> {
    return (this.theirHashes ??= new Set());
  }

  /** Bytes of piece `index`, 0 when out of range or unknown. */
  pieceLength(index: number): number {
    const g = this.geometry;
    if (!g || index >= g.pieceCount) return 0;
    return index === g.pieceCount - 1 ? g.lastPieceLength : g.pieceLength;
  }
}
