/**
 * The contract between the daemon's torrent service (src/daemon/service/) and its HTTP API
 * (src/daemon/http/). The API turns these shapes into JSON one to one, so they are also the
 * shapes the web UI reads (docs/api.md documents them). Plain data only: numbers, strings,
 * arrays; byte counts in bytes, rates in bytes per second, times in ms since the epoch.
 */

/** A torrent is named by its info hash in hex: the v1 hash (40 chars) if it has one, else the v2 hash (64 chars). */
export type TorrentId = string;

export type TorrentState =
  | 'metadata' // magnet waiting for the info dictionary
  | 'checking' // verifying data already on disk
  | 'queued' // waiting for a download slot (the active-download limit)
  | 'downloading'
  | 'seeding'
  | 'paused'
  | 'moving' // its data is being moved to a new save path (POST .../move)
  | 'error';

export const TORRENT_STATES: readonly TorrentState[] = ['metadata', 'checking', 'queued', 'downloading', 'seeding', 'paused', 'moving', 'error'];

export interface TorrentSummary {
  readonly infoHash: TorrentId;
  readonly name: string;
  /** Verified bytes over wanted bytes, 0..1. */
  readonly progress: number;
  readonly state: TorrentState;
  readonly downloadRate: number;
  readonly uploadRate: number;
  readonly peers: number;
  /** Seconds to completion at the current rate; null when unknown or not downloading. */
  readonly eta: number | null;
  /** Total size in bytes (0 until a magnet's metadata arrives). */
  readonly size: number;
  readonly downloaded: number;
  readonly uploaded: number;
  readonly savePath: string;
  readonly addedAt: number;
  /** The torrent's category ('' = none). */
  readonly category: string;
  /** Set when state is 'error'. */
  readonly error?: string;
}

export interface FileInfo {
  readonly index: number;
  /** Path inside the torrent, '/'-separated, starting with the torrent's name. */
  readonly path: string;
  readonly length: number;
  /** 0..1 */
  readonly progress: number;
  /** 0 skip, 1 normal (default), up to 7 highest. */
  readonly priority: number;
}

export interface PeerInfo {
  /** `host:port`, or a web seed's URL. */
  readonly address: string;
  /** 'webseed' for a BEP 19 HTTP(S) source (its URL is `address`); absent for a peer. */
  readonly kind?: 'webseed';
  /** From the extension handshake's `v`, else from the peer id; '' when unknown. */
  readonly client: string;
  readonly downloadRate: number;
  readonly uploadRate: number;
  /** 0..1, from the peer's bitfield. */
  readonly progress: number;
  /** libtorrent/qBittorrent-style letters: D/d interested+unchoked/choked download, U/u upload, O optimistic, S snubbed, I incoming, E encrypted (MSE, RC4 throughout), e MSE handshake with a plaintext payload, X pex, H dht, P utp. */
  readonly flags: string;
  /** What a peer connection runs over (docs/utp.md); absent for a web seed. */
  readonly transport?: 'tcp' | 'utp';
}

export interface TrackerInfo {
  readonly url: string;
  readonly tier: number;
  /** idle: not contacted (yet, or not running); updating: an announce is on its way. */
  readonly status: 'idle' | 'updating' | 'working' | 'error';
  readonly message?: string;
  /** Peers in the last reply. */
  readonly peers?: number;
  /** Seeders and leechers, when the tracker said (`complete` / `incomplete`). */
  readonly seeders?: number;
  readonly leechers?: number;
  readonly lastAnnounce?: number;
  /** Wall-clock ms of the next announce (nextAnnounce: the same, the older name). */
  readonly nextAnnounceAt?: number;
  readonly nextAnnounce?: number;
}

/** Announce URLs by tier (BEP 12): `[["udp://a/announce"], ["http://b/announce", "http://c/announce"]]`. */
export type TrackerTiers = readonly (readonly string[])[];

export interface Category {
  readonly name: string;
  /** Absolute directory torrents of this category are saved under. */
  readonly savePath: string;
}

/** PATCH /api/torrents/:id. seedRatioLimit/seedTimeLimit: null = the global setting, -1 = no limit for this torrent. */
export interface TorrentPatch {
  readonly category?: string;
  readonly seedRatioLimit?: number | null;
  readonly seedTimeLimit?: number | null;
  /** Display name only (files on disk keep theirs). */
  readonly name?: string;
}

export type BulkAction = 'pause' | 'resume' | 'recheck' | 'remove';

export interface CreateTorrentInput {
  /** Absolute path of a file or directory on the daemon's machine. */
  readonly path: string;
  readonly pieceLength?: number;
  readonly trackers?: TrackerTiers;
  readonly private?: boolean;
  readonly comment?: string;
  /** Add it, seeding from `path`. */
  readonly seed?: boolean;
}

export interface CreatedTorrent {
  readonly infoHash: TorrentId;
  readonly name: string;
  /** The .torrent file, base64. */
  readonly torrent: string;
}

export interface NatMappingInfo {
  readonly protocol: 'tcp' | 'udp';
  readonly internalPort: number;
  readonly externalPort: number | null;
  readonly method: 'upnp' | 'natpmp' | 'pcp' | null;
  readonly state: 'mapped' | 'pending' | 'failed' | 'off';
  readonly error?: string;
}

/** What the NAT does with our ports, judged from the ports reporters saw (docs/nat.md). */
export type NatTypeName = 'open' | 'cone' | 'symmetric' | 'unknown';

export interface NatInfo {
  /** The external address the router gave a port mapping; null without one. */
  readonly externalAddress: string | null;
  readonly mappings: readonly NatMappingInfo[];
  /**
   * Our external address as the vote decided it (peers' BEP 10 `yourip`, DHT nodes' BEP 42
   * `ip`, trackers' `external ip`, the router's mapping); null until decided.
   */
  readonly votedAddress: string | null;
  /** open (no NAT, or the port is mapped), cone (one port per endpoint: punching works), symmetric (a port per destination: it cannot), unknown. */
  readonly natType: NatTypeName;
  /** Votes held, by source. */
  readonly votes: { readonly peer: number; readonly dht: number; readonly tracker: number; readonly portMapping: number };
  /** BEP 55 hole punching: on (uTP runs), relay-only (no uTP: we relay, never punch), off. */
  readonly holepunch: 'on' | 'relay-only' | 'off';
}

/** Which of a torrent's files `details` lists: `fileOffset` / `fileLimit` of GET /api/torrents/:id. */
export interface FilePage {
  readonly offset: number;
  readonly limit: number;
}

export interface TorrentDetails extends TorrentSummary {
  readonly magnet: string;
  /** Both info hashes in hex where the torrent has them (a hybrid has both; `infoHash` is the v1 one then). */
  readonly infoHashes: { readonly v1?: string; readonly v2?: string };
  readonly pieceLength: number;
  readonly pieceCount: number;
  /** The pieces we have as a BitTorrent bitfield (high bit first), base64. */
  readonly pieces: string;
  /** The page of files asked for (`fileOffset`, at most `fileLimit` files; default the first `maxFilesPerPage`). */
  readonly files: readonly FileInfo[];
  /** Files in the torrent (pad files left out): page on with `fileOffset` while `fileOffset + files.length < fileCount`. */
  readonly fileCount: number;
  readonly fileOffset: number;
  readonly peerList: readonly PeerInfo[];
  readonly trackers: readonly TrackerInfo[];
  /** This torrent's own limits in bytes/s (0 = none; the session-wide ones apply as well). */
  readonly limits: TorrentLimits;
  /** Uploaded over downloaded (over the size when it was added complete), as qBittorrent counts it. */
  readonly ratio: number;
  /** Seconds spent seeding (complete and running), over all runs. */
  readonly seedingTime: number;
  /** This torrent's own seeding limits: null = the global setting, -1 = none for this torrent. */
  readonly seedRatioLimit: number | null;
  readonly seedTimeLimit: number | null;
  /** The seeding limits in force (own, else global); null = none. */
  readonly effectiveSeedRatioLimit: number | null;
  readonly effectiveSeedTimeLimit: number | null;
}

/** The seeding part of the details (the service adds it; it needs the settings). */
export type SeedingDetails = Pick<TorrentDetails, 'ratio' | 'seedingTime' | 'seedRatioLimit' | 'seedTimeLimit' | 'effectiveSeedRatioLimit' | 'effectiveSeedTimeLimit'>;

export interface TorrentLimits {
  readonly downloadRateLimit: number;
  readonly uploadRateLimit: number;
}

export interface ListQuery {
  /** Only torrents in this state. */
  readonly state?: TorrentState;
  /** Case-insensitive substring of the name or info hash. */
  readonly search?: string;
  /** Only torrents of this category ('' = uncategorised). */
  readonly category?: string;
  readonly sort?: 'name' | 'addedAt' | 'progress' | 'downloadRate' | 'uploadRate' | 'size';
  readonly order?: 'asc' | 'desc';
  readonly offset?: number;
  /** Default 100, at most 1000. */
  readonly limit?: number;
}

export interface TorrentPage {
  /** Torrents matching the filter, before paging. */
  readonly total: number;
  readonly offset: number;
  readonly torrents: readonly TorrentSummary[];
}

export interface AddTorrentInput {
  readonly magnet?: string;
  /** The .torrent file's bytes. */
  readonly torrent?: Uint8Array;
  /** Directory the torrent's files go under; default: the settings' downloadDir. */
  readonly savePath?: string;
  readonly paused?: boolean;
  /** A category (must exist); its savePath applies unless savePath is given. */
  readonly category?: string;
}

export interface Settings {
  readonly downloadDir: string;
  /** Bytes per second; 0 = unlimited. */
  readonly downloadRateLimit: number;
  readonly uploadRateLimit: number;
  /** Downloads running at once; the rest wait as 'queued'. */
  readonly maxActiveDownloads: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerTorrent: number;
  readonly dht: boolean;
  /** Alternative ("turtle") limits, bytes/s, 0 = unlimited: in force instead of the two above while altEnabled or inside altSchedule. */
  readonly altDownloadRateLimit: number;
  readonly altUploadRateLimit: number;
  /** The alternative limits by hand, whatever the schedule says. */
  readonly altEnabled: boolean;
  /** When the alternative limits are in force on their own (local time); null: never. */
  readonly altSchedule: AltSchedule | null;
  /** Peer encryption (MSE/PE): 'prefer' (default), 'require' or 'plaintext'; see docs/encryption.md. */
  readonly encryption: 'prefer' | 'require' | 'plaintext';
  /** Peer port (TCP and uTP/DHT UDP); 0 = any free port. Read at start-up: a change takes effect on restart. */
  readonly listenPort: number;
  /** Map the listen port on the router (PCP, NAT-PMP, UPnP IGD). */
  readonly portMapping: boolean;
  /** uTP (BEP 29), peer exchange (BEP 11), local peer discovery (BEP 14). */
  readonly utp: boolean;
  readonly pex: boolean;
  readonly lsd: boolean;
  /** Share ratio at which a seeding torrent stops (seedLimitAction); null = none. */
  readonly seedRatioLimit: number | null;
  /** Seconds of seeding after which a torrent stops (seedLimitAction); null = none. */
  readonly seedTimeLimit: number | null;
  readonly seedLimitAction: 'pause' | 'remove';
  /**
   * Whom each torrent uploads to while downloading (docs/swarm.md): 'tit-for-tat' (default,
   * BEP 3, as every client) or 'tyrant' (BitTyrant: the peers that give most per byte, each
   * capped at what buys its reciprocation). Read when a torrent starts.
   */
  readonly choker: 'tit-for-tat' | 'tyrant';
  /** The tyrant's upload budget, bytes/s; 0: learnt from the measured upload (or the upload limit when one is set). */
  readonly tyrantUploadCapacity: number;
}

/** What `GET`/`PATCH /api/settings` answer: the settings in force, and which of them this run holds whatever is stored. */
export interface SettingsView extends Settings {
  /**
   * Settings a start-up flag holds for this run, with the flag (`{"dht": "--no-dht"}`): their
   * value above is the one in force; a PATCH of one is stored (for runs without the flag) but
   * changes nothing now.
   */
  readonly forced: Partial<Record<keyof Settings, string>>;
}

/** A daily window in local time, on the days it starts: from > to runs past midnight; from == to is the whole day. */
export interface AltSchedule {
  /** "HH:MM", 24-hour. */
  readonly from: string;
  readonly to: string;
  /** 0 Sunday .. 6 Saturday. */
  readonly days: readonly number[];
}

export interface SessionStats {
  readonly downloadRate: number;
  readonly uploadRate: number;
  /** Totals since the daemon's state was created (persisted). */
  readonly downloaded: number;
  readonly uploaded: number;
  readonly peers: number;
  readonly torrents: Readonly<Record<TorrentState, number>>;
  readonly listenAddress?: string;
  readonly dht: { readonly enabled: boolean; readonly nodes: number; readonly lookups: number };
  /** The alternative rate limits are in force (by hand or by schedule). */
  readonly altRateLimits: boolean;
  /** Port mapping on the router. */
  readonly nat: NatInfo;
}

/** What /metrics reports; counters only grow. */
export interface MetricsSnapshot {
  readonly bytesDownloaded: number;
  readonly bytesUploaded: number;
  readonly peers: number;
  readonly torrentsByState: Readonly<Record<TorrentState, number>>;
  readonly pieceHashFailures: number;
  readonly dhtNodes: number;
  readonly dhtLookups: number;
  /** Tracker announces by result. */
  readonly trackerAnnounces: { readonly success: number; readonly failure: number };
  /** Bytes waiting to be written to disk. */
  readonly diskQueueBytes: number;
  readonly nat: NatInfo;
}

export type ServiceEvent =
  | { readonly type: 'torrent-added'; readonly torrent: TorrentSummary }
  | { readonly type: 'torrent-removed'; readonly infoHash: TorrentId }
  /** Sent about once a second for every torrent whose summary changed. */
  | { readonly type: 'torrent-updated'; readonly torrent: TorrentSummary }
  | { readonly type: 'stats'; readonly stats: SessionStats };

/** A readable byte range of one file, served as its pieces are verified. */
export interface FileRangeStream {
  readonly fileLength: number;
  /** Yields the bytes of [start, end] (inclusive), waiting for pieces not yet verified. Ends early if aborted. */
  read(start: number, end: number, signal: AbortSignal): AsyncIterable<Uint8Array>;
}

/** Errors the service throws carry a status the API maps to HTTP. */
export class ServiceError extends Error {
  constructor(
    readonly status: 400 | 404 | 409 | 413 | 422,
    message: string,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

export interface TorrentService {
  list(query: ListQuery): TorrentPage;
  /** Resolves with the id; 409 if it is already there. */
  add(input: AddTorrentInput): Promise<TorrentId>;
  details(id: TorrentId, files?: FilePage): TorrentDetails; // 404 if unknown
  /** Loads a saved torrent's metainfo if it is not yet (off the event loop when large); the routes that read files call it before `details`, `trackers`, file priorities and streams. 404 if unknown. */
  loadMetadata(id: TorrentId): Promise<void>;
  pause(id: TorrentId): Promise<void>;
  resume(id: TorrentId): Promise<void>;
  remove(id: TorrentId, options: { deleteData: boolean }): Promise<void>;
  /** Sets this torrent's own rate limits (bytes/s, 0 = unlimited); returns them. */
  setTorrentLimits(id: TorrentId, limits: Partial<TorrentLimits>): Promise<TorrentLimits>;
  /** One priority per file index (0..7). */
  setFilePriorities(id: TorrentId, priorities: readonly { readonly index: number; readonly priority: number }[]): void;
  settings(): SettingsView;
  updateSettings(patch: Partial<Settings>): Promise<SettingsView>;
  stats(): SessionStats;
  metrics(): MetricsSnapshot;
  /** Switches the torrent to streaming priority around each range read. 404 unknown torrent or file. */
  openFile(id: TorrentId, fileIndex: number): FileRangeStream;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: ServiceEvent) => void): () => void;
  /** Fetches a .torrent (or takes a magnet:) from a URL and adds it. */
  addUrl(url: string, input: Omit<AddTorrentInput, 'magnet' | 'torrent'>): Promise<TorrentId>;
  /** Dials a peer (host:port) for this torrent; 409 while it does not run. */
  addPeer(id: TorrentId, address: string): Promise<void>;
  /** Re-verifies every piece (state 'checking' meanwhile). */
  recheck(id: TorrentId): Promise<void>;
  /** Announces to the trackers and looks the torrent up in the DHT now. */
  reannounce(id: TorrentId): Promise<void>;
  trackers(id: TorrentId): TrackerTiers;
  setTrackers(id: TorrentId, tiers: TrackerTiers): Promise<TrackerTiers>;
  /** Starts moving the data; resolves once the move started (state 'moving'). */
  move(id: TorrentId, savePath: string): Promise<void>;
  patchTorrent(id: TorrentId, patch: TorrentPatch): Promise<TorrentDetails>;
  renameFile(id: TorrentId, index: number, path: string): Promise<void>;
  categories(): readonly Category[];
  setCategory(name: string, savePath: string): Promise<Category>;
  deleteCategory(name: string): Promise<void>;
  bulk(action: BulkAction, ids: readonly TorrentId[], options: { deleteData: boolean }): Promise<Record<TorrentId, string>>;
  create(input: CreateTorrentInput): Promise<CreatedTorrent>;
}
