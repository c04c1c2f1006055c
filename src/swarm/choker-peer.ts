/** What the choker reads of one peer (choker.ts); the swarm builds it in choking.ts. */
export interface ChokerPeer<P> {
  readonly peer: P;
  readonly interested: boolean;
  /** Bytes/s the peer sends us (recent average). */
  readonly downloadRate: number;
  /** Bytes/s we send the peer (recent average). */
  readonly uploadRate: number;
  readonly connectedAt: number;
  /** When we last received a block from it while it unchoked us and we wanted data; undefined if never. */
  readonly lastBlockAt?: number;
  /** True while the peer unchokes us and we are interested in it. */
  readonly expectingData: boolean;
  /** When it was given its current unchoke slot (undefined while choked). */
  readonly unchokedSince?: number;
  /** Its IP (reputation). */
  readonly host?: string;
  /** It unchokes us (the tyrant's reciprocation test). */
  readonly unchokingUs?: boolean;
  /** We are interested in it. */
  readonly amInterested?: boolean;
  /** Bytes of the torrent it has (the tyrant's estimate of its download rate). */
  readonly haveBytes?: number;
  /** Payload bytes we sent it since it was last unchoked (seeding round robin). */
  readonly uploadedSinceUnchoke?: number;
  /** When it was last unchoked (undefined: never); while choked, the longest waiting go first. */
  readonly lastUnchokedAt?: number;
  /** The torrent's piece length (the seeding quota is in pieces). */
  readonly pieceLength?: number;
  /** Payload bytes it sent us on this connection. */
  readonly given?: number;
  /** Payload bytes we sent it on this connection while we downloaded and wanted its pieces (it could have paid us back). */
  readonly taken?: number;
}
