/** Session and DHT statistics, kept current by the event stream's `stats` events. */
import type { NatStatus, Stats } from './api-types.js';
import { formatBytes, formatCount, formatRate } from './format.js';
import { SpeedGraph, type RateSample } from './speed-graph.js';

/** `stale`: the daemon is away, so the figures are the last ones it sent. */
export function StatsBar({ stats, history, stale = false }: { stats: Stats | null; history: readonly RateSample[]; stale?: boolean }) {
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
      {stats.nat && <Stat label="Port mapping" value={natSummary(stats.nat)} title={natDetail(stats.nat)} />}
      {stats.nat?.natType && <Stat label="NAT" value={natTypeSummary(stats.nat)} title={natTypeDetail(stats.nat)} />}
      {stats.altRateLimits && <Stat label="Limits" value="alternative" />}
    </dl>
  );
}

const METHOD_NAMES = { upnp: 'UPnP', natpmp: 'NAT-PMP', pcp: 'PCP' } as const;

/** One line: "51413 via UPnP · 10.0.0.1", "trying…", "no gateway answered", or "off". */
export function natSummary(nat: NatStatus): string {
  const ms = nat.mappings;
  if (ms.length === 0 || ms.every((m) => m.state === 'off')) return 'off';
  const mapped = ms.filter((m) => m.state === 'mapped');
  if (mapped.length > 0) {
    const ports = [...new Set(mapped.map((m) => m.externalPort ?? m.internalPort))].join(', ');
    const via = mapped[0].method ? ` via ${METHOD_NAMES[mapped[0].method]}` : '';
    return `${ports}${via}${nat.externalAddress ? ` · ${nat.externalAddress}` : ''}`;
  }
  return ms.some((m) => m.state === 'pending') ? 'trying…' : 'failed';
}

/** One line from the external-address vote: "cone · 203.0.113.7", "symmetric · …", "unknown". */
export function natTypeSummary(nat: NatStatus): string {
  return `${nat.natType}${nat.votedAddress ? ` · ${nat.votedAddress}` : ''}`;
}

/** What the NAT type means for hole punching, and who voted. */
export function natTypeDetail(nat: NatStatus): string {
  const meaning = {
    open: 'reachable: no NAT, or the router maps our port',
    cone: 'the NAT keeps one port per endpoint: hole punching works',
    symmetric: 'the NAT maps a new port per destination: hole punching cannot work',
    unknown: 'not enough reports yet to tell what the NAT does',
  }[nat.natType];
  const v = nat.votes;
  return `${meaning}\nhole punching (BEP 55): ${nat.holepunch}\nvotes: ${v.peer} peers, ${v.dht} DHT nodes, ${v.tracker} trackers, ${v.portMapping} router`;
}

function natDetail(nat: NatStatus): string {
  return nat.mappings.map((m) => `${m.protocol.toUpperCase()} ${m.internalPort}: ${m.state}${m.externalPort ? ` → ${m.externalPort}` : ''}${m.method ? ` (${METHOD_NAMES[m.method]})` : ''}${m.error ? ` — ${m.error}` : ''}`).join('\n');
}

function Stat({ label, value, class: cls, title }: { label: string; value: string; class?: string; title?: string }) {
  return (
    <div class={cls} title={title}>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}
