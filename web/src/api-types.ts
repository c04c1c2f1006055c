/** The daemon's shapes as the page reads them (src/daemon/types.ts). */
import type { NatInfo, PeerInfo, SessionStats, SettingsView, TorrentDetails, TorrentSummary } from '../../src/daemon/types.js';

export type Summary = TorrentSummary;

export type Peer = PeerInfo;
export type Details = TorrentDetails;
/** The settings in force; `forced` names those a start-up flag holds for this run (absent from older daemons). */
export type FullSettings = Omit<SettingsView, 'forced'> & Partial<Pick<SettingsView, 'forced'>>;
export type NatStatus = NatInfo;
export type Stats = SessionStats;

/** Media a browser can usually play in a <video>/<audio> element, by file extension. */
export function isPlayable(path: string): boolean {
  return /\.(mp4|m4v|webm|ogv|mov|mkv|mp3|m4a|ogg|oga|opus|flac|wav|aac)$/i.test(path);
}
