/**
 * The daemon's shapes as the page reads them: src/daemon/types.ts plus the fields of the
 * everyday-client routes (categories, seeding limits, transports, port mapping). They are
 * optional here so the page also works against a daemon that does not send them yet.
 */
import type { PeerInfo, SessionStats, Settings, TorrentDetails, TorrentSummary } from '../../src/daemon/types.js';

export type Summary = TorrentSummary & {
  readonly category?: string | null;
  readonly ratio?: number;
};

export type Peer = PeerInfo & {
  /** 'tcp', 'utp', or 'webseed' (an HTTP source, BEP 19). */
  readonly transport?: string;
  readonly url?: string;
};

export type Details = Omit<TorrentDetails, 'peerList'> & Summary & {
  readonly peerList: readonly Peer[];
  /** null follows the global setting, -1 is no limit for this torrent. */
  readonly seedRatioLimit?: number | null;
  /** Seconds; null follows the global setting, -1 is no limit. */
  readonly seedTimeLimit?: number | null;
  /** Seconds spent seeding. */
  readonly seedingTime?: number;
};

export type SeedLimitAction = 'pause' | 'remove';

export type FullSettings = Settings & {
  readonly listenPort?: number;
  readonly portMapping?: boolean;
  readonly utp?: boolean;
  readonly pex?: boolean;
  readonly lsd?: boolean;
  readonly seedRatioLimit?: number | null;
  readonly seedTimeLimit?: number | null;
  readonly seedLimitAction?: SeedLimitAction;
};

export interface PortMapping {
  readonly protocol: 'tcp' | 'udp';
  readonly internalPort: number;
  readonly externalPort: number | null;
  readonly method: 'upnp' | 'natpmp' | 'pcp' | null;
  readonly state: 'mapped' | 'pending' | 'failed' | 'off';
  readonly error?: string;
}

export interface NatStatus {
  readonly externalAddress: string | null;
  readonly mappings: readonly PortMapping[];
}

export type Stats = SessionStats & { readonly nat?: NatStatus };

/** Media a browser can usually play in a <video>/<audio> element, by file extension. */
export function isPlayable(path: string): boolean {
  return /\.(mp4|m4v|webm|ogv|mov|mkv|mp3|m4a|ogg|oga|opus|flac|wav|aac)$/i.test(path);
}
