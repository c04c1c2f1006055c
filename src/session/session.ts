/**
 * One listen socket and one peer id for many torrents. Decides on incoming connections (ban
 * list, pre-handshake and connection limits) and routes them to the torrent their handshake
 * names; opens each torrent's storage through the injected `StorageFactory` (files with
 * resume data by default). `client.ts` builds the whole client (trackers, DHT) on top.
 */
import { resolve } from 'node:path';
import type { Magnet } from '../metainfo/magnet.js';
import { PieceLayout } from '../metainfo/layout.js';
import type { Torrent } from '../metainfo/torrent.js';
import type { Address, ByteStream, Runtime, StreamListener, Streams } from '../runtime/types.js';
import type { RateLimiter } from '../swarm/rate-limit.js';
import { BanList, type BanListOptions } from '../swarm/ban-list.js';
import { ReputationStore, type ReputationOptions } from '../swarm/reputation.js';
import type { ChokerOptions } from '../swarm/choker.js';
import type { PiecePickerOptions } from '../swarm/piece-picker.js';
import { IncomingGate, type IncomingOptions } from '../swarm/incoming.js';
import { Swarm, type SwarmEvent } from '../swarm/swarm.js';
import { generatePeerId } from '../wire/index.js';
import { PeerDialer } from '../swarm/peer-dialer.js';
import { ExternalAddress, type AddressVote, type ExternalAddressEvent, type ExternalAddressOptions, type ExternalAddressStatus } from '../nat/external-address.js';
import type { HolepunchOptions } from '../nat/holepunch.js';
import { DualStreams } from '../transport/dual-streams.js';
import { HOLEPUNCH_EXTENSIONS } from '../swarm/holepunch.js';
import { DEFAULT_ENCRYPTION_POLICY, IncomingStream, req2Hash, type EncryptionOptions, type EncryptionPolicy } from '../transport/mse/index.js';
import { FileStorageFactory, resumePathFor, type StorageFactory } from './storage-factory.js';
import type { MetadataParser } from '../swarm/metadata-exchange.js';

export { resumePathFor } from './storage-factory.js';

export interface SessionOptions {
  readonly runtime: Runtime;
  /** Where resume data lives (file storage). */
  readonly stateDir: string;
  /**
   * Opens each torrent's storage (default: files with resume data under `stateDir`, using
   * `cacheBytesPerTorrent` and `maxOpenFiles`). The simulator passes a virtual one.
   */
  readonly storage?: StorageFactory;
  /** Address to accept peers on; none: outgoing connections only. */
  readonly listen?: Address;
  /** Memory for each torrent's block cache (default 32 MiB; file storage). */
  readonly cacheBytesPerTorrent?: number;
  /** Open files across all torrents (default 256; file storage). */
  readonly maxOpenFiles?: number;
  /** Peer connections across all torrents, incoming ones before their handshake included (default 500). */
  readonly maxConnections?: number;
  /** Message Stream Encryption policy and limits (default policy `prefer`; see docs/encryption.md). */
  readonly encryption?: EncryptionOptions;
  /** Limits on incoming connections before their handshake (see docs/limits.md). */
  readonly incoming?: IncomingOptions;
  /** Ban list sizes and the repeat-violation rule (see docs/limits.md). */
  readonly bans?: BanListOptions;
  /** Outgoing connection attempts in flight across all torrents (default 32; see docs/limits.md). */
  readonly maxHalfOpen?: number;
  /** Bytes queued towards one peer at most (default 1 MiB; see docs/limits.md). */
  readonly maxQueuedUploadBytes?: number;
  /** Parses each magnet's info dict once fetched (default: inline; the daemon passes its worker-thread parser). */
  readonly parseMetadata?: MetadataParser;
  /** Regular unchoke slots of each torrent, or 'auto' from upload rates (default 8; docs/swarm.md). */
  readonly unchokeSlots?: number | 'auto';
  /**
   * The choker of every torrent: `policy` 'tit-for-tat' (default) or 'tyrant' (BitTyrant's
   * strategy while downloading, with `tyrant.uploadCapacity` our upload in bytes/s; docs/swarm.md),
   * and its tuning (choker.ts; the simulator compares 'random' and 'none' with them).
   */
  readonly choker?: SessionChokerOptions;
  /**
   * What the torrents remember of peers across torrents (limits, decay; docs/swarm.md): the
   * store's options, a store to use (one the caller restored, kept after the session), or false
   * for no memory.
   */
  readonly reputation?: ReputationOptions | ReputationStore | false;
  /** Piece picker tuning of every torrent (random first pieces, end game; piece-picker.ts). */
  readonly picker?: PiecePickerOptions;
  /**
   * A peer whose requests timed out and that sent no block since it connected this long ago
   * is dropped (default 60 s; Infinity: never; docs/limits.md).
   */
  readonly silentPeerTimeoutMs?: number;
  /** Web seed (BEP 19) range requests in flight across all torrents (default 32; docs/webseeds.md). */
  readonly maxWebSeedRequests?: number;
  /** The external-address vote's limits and weights (docs/nat.md). */
  readonly externalAddress?: ExternalAddressOptions;
  /** Our external address or NAT type changed (docs/nat.md). */
  readonly onNatEvent?: (e: ExternalAddressEvent) => void;
  /**
   * BEP 55 hole punching (docs/nat.md): limits, and `punchTimeoutMs`, how long a punched uTP
   * dial may take (default 15 s: SYNs at 0, 1, 3, 7 s cross the other side's). `false`: off.
   * Punches need uTP (a runtime from `withUtp`, or `punchStreams`); without it we still relay.
   */
  readonly holepunch?: (HolepunchOptions & { readonly punchTimeoutMs?: number }) | false;
  /**
   * The uTP-only streams hole punches dial over (default: the uTP half of the runtime's
   * `DualStreams`). A caller that wraps the runtime's streams (to count or proxy them) names
   * its wrapped uTP half here.
   */
  readonly punchStreams?: Streams;
}

/** The choker's policy and tuning; the slots come from `unchokeSlots`, the memory from `reputation`. */
export type SessionChokerOptions = Readonly<Omit<ChokerOptions, 'regularSlots' | 'reputation'>>;

/** What the session knows of its place behind a NAT (`natStatus()`). */
export interface NatStatus extends ExternalAddressStatus {
  /** Our listen port (uTP and TCP share it). */
  readonly port: number | undefined;
  /** Whether hole punches can be made (uTP runs) and relayed. */
  readonly holepunch: 'on' | 'relay-only' | 'off';
}

/** Default of `SessionOptions.holepunch.punchTimeoutMs`. */
export const DEFAULT_PUNCH_TIMEOUT_MS = 15_000;

export interface AddTorrentOptions {
  readonly torrent?: Torrent;
  readonly magnet?: Magnet;
  /** The directory the torrent's files go under. */
  readonly downloadDir: string;
  /** Use this name for the top-level file or directory instead of the torrent's (seeding data saved under another name). */
  readonly saveName?: string;
  readonly onEvent?: (event: SwarmEvent) => void;
  /** Read at every use, so getters make them live: most peers of this torrent (default 50), and whether peer exchange (BEP 11) runs (default true). */
  readonly limits?: { readonly maxPeers?: number; readonly pex?: boolean };
  /** Byte-rate limits, e.g. [session-wide, this torrent's own]. */
  readonly rateLimiters?: { readonly download: readonly RateLimiter[]; readonly upload: readonly RateLimiter[] };
  /** This torrent's choker, over the session's `choker` (the daemon's `choker` setting at the torrent's start). */
  readonly choker?: SessionOptions['choker'];
}

/** How long a computed connection count is reused (dialling asks for it once per swarm per tick). */
const CONNECTION_COUNT_TTL_MS = 50;

export class Session {
  readonly peerId: Uint8Array;
  private readonly swarms = new Set<Swarm>();
  /** Swarms by the hex of each 20-byte hash a handshake may name. */
  private readonly byHandshakeHash = new Map<string, Swarm>();
  /** Each handshake hash by the hex of HASH('req2', hash), for incoming MSE handshakes. */
  private readonly byReq2 = new Map<string, Uint8Array>();
  /** Opens outgoing connections under the encryption policy; remembers per peer what worked. */
  readonly dialer: PeerDialer;
  private readonly storage: StorageFactory;
  private listener: StreamListener | undefined;
  private accepting = true;
  /** IPs refused, shared by every torrent and checked when a connection is accepted. */
  readonly bans: BanList;
  /** Bytes given and taken per peer, shared by every torrent's choker (undefined: turned off). */
  readonly reputation: ReputationStore | undefined;
  /** Decides on incoming connections before their handshake. */
  readonly incoming: IncomingGate;
  /** Our connection attempts in flight, across torrents (each holds a socket). */
  private readonly dialing: { readonly max: number; count: number };
  private maxConnections: number;
  private counted = { at: -Infinity, n: 0 };
  /** Our external address and NAT type, by vote of peers, DHT nodes, trackers and the gateway. */
  readonly external: ExternalAddress;
  /** Dials over uTP only for hole punches (BEP 55); undefined without uTP. */
  private readonly punchDialer: PeerDialer | undefined;

  private constructor(readonly options: SessionOptions) {
    this.webSeedRequests = { max: options.maxWebSeedRequests ?? 32, count: 0 };
    this.peerId = generatePeerId(options.runtime.random);
    this.storage = options.storage ?? new FileStorageFactory(options);
    this.maxConnections = options.maxConnections ?? 500;
    this.bans = new BanList(options.bans);
    this.reputation = options.reputation === false ? undefined : options.reputation instanceof ReputationStore ? options.reputation : new ReputationStore(options.reputation);
    this.dialing = { max: options.maxHalfOpen ?? 32, count: 0 };
    this.incoming = new IncomingGate({
      runtime: options.runtime,
      peerId: this.peerId,
      bans: this.bans,
      options: options.incoming,
      extensions: options.holepunch === false ? undefined : HOLEPUNCH_EXTENSIONS,
      room: () => this.maxConnections - this.connectionCount(),
      find: (infoHash) => this.byHandshakeHash.get(Buffer.from(infoHash).toString('hex'))
        ?? [...this.swarms].find((sw) => sw.handshakeHashes.some((h) => Buffer.compare(h, infoHash) === 0)),
    });
    this.dialer = new PeerDialer(options.runtime, { encryption: options.encryption ?? { policy: DEFAULT_ENCRYPTION_POLICY } });
    const listenHost = options.listen?.host;
    this.external = new ExternalAddress({ localHosts: listenHost && listenHost !== '0.0.0.0' && listenHost !== '::' ? [listenHost] : [], ...options.externalAddress }, (e) => {
      if (e.type === 'external-address') for (const sw of this.swarms) sw.pool.markSelf({ host: e.host, port: this.listener?.address.port ?? 0 });
      options.onNatEvent?.(e);
    });
    const stream = options.runtime.stream;
    const punchStreams = options.punchStreams ?? (stream instanceof DualStreams ? stream.utp : undefined);
    if (options.holepunch !== false && punchStreams) {
      this.punchDialer = new PeerDialer({ ...options.runtime, stream: punchStreams }, {
        encryption: options.encryption ?? { policy: DEFAULT_ENCRYPTION_POLICY },
        connectTimeoutMs: (options.holepunch && options.holepunch.punchTimeoutMs) || DEFAULT_PUNCH_TIMEOUT_MS,
      });
    }
  }

  /** Counts a report of where someone sees us (DHT `ip`, a tracker's `external ip`, the gateway's address). */
  voteExternalAddress(vote: AddressVote): void {
    this.external.vote(vote);
  }

  /** Our external address, NAT type and hole punching, for `shoal get -v` and the daemon. */
  natStatus(): NatStatus {
    return {
      ...this.external.status(),
      port: this.listener?.address.port,
      holepunch: this.options.holepunch === false ? 'off' : this.punchDialer ? 'on' : 'relay-only',
    };
  }

  private isOurs(a: { host: string; port: number }): boolean {
    const l = this.listener?.address;
    if (!l || a.port !== l.port) return false;
    return a.host === l.host || a.host === this.external.host;
  }

  /** Changes the encryption policy for connections made or accepted from now on (open ones stay). */
  setEncryptionPolicy(policy: EncryptionPolicy): void {
    this.dialer.setPolicy(policy);
    this.punchDialer?.setPolicy(policy);
  }

  /** Changes the session-wide connection limit (existing connections stay). */
  setMaxConnections(n: number): void {
    this.maxConnections = n;
  }

  /** Files open now across every torrent (bounded by `maxOpenFiles`; 0 without file storage). */
  get openFiles(): number {
    return this.storage instanceof FileStorageFactory ? this.storage.openFiles : 0;
  }

  /** Web seed requests in flight across the session's torrents (a counter the swarms update). */
  private readonly webSeedRequests: { readonly max: number; count: number };

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
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the getter below reads the live limit
    const session = this;
    const limits = o.limits;
    const swarm = new Swarm({
      get maxPeers() { return limits?.maxPeers; },
      get pex() { return limits?.pex; },
      runtime: this.options.runtime,
      peerId: this.peerId,
      listenPort: this.listener?.address.port,
      listenAddress: this.listener?.address,
      torrent: o.torrent,
      infoHashV1: o.magnet?.infoHashV1,
      infoHashV2: o.magnet?.infoHashV2,
      onEvent: o.onEvent,
      rateLimiters: o.rateLimiters,
      dialer: this.dialer,
      punchDialer: this.punchDialer,
      holepunch: this.options.holepunch === false ? false : {
        ...this.options.holepunch,
        natType: () => this.external.natType,
        isSelf: (a) => this.isOurs(a),
      },
      onAddressReport: (reporter, host) => this.external.vote({ source: 'peer', reporter, host }),
      bans: this.bans,
      maxQueuedUploadBytes: this.options.maxQueuedUploadBytes,
      unchokeSlots: this.options.unchokeSlots,
      choker: { ...this.options.choker, ...o.choker, reputation: this.reputation },
      picker: this.options.picker,
      silentPeerTimeoutMs: this.options.silentPeerTimeoutMs,
      globalConnections: { get max() { return session.maxConnections; }, count: () => this.cachedConnectionCount() },
      globalHalfOpen: this.dialing,
      webSeedUrls: o.magnet?.webSeeds,
      webSeedOptions: { shared: this.webSeedRequests },
      parseMetadata: this.options.parseMetadata,
      openStorage: (torrent) => this.storage.open({ torrent: withSaveName(torrent, o.saveName), downloadDir }),
    });
    this.swarms.add(swarm);
    this.index(swarm);
    for (const p of o.magnet?.peers ?? []) swarm.addPeer(p, 'magnet');
    try {
      await swarm.start();
    } catch (e) {
      await this.removeTorrent(swarm);
      throw e;
    }
    this.index(swarm); // a hybrid magnet's v2 hash is known once its metadata arrived
    return swarm;
  }

  private index(swarm: Swarm): void {
    for (const h of swarm.handshakeHashes) {
      this.byHandshakeHash.set(Buffer.from(h).toString('hex'), swarm);
      this.byReq2.set(Buffer.from(req2Hash(h)).toString('hex'), h);
    }
  }

  private unindex(swarm: Swarm): void {
    for (const [k, s] of this.byHandshakeHash) {
      if (s !== swarm) continue;
      this.byHandshakeHash.delete(k);
      this.byReq2.delete(Buffer.from(req2Hash(Buffer.from(k, 'hex'))).toString('hex'));
    }
  }

  private cachedConnectionCount(): number {
    const now = this.options.runtime.clock.now();
    if (now - this.counted.at > CONNECTION_COUNT_TTL_MS) this.counted = { at: now, n: this.connectionCount() };
    return this.counted.n;
  }

  /** Peer connections across every torrent, with incoming ones before their handshake and our attempts in flight. */
  connectionCount(): number {
    let n = this.incoming.pending + this.dialing.count;
    for (const s of this.swarms) n += s.peers.size;
    return n;
  }

  /** One resume file per torrent and download directory. */
  resumePath(torrent: Torrent, downloadDir: string): string {
    return resumePathFor(this.options.stateDir, torrent, downloadDir);
  }

  async removeTorrent(swarm: Swarm): Promise<void> {
    this.swarms.delete(swarm);
    this.unindex(swarm);
    await swarm.stop();
  }

  /**
   * Every accepted socket goes through the gate first: refused at once, or counted and timed
   * until its handshake. Plaintext or MSE is told by the first bytes (the MSE handshake runs
   * inside the gate's deadline); with the plaintext policy MSE is not spoken at all.
   */
  private onIncoming(raw: ByteStream): void {
    const runtime = this.options.runtime;
    const encryption = this.dialer.encryption;
    const stream = encryption.policy === 'plaintext' ? raw : new IncomingStream(raw, {
      clock: runtime.clock,
      random: runtime.random,
      encryption,
      findSkey: (req2) => this.byReq2.get(Buffer.from(req2).toString('hex')),
    });
    this.incoming.offer(stream);
  }

  /** Stops accepting peers (open connections stay): a closing client takes none while its trackers hear `stopped`. */
  stopAccepting(): void {
    if (this.accepting) this.listener?.close();
    this.accepting = false;
  }

  async close(): Promise<void> {
    this.stopAccepting();
    this.incoming.close();
    await Promise.allSettled([...this.swarms].map((s) => s.stop()));
    this.swarms.clear();
    this.byHandshakeHash.clear();
    this.byReq2.clear();
    this.storage.close();
  }
}

/**
 * The torrent as storage should place it when its data is saved under another name: a
 * multi-file torrent's top directory, or a single-file torrent's one file (placed by its
 * layout path, which the name alone does not change). The info dict, and so the info hash,
 * stays as it is.
 */
export function withSaveName(torrent: Torrent, saveName: string | undefined): Torrent {
  if (!saveName) return torrent;
  if (torrent.multiFile) return saveName === torrent.name ? torrent : { ...torrent, name: saveName };
  if (torrent.layout.files.every((f) => f.pad || (f.path.length === 1 && f.path[0] === saveName))) return torrent;
  const files = torrent.layout.files.map((f) => (f.pad ? f : { ...f, path: [saveName] }));
  return { ...torrent, layout: new PieceLayout(files, torrent.layout.pieceLength) };
}
