/**
 * The client: one listen socket and one peer id for many torrents. Routes incoming
 * connections to the torrent their handshake names, and opens each torrent's storage with
 * resume data kept under the state directory.
 */
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import type { Magnet } from '../metainfo/magnet.js';
import type { Torrent } from '../metainfo/torrent.js';
import type { Address, ByteStream, Runtime, StreamListener } from '../runtime/types.js';
import { FdCache } from '../storage/fd-cache.js';
import { openTorrentStorage } from '../storage/open.js';
import { Swarm, type SwarmEvent } from '../swarm/swarm.js';
import { PeerConnection, generatePeerId } from '../wire/index.js';

export interface SessionOptions {
  readonly runtime: Runtime;
  /** Where resume data lives. */
  readonly stateDir: string;
  /** Address to accept peers on; none: outgoing connections only. */
  readonly listen?: Address;
  /** Memory for each torrent's block cache (default 32 MiB). */
  readonly cacheBytesPerTorrent?: number;
  /** Open files across all torrents (default 256). */
  readonly maxOpenFiles?: number;
  /** Peer connections across all torrents (default 500). */
  readonly maxConnections?: number;
}

export interface AddTorrentOptions {
  readonly torrent?: Torrent;
  readonly magnet?: Magnet;
  /** The directory the torrent's files go under. */
  readonly downloadDir: string;
  /** Use this name for the top-level file or directory instead of the torrent's (seeding data saved under another name). */
  readonly saveName?: string;
  readonly onEvent?: (event: SwarmEvent) => void;
}

export class Session {
  readonly peerId: Uint8Array;
  private readonly swarms = new Set<Swarm>();
  private readonly fdCache: FdCache;
  private listener: StreamListener | undefined;

  private constructor(readonly options: SessionOptions) {
    this.peerId = generatePeerId(options.runtime.random);
    this.fdCache = new FdCache({ maxOpenFiles: options.maxOpenFiles ?? 256 });
  }

  static async create(options: SessionOptions): Promise<Session> {
    const s = new Session(options);
    if (options.listen) s.listener = await options.runtime.stream.listen(options.listen, (stream) => s.onIncoming(stream));
    return s;
  }

  /** The address peers can reach us on (port filled in when 0 was asked for). */
  get listenAddress(): Address | undefined {
    return this.listener?.address;
  }

  async addTorrent(o: AddTorrentOptions): Promise<Swarm> {
    const downloadDir = resolve(o.downloadDir);
    const swarm = new Swarm({
      runtime: this.options.runtime,
      peerId: this.peerId,
      listenPort: this.listener?.address.port,
      torrent: o.torrent,
      infoHashV1: o.magnet?.infoHashV1,
      infoHashV2: o.magnet?.infoHashV2,
      onEvent: o.onEvent,
      globalConnections: { max: this.options.maxConnections ?? 500, count: () => this.connectionCount() },
      openStorage: async (torrent) => {
        const named = o.saveName && o.saveName !== torrent.name ? { ...torrent, name: o.saveName } : torrent;
        const opened = await openTorrentStorage(named, {
          downloadDir,
          resumePath: this.resumePath(torrent, downloadDir),
          fdCache: this.fdCache,
          cacheBytes: this.options.cacheBytesPerTorrent ?? 32 * 1024 * 1024,
        });
        return { storage: opened.storage, have: opened.restored.have, recorder: opened.recorder };
      },
    });
    this.swarms.add(swarm);
    for (const p of o.magnet?.peers ?? []) swarm.addPeer(p, 'magnet');
    await swarm.start();
    return swarm;
  }

  /** Peer connections across every torrent. */
  connectionCount(): number {
    let n = 0;
    for (const s of this.swarms) n += s.peers.size;
    return n;
  }

  /** One resume file per torrent and download directory. */
  resumePath(torrent: Torrent, downloadDir: string): string {
    const id = createHash('sha1').update(torrent.infoHashV1 ?? torrent.infoHashV2 ?? new Uint8Array()).update(downloadDir).digest('hex');
    return join(this.options.stateDir, 'resume', `${id}.resume`);
  }

  async removeTorrent(swarm: Swarm): Promise<void> {
    this.swarms.delete(swarm);
    await swarm.stop();
  }

  private onIncoming(stream: ByteStream): void {
    const rt = this.options.runtime;
    const conn = new PeerConnection({ role: 'incoming', peerId: this.peerId, now: rt.clock.now() });
    stream.onData((bytes) => {
      for (const e of conn.receive(bytes, rt.clock.now())) {
        if (e.type === 'info_hash') {
          const swarm = [...this.swarms].find((s) => s.handshakeHashes.some((h) => Buffer.compare(h, e.infoHash) === 0));
          if (!swarm || !swarm.acceptIncoming(stream, conn, e.infoHash)) stream.destroy();
          return;
        }
        if (e.type === 'error' || e.type === 'timeout') return stream.destroy();
      }
    });
    stream.onClose(() => conn.close());
  }

  async close(): Promise<void> {
    this.listener?.close();
    await Promise.allSettled([...this.swarms].map((s) => s.stop()));
    this.swarms.clear();
    this.fdCache.closeAll();
  }
}
