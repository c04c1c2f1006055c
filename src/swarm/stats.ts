/** A swarm's figures at one moment: rates summed over its peers, totals, pieces and bytes had. */
import type { Torrent } from '../metainfo/torrent.js';
import type { PeerSession } from './peer-session.js';
import type { PiecePicker } from './piece-picker.js';
import type { Fetcher } from './webseed-session.js';
import type { SwarmStats } from './types.js';

export interface StatsSource {
  readonly peers: ReadonlyMap<string, PeerSession>;
  readonly totals: { readonly downloaded: number; readonly uploaded: number; readonly wasted: number };
  readonly picker: PiecePicker<Fetcher> | undefined;
  readonly torrent: Torrent | undefined;
  readonly bans: { readonly size: number };
}

export function swarmStats(s: StatsSource, now: number): SwarmStats {
  let down = 0, up = 0;
  for (const p of s.peers.values()) {
    down += p.download.rate(now);
    up += p.upload.rate(now);
  }
  const { downloaded, uploaded, wasted } = s.totals;
  const picker = s.picker, t = s.torrent;
  let bytesHave = 0;
  if (picker && t) for (const i of picker.have.indices()) bytesHave += t.layout.pieceSize(i);
  return {
    peers: s.peers.size, downloadRate: down, uploadRate: up, downloaded, uploaded, wasted,
    have: picker?.have.count ?? 0, total: t?.pieceCount ?? 0,
    bytesHave: Math.min(bytesHave, t?.length ?? 0), bytesTotal: t?.length ?? 0,
    banned: s.bans.size, complete: picker?.done ?? false,
  };
}
