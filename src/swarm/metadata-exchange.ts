/**
 * Metadata between peers: fetching the info dict of a magnet link (BEP 9), serving ours,
 * and answering BEP 52 hash requests from the piece layers we hold.
 */
import { encode } from '../bencode/encode.js';
import { concatBytes, splitHashes } from '../metainfo/merkle.js';
import { parseTorrent, type ParseTorrentOptions, type Torrent } from '../metainfo/torrent.js';
import type { Runtime } from '../runtime/types.js';
import { buildHashes, MetadataFetcher, MetadataServer, type HashRequest, type HashesPayload, type MetadataMessage } from '../wire/index.js';
import { LayerFetcher } from './layer-fetcher.js';
import type { PeerSession } from './peer-session.js';
import { BLOCK_LENGTH } from './piece-picker.js';

/**
 * Parses the .torrent made of a magnet's verified info dict. By default `parseTorrent` on the
 * spot; the daemon passes one that parses a large one on a worker thread (an info dict of up to
 * 16 MiB, hundreds of thousands of files, holds the event loop for seconds).
 */
export type MetadataParser = (torrentBytes: Uint8Array, options: ParseTorrentOptions) => Promise<Torrent>;

export interface MetadataExchangeEvents {
  ban(peer: PeerSession, reason: string): void;
  /** Connected peers (piece layers are asked of them). */
  peers(): Iterable<PeerSession>;
  /** The magnet's info dict arrived and verified. */
  onTorrent(torrent: Torrent): void;
  onError(error: Error): void;
}

export class MetadataExchange {
  private fetcher: MetadataFetcher<PeerSession> | undefined;
  private layers: LayerFetcher<PeerSession> | undefined;
  private readonly server = new MetadataServer<PeerSession>();
  /** Set by `stop`: a parse still under way then comes to nothing. */
  private stopped = false;

  constructor(
    private readonly runtime: Runtime,
    /** Info hashes to fetch the metadata for; undefined when the torrent is known. */
    wanted: { infoHashV1?: Uint8Array; infoHashV2?: Uint8Array } | undefined,
    private readonly events: MetadataExchangeEvents,
    private readonly parse?: MetadataParser,
  ) {
    if (wanted) this.fetcher = new MetadataFetcher(wanted);
  }

  /** The swarm stopped: a metadata parse still running is dropped when it ends. */
  stop(): void {
    this.stopped = true;
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
    if (this.layers) {
      this.layers.release(peer, false);
      this.request();
    }
  }

  /** A BEP 52 `hashes` answer (to our piece-layer requests). */
  onHashes(peer: PeerSession, m: HashesPayload): void {
    if (!this.layers) return;
    if (!this.layers.onHashes(peer, m)) return this.events.ban(peer, 'sent piece-layer hashes that do not match the pieces root');
    if (this.layers.done) return this.layersComplete(this.layers);
    this.request();
  }

  onHashReject(peer: PeerSession): void {
    this.layers?.release(peer, true);
    this.request();
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

  /** Sends whatever metadata (or piece-layer) requests are due. */
  request(): void {
    if (this.layers) {
      for (const peer of this.events.peers()) {
        if (peer.conn.state !== 'open') continue;
        for (const r of this.layers.requestsFor(peer)) peer.conn.requestHashes(r);
        peer.flush();
      }
      return;
    }
    if (!this.fetcher) return;
    for (const r of this.fetcher.requests(this.runtime.clock.now())) {
      r.peer.conn.sendMetadata({ type: 'request', piece: r.piece });
      r.peer.flush();
    }
  }

  private complete(info: Uint8Array): void {
    this.fetcher = undefined;
    // Wrap the verified info dict as a .torrent so it parses (and can be saved) like any other.
    this.parsed(wrapInfo(info), { requirePieceLayers: false }, (t) => this.withTorrent(t));
  }

  /**
   * Parses `bytes` and hands the torrent to `then`, or reports the error. Without a parser it
   * happens before `parsed` returns; with one, once the parse ends (unless the swarm stopped).
   */
  private parsed(bytes: Uint8Array, options: ParseTorrentOptions, then: (t: Torrent) => void): void {
    if (!this.parse) {
      let torrent: Torrent;
      try {
        torrent = parseTorrent(bytes, options);
      } catch (e) {
        return this.events.onError(e as Error);
      }
      return then(torrent);
    }
    this.parse(bytes, options).then(
      (t) => { if (!this.stopped) then(t); },
      (e: unknown) => { if (!this.stopped) this.events.onError(e as Error); },
    );
  }

  private withTorrent(torrent: Torrent): void {
    // A v2-only torrent cannot verify a piece without its layer: fetch the layers first.
    // (A hybrid verifies with its v1 hashes meanwhile.)
    if (torrent.missingPieceLayers && !torrent.pieces) {
      this.layers = new LayerFetcher(torrent);
      return this.request();
    }
    this.events.onTorrent(torrent);
  }

  private layersComplete(fetcher: LayerFetcher<PeerSession>): void {
    this.layers = undefined;
    this.parsed(wrapInfo(fetcher.torrent.infoBytes, fetcher.layers()), {}, (t) => this.events.onTorrent(t));
  }
}

/** `d4:info<info>12:piece layers<layers>e`: a minimal .torrent around a verified info dict. */
export function wrapInfo(info: Uint8Array, pieceLayers?: Map<string, Uint8Array>): Uint8Array {
  // Keys in order: 'info' < 'piece layers'. The info bytes are kept as they are (the info hash).
  const parts = [new TextEncoder().encode('d4:info'), info];
  if (pieceLayers && pieceLayers.size > 0) parts.push(new TextEncoder().encode('12:piece layers'), encode(pieceLayers));
  parts.push(Uint8Array.of(0x65)); // 'e'
  return concatBytes(parts);
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
