/** Session and DHT statistics, kept current by the event stream's `stats` events. */
import type { SessionStats } from '../../src/daemon/types.js';
import { formatBytes, formatCount, formatRate } from './format.js';
import { SpeedGraph, type RateSample } from './speed-graph.js';

/** `stale`: the daemon is away, so the figures are the last ones it sent. */
export function StatsBar({ stats, history, stale = false }: { stats: SessionStats | null; history: readonly RateSample[]; stale?: boolean }) {
  if (!stats) return <div class="stats" aria-label="Session statistics">Loading statistics…</div>;
  const torrents = Object.values(stats.torrents).reduce((a, b) => a + b, 0);
  return (
    <dl class={stale ? 'stats stale' : 'stats'} aria-label="Session statistics">
      <Stat label="Down" value={formatRate(stats.downloadRate, '0 B/s')} class="down" />
      <Stat label="Up" value={formatRate(stats.uploadRate, '0 B/s')} class="up" />
      <div class="graph"><SpeedGraph samples={history} width={120} height={22} compact /></div>
      <Stat label="Downloaded" value={formatBytes(stats.downloaded)} />
      <Stat label="Uploaded" value={formatBytes(stats.uploaded)} />
      <Stat label="Peers" value={formatCount(stats.peers)} />
      <Stat label="Torrents" value={formatCount(torrents)} />
      <Stat label="DHT" value={stats.dht.enabled ? `${formatCount(stats.dht.nodes)} nodes · ${formatCount(stats.dht.lookups)} lookups` : 'off'} />
      {stats.listenAddress && <Stat label="Listening" value={stats.listenAddress} />}
      {stats.altRateLimits && <Stat label="Limits" value="alternative" />}
    </dl>
  );
}

function Stat({ label, value, class: cls }: { label: string; value: string; class?: string }) {
  return (
    <div class={cls}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}
