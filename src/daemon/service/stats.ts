/** Session statistics and the metrics snapshot, summed over the torrents; summary change detection for events. */
import type { Dht } from '../../dht/dht.js';
import { formatAddress, type Address } from '../../runtime/types.js';
import { TORRENT_STATES, type MetricsSnapshot, type SessionStats, type TorrentState, type TorrentSummary } from '../types.js';
import type { DaemonCounters } from './runner.js';
import type { LifetimeTotals } from './state-store.js';
import type { TorrentEntry } from './torrent-entry.js';

export function sessionStats(entries: Iterable<TorrentEntry>, totals: LifetimeTotals, now: number, listen: Address | undefined, dht: { node: Dht | undefined; lookups: number }): Omit<SessionStats, 'altRateLimits' | 'nat'> {
  const torrents = Object.fromEntries(TORRENT_STATES.map((s) => [s, 0])) as Record<TorrentState, number>;
  let downloadRate = 0, uploadRate = 0, peers = 0;
  let { downloaded, uploaded } = totals;
  for (const e of entries) {
    torrents[e.state]++;
    const swarm = e.swarm;
    if (!swarm) continue;
    const s = e.summary(now);
    const moved = swarm.status();
    downloadRate += s.downloadRate;
    uploadRate += s.uploadRate;
    peers += s.peers;
    // What the running swarm moved since its counters were last folded into the totals.
    downloaded += moved.downloaded - e.folded.downloaded;
    uploaded += moved.uploaded - e.folded.uploaded;
  }
  return {
    downloadRate, uploadRate, downloaded, uploaded, peers, torrents,
    listenAddress: listen ? formatAddress(listen) : undefined,
    dht: { enabled: dht.node !== undefined, nodes: dht.node?.size ?? 0, lookups: dht.lookups },
  };
}

export function metricsSnapshot(s: SessionStats, entries: Iterable<TorrentEntry>, counters: DaemonCounters): MetricsSnapshot {
  let diskQueueBytes = 0;
  for (const e of entries) diskQueueBytes += e.swarm?.status().writeBacklog ?? 0;
  return {
    bytesDownloaded: s.downloaded, bytesUploaded: s.uploaded, peers: s.peers, torrentsByState: s.torrents,
    pieceHashFailures: counters.pieceHashFailures, dhtNodes: s.dht.nodes, dhtLookups: s.dht.lookups,
    trackerAnnounces: { success: counters.announceSuccess, failure: counters.announceFailure },
    diskQueueBytes, nat: s.nat,
  };
}

export function sameSummary(a: TorrentSummary, b: TorrentSummary): boolean {
  for (const k of Object.keys(b) as (keyof TorrentSummary)[]) if (a[k] !== b[k]) return false;
  return Object.keys(a).length === Object.keys(b).length;
}
