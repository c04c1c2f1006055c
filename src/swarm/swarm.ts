/**
 * One torrent's swarm: the peers we trade with, what we ask them for, what we serve, whom
 * we unchoke. Ties the wire state machine (`PeerConnection`), the piece picker, the choker
 * and the storage together. Time comes from the runtime clock; all I/O from the runtime.
 */
import { ShoalError } from '../errors.js';
import type { Torrent } from '../metainfo/torrent.js';
import type { Address, Runtime, TimerHandle } from '../runtime/types.js';
import type { PieceStorage } from '../storage/types.js';
import { DEFAULT_LOCAL_EXTENSIONS, PeerConnection, type PeerEvent, type PieceGeometry } from '../wire/index.js';
import { HOLEPUNCH_EXTENSIONS, SwarmHolepunch } from './holepunch.js';
import { MetadataExchange } from './metadata-exchange.js';
import { Choker } from './choker.js';
import { applyChoke, fillSlots } from './choking.js';
import { newOwedLooks } from './owed.js';
import { RequestBudget } from './request-budget.js';
import { BanList } from './ban-list.js';
import { banPeer, peerViolation } from './discipline.js';
import { PeerPool, type PeerSource } from './peer-pool.js';
import { PexHub, pexView } from './pex.js';
import { PeerSession } from './peer-session.js';
import { forgetPeer } from './peer-departure.js';
import { PeerDialer } from './peer-dialer.js';
import { isWildcard, OutgoingDials } from './outgoing.js';
import { BLOCK_LENGTH, PiecePicker } from './piece-picker.js';
import type { OpenedStorage, SwarmEvent, SwarmOptions, SwarmStats } from './types.js';

export type { OpenedStorage, SwarmEvent, SwarmOptions, SwarmStats } from './types.js';
export type { PeerSnapshot, SwarmStatus } from './snapshot.js';
import { Wake } from './rate-limit.js';
import type { Bitfield } from '../util/bitfield.js';
import { swarmStats } from './stats.js';
import { haveCopy, peerSnapshot, swarmStatus, uplinkSnapshot, type PeerSnapshot, type SwarmStatus, type UplinkSnapshot } from './snapshot.js';
import { fillRequests, type TransferContext } from './transfer.js';
import { drainUploads, pumpUploads } from './uploads.js';
import { pieceWireBytes, piecePriorities } from './geometry.js';
import { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_QUEUED_UPLOAD_BYTES, DEFAULT_MAX_REQUESTED_BYTES } from './defaults.js';
import { onPeerEvent } from './peer-events.js';
import { tick } from './tick.js';
import { admitNewcomer, PerIpCounts } from './peer-turnover.js';
import { unsentOverLimit } from './unread-peer.js';
import { announcePiece, countAvailability, updateInterest } from './interest.js';
import { WebSeeds, type WebSeedEvent, type WebSeedSnapshot } from './webseeds.js';
import type { Fetcher } from './webseed-session.js';

const TICK_MS = 1000;
const NO_LIMITS: TransferContext['limits'] = { download: [], upload: [] };
export { DEFAULT_HANDSHAKE_TIMEOUT_MS, DEFAULT_MAX_QUEUED_UPLOAD_BYTES, DEFAULT_MAX_REQUESTED_BYTES, DEFAULT_SILENT_PEER_TIMEOUT_MS } from './defaults.js';

export class Swarm implements TransferContext {
  readonly runtime: Runtime;
  readonly pool: PeerPool;
  /** IPs refused (the session's list when it has one). */
  readonly bans: BanList;
  /** Opens outgoing connections under the encryption policy (the session's, shared by its torrents). */
  readonly dialer: PeerDialer;
  readonly peers = new Map<string, PeerSession>();
  /** Open peers by peer id (discipline.ts keeps it; a closing peer leaves it). */
  readonly byPeerId = new Map<string, PeerSession>();
  torrent: Torrent | undefined;
  storage: PieceStorage | undefined;
  picker: PiecePicker<Fetcher> | undefined;
  /** BEP 19 web seeds of the torrent (and of a magnet's `ws=`), once the torrent is known. */
  webSeeds: WebSeeds | undefined;
  recorder: OpenedStorage['recorder'];
  /** Which peers sent blocks of each piece in progress (blame on a failed hash). */
  readonly contributors = new Map<number, Set<Fetcher>>();
  /** Block writes in flight per piece; verification waits for them. */
  readonly pendingWrites = new Map<number, Promise<void>[]>();
  readonly choker: Choker<PeerSession>;
  /** BEP 9 metadata and BEP 52 hash exchange (read by peer-events.ts). */
  readonly metadata: MetadataExchange;
  /** BEP 11: what each peer was told of the others (none for a private torrent, BEP 27). */
  readonly pex = new PexHub<PeerSession>(pexView);
  /** BEP 55 (undefined when turned off). */
  readonly holepunch: SwarmHolepunch | undefined;
  private readonly outgoing: OutgoingDials;
  private tickTimer: TimerHandle | undefined;
  lastRechoke = -Infinity;
  private stopped = false;
  private completeSent = false;
  /** The options it was built with (read by peer-events.ts and tick.ts). */
  readonly opts: SwarmOptions;
  /** The cap on bytes requested from all peers, and who shares it (request-budget.ts). */
  readonly requests: RequestBudget;

  constructor(options: SwarmOptions) {
    this.opts = options;
    this.requests = new RequestBudget(options.maxRequestedBytes ?? DEFAULT_MAX_REQUESTED_BYTES);
    this.runtime = options.runtime;
    this.dialer = options.dialer ?? new PeerDialer(options.runtime, { encryption: { policy: 'plaintext' } });
    this.bans = options.bans ?? new BanList();
    this.pool = new PeerPool({ refused: (host) => this.bans.isBanned(host, this.runtime.clock.now()) });
    if (options.listenAddress && !isWildcard(options.listenAddress.host)) this.pool.markSelf(options.listenAddress);
    this.outgoing = new OutgoingDials({
      runtime: this.runtime, pool: this.pool, dialer: this.dialer, peers: this.peers, connectedPerIp: this.connectedPerIp, options,
      handshakeHash: () => this.handshakeHashes[0],
      isSeed: () => this.picker?.done === true,
      stopped: () => this.stopped,
      newConnection: () => this.newConnection('outgoing'),
      adopt: (peer, pending) => this.adopt(peer, pending),
      dialFailed: (address) => this.holepunch?.dialFailed(address),
    });
    const punchDialer = options.punchDialer;
    this.holepunch = options.holepunch === false ? undefined : new SwarmHolepunch({
      peers: this.peers,
      now: () => this.runtime.clock.now(),
      punch: (address) => (punchDialer && !this.stopped ? this.outgoing.punch(address, punchDialer) : Promise.resolve(false)),
      violation: (peer, reason) => this.violation(peer, reason),
      emit: (event) => this.emit({ type: 'holepunch', event }),
    }, options.holepunch);
    this.wake = new Wake(options.runtime.clock, () => {
      if (this.stopped) return;
      drainUploads(this);
      this.refillAll();
    });
    this.choker = new Choker(options.runtime.random, { ...options.choker, ...(options.unchokeSlots !== undefined ? { regularSlots: options.unchokeSlots } : {}) });
    if (!options.torrent && !options.infoHashV1 && !options.infoHashV2) throw new Error('a swarm needs a torrent or an info hash');
    this.metadata = new MetadataExchange(options.runtime, options.torrent ? undefined : { infoHashV1: options.infoHashV1, infoHashV2: options.infoHashV2 }, {
      ban: (peer, reason) => this.ban(peer, reason),
      peers: () => this.peers.values(),
      onTorrent: (torrent) => {
        this.emit({ type: 'metadata', torrent });
        this.setTorrent(torrent).catch((e: unknown) => this.emit({ type: 'error', error: e as Error }));
      },
      onError: (error) => this.emit({ type: 'error', error }),
    }, options.parseMetadata);
  }

  get ourPeerId(): Uint8Array {
    return this.opts.peerId;
  }

  get infoHashV1(): Uint8Array | undefined {
    return this.torrent?.infoHashV1 ?? this.opts.infoHashV1;
  }
  get infoHashV2(): Uint8Array | undefined {
    return this.torrent?.infoHashV2 ?? this.opts.infoHashV2;
  }
  /** The 20 bytes that identify this torrent in handshakes (v1 hash, else truncated v2). */
  get handshakeHashes(): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (this.infoHashV1) out.push(this.infoHashV1);
    if (this.infoHashV2) out.push(this.infoHashV2.subarray(0, 20));
    return out;
  }

  emit(event: SwarmEvent): void {
    this.opts.onEvent?.(event);
  }

  /** Opens storage (when the torrent is known) and starts dialling and choking. */
  async start(): Promise<void> {
    if (this.opts.torrent) await this.setTorrent(this.opts.torrent);
    this.scheduleTick();
  }

  private async setTorrent(torrent: Torrent): Promise<void> {
    const opened = await this.opts.openStorage(torrent);
    this.torrent = torrent;
    this.storage = opened.storage;
    this.recorder = opened.recorder;
    this.picker = new PiecePicker<Fetcher>(pieceWireBytes(torrent), this.runtime.random, this.opts.picker);
    this.picker.setHave(opened.have);
    const webSeedUrls = [...torrent.webSeeds, ...(this.opts.webSeedUrls ?? [])];
    if (this.runtime.http && webSeedUrls.length > 0 && this.opts.webSeedOptions !== false) this.webSeeds = new WebSeeds(this, torrent, webSeedUrls, this.opts.webSeedOptions);
    this.metadata.setInfo(torrent.infoBytes);
    this.emit({ type: 'ready', have: opened.have.count, total: torrent.pieceCount });
    for (const peer of this.peers.values()) this.peerLearnedGeometry(peer);
    this.checkComplete();
    this.webSeeds?.refill();
  }

  /**
   * File priorities: 0 skips the file, 1..7 (higher first). A piece shared by several files
   * takes the highest priority among them.
   */
  setFilePriorities(priorities: readonly number[]): void {
    const t = this.torrent, picker = this.picker;
    if (!t || !picker) throw new ShoalError('file priorities need the torrent metadata');
    const best = piecePriorities(t, priorities);
    best.forEach((prio, p) => picker.setPriority(p, prio));
    for (const peer of this.peers.values()) updateInterest(this, peer);
    this.checkComplete();
  }

  /** Streaming: fetch pieces in order from the one holding byte `offset` of the piece space (size 0: off). */
  setStreamingPosition(offset: number, windowBytes = 8 * 1024 * 1024): void {
    const t = this.torrent;
    if (!t || !this.picker) return;
    const first = Math.floor(offset / t.pieceLength);
    this.picker.setStreamingWindow(first, windowBytes > 0 ? Math.max(1, Math.ceil(windowBytes / t.pieceLength)) : 0);
    for (const p of this.peers.values()) fillRequests(this, p);
  }

  addPeer(address: Address, source: PeerSource = 'manual'): void {
    this.pool.add(address, source);
    if (!this.stopped) this.dial();
  }

  // --- connections ----------------------------------------------------------------

  get geometry(): PieceGeometry | undefined {
    const t = this.torrent;
    if (!t) return undefined;
    return { pieceCount: t.pieceCount, pieceLength: t.pieceLength, lastPieceLength: t.layout.pieceSize(t.pieceCount - 1) };
  }

  private newConnection(role: 'outgoing' | 'incoming'): PeerConnection {
    const hashes = this.handshakeHashes;
    return new PeerConnection({
      role,
      peerId: this.opts.peerId,
      now: this.runtime.clock.now(),
      handshakeTimeoutMs: this.opts.handshakeTimeoutMs ?? DEFAULT_HANDSHAKE_TIMEOUT_MS,
      infoHash: role === 'outgoing' ? hashes[0] : undefined,
      acceptInfoHashes: hashes,
      geometry: this.geometry,
      features: { v2Upgrade: this.infoHashV2 !== undefined && this.infoHashV1 !== undefined },
      extensions: this.holepunch ? HOLEPUNCH_EXTENSIONS : DEFAULT_LOCAL_EXTENSIONS,
    });
  }

  dial(): void {
    this.outgoing.dial();
  }

  /** An incoming connection whose handshake named this torrent (the session routes it). */
  acceptIncoming(stream: PeerSession['stream'], conn: PeerConnection, infoHash: Uint8Array): boolean {
    const address = stream.remote;
    const global = this.opts.globalConnections;
    const now = this.runtime.clock.now();
    if (this.stopped || this.bans.isBanned(address.host, now)) return false;
    if (!admitNewcomer(this.peers, this.connectedPerIp, address.host, this.opts, now)) return false;
    if (global && global.count() >= global.max) return false;
    const events = conn.accept({ infoHash, geometry: this.geometry, now });
    this.adopt(new PeerSession(this.runtime, stream, conn, address, true), events);
    return true;
  }

  private adopt(peer: PeerSession, pending: PeerEvent[]): void {
    if (this.peers.has(peer.key)) {
      // BEP 55: both sides of a punch dial over uTP from their listen ports at once, so two
      // connections can share one address. Both are kept until the handshakes; then the peer
      // id rule (keepIfNotDuplicate) keeps the same one on both sides.
      const second = `${peer.key}#2`;
      if (!peer.overUtp || this.peers.has(second)) {
        peer.close('duplicate connection');
        return;
      }
      peer.key = second;
    }
    this.peers.set(peer.key, peer);
    this.connectedPerIp.takeKey(peer.ipKey, true);
    // Its failures are cleared once its handshake comes (peer-events.ts), not at connect.
    this.pool.markConnected(peer.address, true);
    peer.attach(this, pending);
  }

  onPeerClosed(peer: PeerSession, reason: string): void {
    if (!forgetPeer(this, peer, reason)) return;
    this.emit({ type: 'peer-disconnected', address: peer.key, reason });
    if (!this.stopped) {
      for (const p of this.peers.values()) fillRequests(this, p);
      this.fillSlots();
      this.dial();
    }
  }

  /** Corrupt data: bans the peer's IP (session-wide when the list is shared) and closes its connections; drops a web seed. */
  ban(peer: Fetcher, reason: string): void {
    if ('conn' in peer) banPeer(this, peer, reason);
    else this.webSeeds?.drop(peer, reason);
  }

  onWebSeedEvent(event: WebSeedEvent): void {
    this.emit(event);
  }

  /** A protocol violation: closes the connection; repeat offenders are refused for a while. */
  violation(peer: PeerSession, reason: string): void {
    peerViolation(this, peer, reason);
  }

  // --- peer events -------------------------------------------------------------------

  onPeerDrain(peer: PeerSession): void {
    pumpUploads(this, peer);
  }

  onPeerEvents(peer: PeerSession, events: PeerEvent[]): void {
    const unread = unsentOverLimit(peer, this.opts);
    if (unread !== undefined) return peer.close(unread);
    for (const e of events) {
      if (peer.closed) return;
      onPeerEvent(this, peer, e);
    }
  }

  /** Called by transfer.ts when a piece passes or fails. */
  afterPiece(piece: number, ok: boolean, from: readonly Fetcher[]): void {
    if (ok) {
      this.emit({ type: 'piece-verified', piece });
      announcePiece(this, piece, from);
      void this.recorder?.maybeSave(this.runtime.clock.now());
      this.checkComplete();
    }
    for (const p of this.peers.values()) fillRequests(this, p);
    this.webSeeds?.refill();
  }

  private peerLearnedGeometry(peer: PeerSession): void {
    const g = this.geometry;
    if (!g || peer.conn.geometry) return;
    this.onPeerEvents(peer, peer.conn.setGeometry(g));
    if (peer.closed || !this.picker) return;
    countAvailability(this, peer);
    updateInterest(this, peer);
  }

  // --- choking, ticking ------------------------------------------------------------------

  /** A rechoke round (every `rechokeIntervalMs`). */
  rechoke(): void {
    const now = this.runtime.clock.now();
    this.lastRechoke = now;
    applyChoke(this.choker, this.unchoked, this.owedLooks, [...this.peers.values()], now, this.picker?.done ?? false, this.opts.choker?.reputation);
  }

  /** Unchokes interested peers into free slots, choking nobody. */
  fillSlots(): void {
    // The map itself: a copy of its peers is made only when a slot is free (rarely).
    fillSlots(this.choker, this.unchoked, this.owedLooks, this.peers, this.runtime.clock.now(), this.picker?.done ?? false);
  }

  private scheduleTick(): void {
    this.tickTimer = this.runtime.clock.setTimer(TICK_MS, () => {
      if (this.stopped) return;
      tick(this);
      this.scheduleTick();
    });
  }

  private checkComplete(): void {
    if (this.completeSent || !this.picker?.done) return;
    this.completeSent = true;
    for (const p of this.peers.values()) updateInterest(this, p);
    this.emit({ type: 'complete' });
  }

  stats(): SwarmStats {
    const now = this.runtime.clock.now();
    const s = swarmStats(this, now);
    return this.webSeeds ? { ...s, downloadRate: s.downloadRate + this.webSeeds.rate(now) } : s;
  }

  /** A snapshot of the swarm's state for upper layers (counters, readiness, write backlog, storage counters). */
  status(): SwarmStatus {
    const now = this.runtime.clock.now();
    const s = swarmStatus(this, now);
    return this.webSeeds ? { ...s, downloadRate: s.downloadRate + this.webSeeds.rate(now) } : s;
  }

  /** A snapshot of the torrent's web seeds (BEP 19), dropped ones included. */
  webSeedList(): WebSeedSnapshot[] {
    return this.webSeeds?.snapshot(this.runtime.clock.now()) ?? [];
  }

  /** A snapshot of every connected peer. */
  peerList(): PeerSnapshot[] {
    const now = this.runtime.clock.now();
    return [...this.peers.values()].map((p) => peerSnapshot(p, now));
  }

  /** Each peer's uplink view and the open demand slots, copied (the simulator's uplink diagnostics). */
  uplinkSnapshot(): UplinkSnapshot { return uplinkSnapshot(this, this.runtime.clock.now()); }

  /** A copy of the pieces had now; undefined before the torrent is known. */
  haveSnapshot(): Bitfield | undefined {
    return haveCopy(this);
  }

  /** Whether piece `p` is had (verified) now. */
  hasPiece(p: number): boolean {
    return this.picker?.have.has(p) ?? false;
  }

  /** Bytes of a verified piece (the daemon streams files from these); undefined while it is not verified or the swarm has no storage. */
  readVerified(piece: number, begin: number, length: number): Promise<Uint8Array> | undefined {
    const storage = this.storage;
    if (!storage || !this.hasPiece(piece)) return undefined;
    return storage.readBlock(piece, begin, length);
  }

  readonly totals = { downloaded: 0, uploaded: 0, wasted: 0 };
  writeBacklog = 0;
  readonly uploadWaiting: TransferContext['uploadWaiting'] = new Set();
  /**
   * The peers in `peers` counted per source (IPv4 address, IPv6 /64): the per-IP rule for
   * newcomers and dials reads it instead of scanning every peer. Kept by `adopt` and `forgetPeer`.
   */
  readonly connectedPerIp = new PerIpCounts(Infinity);
  /** Peers we unchoke now (choking.ts keeps it; a departure drops the peer): what `fillSlots` counts. */
  readonly unchoked = new Set<PeerSession>();
  /** The choker's looks at what each peer owes us (owed.ts). */
  readonly owedLooks = newOwedLooks();
  /** Refills and queued uploads once the rate limits allow more. */
  private readonly wake: Wake;

  get maxQueuedUploadBytes(): number {
    return this.opts.maxQueuedUploadBytes ?? DEFAULT_MAX_QUEUED_UPLOAD_BYTES;
  }

  get limits(): TransferContext['limits'] {
    return this.opts.rateLimiters ?? NO_LIMITS;
  }

  wakeAfter(ms: number): void {
    if (!this.stopped) this.wake.after(ms);
  }

  refillAll(): void {
    for (const p of this.peers.values()) fillRequests(this, p);
    this.webSeeds?.refill();
  }

  /** PEX runs unless switched off, and never for a private torrent (BEP 27: its peers come from its trackers only). */
  pexOn(): boolean {
    return this.opts.pex !== false && !this.torrent?.private;
  }

  /** Closes every peer, flushes resume data and storage. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.metadata.stop();
    this.tickTimer?.cancel();
    this.wake.cancel();
    this.webSeeds?.stop();
    for (const p of [...this.peers.values()]) p.close('shutting down', true);
    await Promise.allSettled([...this.pendingWrites.values()].flat());
    if (this.recorder) await this.recorder.close();
    else await this.storage?.close();
  }
}

export { BLOCK_LENGTH };
