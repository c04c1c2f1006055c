/** What the tracker server's core (`TrackerCore`, server-core.ts) takes, with the defaults of its limits. */
import type { Clock, Random } from '../runtime/types.js';

export interface TrackerCoreOptions {
  readonly clock: Clock;
  readonly random: Random;
  /** Announce interval sent to clients, seconds (default 1800). */
  readonly intervalSeconds?: number;
  /** `min interval`, seconds (default interval / 2). */
  readonly minIntervalSeconds?: number;
  /** Peers returned when the client does not say (default 50). */
  readonly defaultNumwant?: number;
  /** The most peers ever returned (default 200). */
  readonly maxNumwant?: number;
  /** A peer that has not announced for this long is dropped (default 1.5 × interval). */
  readonly peerTimeoutSeconds?: number;
  /** Cap on torrents tracked (default 1,000,000); new ones beyond it are refused. */
  readonly maxTorrents?: number;
  /** Cap on peers kept per torrent (default 100,000). */
  readonly maxPeersPerTorrent?: number;
  /** Cap on peers kept overall (default 4,000,000). */
  readonly maxPeers?: number;
  /**
   * Cap on peer entries kept for one source (an IPv4 address or an IPv6 /64) over all
   * torrents (default 10,000). Beyond it the source's announces for torrents already tracked
   * are answered but not stored, and for new torrents refused.
   */
  readonly maxEntriesPerIp?: number;
  /**
   * Cap on peer entries one source keeps in one torrent (default 4). A peer is its address and
   * port, as opentracker keys it, so a flood of peer ids from one address is one entry, but one
   * address announcing from many ports would fill a torrent's list and every reply with itself
   * (a Sybil at the index). Clients dial few of one IP anyway: libtorrent one, Shoal
   * `maxPeersPerIp` (4). Past it the source's new ports are answered but not stored, so no
   * reply ever lists more than this many entries of one source.
   */
  readonly maxEntriesPerIpPerTorrent?: number;
  /**
   * Info hashes answered per scrape (default 74: what one BEP 15 UDP packet carries; opentracker
   * answers 64). An HTTP scrape naming more gets the counts of the first 74 only.
   */
  readonly maxScrapeHashes?: number;
  /** Torrents listed by a full scrape (`/scrape` with no info hash; default 1000). */
  readonly maxFullScrapeTorrents?: number;
  /**
   * A full scrape is built at most once in this many seconds (default 30) and the same counts
   * given to every full scrape meanwhile, so a flood of them costs no more than one.
   */
  readonly fullScrapeCacheSeconds?: number;
}

export const TRACKER_DEFAULTS = {
  maxTorrents: 1_000_000, maxPeersPerTorrent: 100_000, maxPeers: 4_000_000, maxEntriesPerIp: 10_000, maxEntriesPerIpPerTorrent: 4,
  maxScrapeHashes: 74, maxFullScrapeTorrents: 1000, fullScrapeCacheSeconds: 30,
} as const;
