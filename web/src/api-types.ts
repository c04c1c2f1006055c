/** The daemon's shapes as the page reads them (src/daemon/types.ts). */
import type { NatInfo, PeerInfo, SessionStats, Settings, TorrentDetails, TorrentSummary } from '../../src/daemon/types.js';

export type Summary = TorrentSummary;

export type Peer = PeerInfo;
export type Details = TorrentDetails;
export type FullSettings = Settings;
export type NatStatus = NatInfo;
export type Stats = SessionStats;

/** Media a browser can usually play in a <video>/<audio> element, by file extension. */
export function isPlayable(path: string): boolean {
  return /\.(mp4|m4v|webm|ogv|mov|mkv|mp3|m4a|ogg|oga|opus|flac|wav|aac)$/i.test(path);
}
