/**
 * Metadata between peers: fetching the info dict of a magnet link (BEP 9), serving ours,
 * and answering BEP 52 hash requests from the piece layers we hold.
 */
import { ShoalError } from '../errors.js';
import { splitHashes } from '../metainfo/merkle.js';
import { parseTorrent, type Torrent } from '../metainfo/torrent.js';
import type { Runtime } from '../runtime/types.js';
import { buildHashes, MetadataFetcher, MetadataServer, type HashRequest, type MetadataMessage } from '../wire/index.js';
import type { PeerSession } from './peer-session.js';
import { BLOCK_LENGTH } from './piece-picker.js';

export interface MetadataExchangeEvents {
  ban(peer: PeerSession, reason: string): void;
  /** The magnet's info dict arrived and verified. */
  onTorrent(torrent: Torrent): void;
  onError(error: Error): void;
}

export class MetadataExchange {
  private fetcher: MetadataFetcher<PeerSession> | undefined;
  private readonly server = new MetadataServer<PeerSession>();

  constructor(
    private readonly runtime: Runtime,
    /** Info hashes to fetch the metadata for; undefined when the torrent is known. */
    wanted: { infoHashV1?: Uint8Array; infoHashV2?: Uint8Array } | undefined,
    private readonly events: MetadataExchangeEvents,
  ) {
    if (wanted) this.fetcher = new MetadataFetcher(wanted);
  }

  setInfo(info: Uint8Array): void {
    this.server.setInfo(info);
  }

  addPeer(peer: PeerSession, metadataSize: number): void {
    if (!this.fetcher) return;
    this.fetcher.addPeer(peer, metadataSize);
    this.request();
  }

  forget(peer: PeerSession): void {
    this.fetcher?.removePeer(peer);
    this.server.forget(peer);
  }

  onMessage(peer: PeerSession, m: MetadataMessage): void {
    if (m.type === 'request') {
      peer.conn.sendMetadata(this.server.respond(peer, m.piece));
      return peer.flush();
    }
    if (!this.fetcher) return;
    const now = this.runtime.clock.now();
    if (m.type === 'reject') this.fetcher.onReject(peer, m.piece, now);
    if (m.type === 'data') {
      for (const ev of this.fetcher.onData(peer, m.piece, m.totalSize, m.data)) {
        if (ev.type === 'bad_peer') this.events.ban(ev.peer, ev.error.message);
        if (ev.type === 'complete') return this.complete(ev.info);
      }
    }
    this.request();
  }

  /** Sends whatever metadata requests are due. */
  request(): void {
    if (!this.fetcher) return;
    for (const r of this.fetcher.requests(this.runtime.clock.now())) {
      r.peer.conn.sendMetadata({ type: 'request', piece: r.piece });
      r.peer.flush();
    }
  }

  private complete(info: Uint8Array): void {
    this.fetcher = undefined;
    let torrent: Torrent;
    try {
      // Wrap the verified info dict as a .torrent so it parses (and can be saved) like any other.
      torrent = parseTorrent(wrapInfo(info), { requirePieceLayers: false });
      if (torrent.missingPieceLayers && !torrent.pieces) {
        throw new ShoalError('this v2-only torrent needs piece layers from peers (BEP 52 hash requests), which Shoal does not fetch yet; use the .torrent file');
      }
    } catch (e) {
      return this.events.onError(e as Error);
    }
    this.events.onTorrent(torrent);
  }
}

/** `d4:info<info>e`: a minimal .torrent around a verified info dict. */
export function wrapInfo(info: Uint8Array): Uint8Array {
  const head = new TextEncoder().encode('d4:info');
  const out = new Uint8Array(head.length + info.length + 1);
  out.set(head, 0);
  out.set(info, head.length);
  out[out.length - 1] = 0x65; // 'e'
  return out;
}

/** BEP 52: answers a hash request from the piece layers we hold (other layers are rejected). */
export function serveHashes(t: Torrent | undefined, peer: PeerSession, r: HashRequest): void {
  const layer = t?.pieceLayers.get(Buffer.from(r.piecesRoot).toString('latin1'));
  const file = t?.layout.files.find((f) => f.piecesRoot && Buffer.compare(f.piecesRoot, r.piecesRoot) === 0);
  const pieceLayer = t ? Math.log2(t.pieceLength / BLOCK_LENGTH) : -1;
  const hashes = layer && file && r.baseLayer === pieceLayer ? buildHashes(splitHashes(layer), r, Math.ceil(file.length / BLOCK_LENGTH)) : undefined;
  if (hashes) peer.conn.sendHashes(r, hashes);
  else peer.conn.rejectHashes(r);
  peer.flush();
}
