/**
 * The hint `shoal get` prints when it has found no peer after a while: which of its ways to
 * find peers (trackers, the DHT, --peer) came up empty, and what the user can do about it.
 * The download keeps waiting; the hint is printed once.
 */
import type { AnnouncerEvent } from '../tracker/announcer.js';

/** Seconds of no peer before the hint (`SHOAL_PEER_HINT_SECONDS` overrides). */
export const PEER_HINT_DEFAULT_SECONDS = 30;

export type TrackerState = 'none' | 'pending' | 'failing' | 'answered';
export type DhtState = 'off' | 'starting' | 'unavailable' | 'running';

/** What each peer source has done so far. */
export interface PeerSourceState {
  trackers: TrackerState;
  /** Peers the trackers listed, all replies together. */
  trackerPeers: number;
  dht: DhtState;
  /** `--peer` addresses given. */
  manualPeers: readonly string[];
}

export function newPeerSourceState(o: { trackers: boolean; dht: boolean; manualPeers: readonly string[] }): PeerSourceState {
  return { trackers: o.trackers ? 'pending' : 'none', trackerPeers: 0, dht: o.dht ? 'starting' : 'off', manualPeers: o.manualPeers };
}

/** Folds one announcer event into the state. */
export function noteTrackerEvent(s: PeerSourceState, e: AnnouncerEvent): void {
  if (e.type === 'announced') {
    s.trackers = 'answered';
    s.trackerPeers += e.response.peers.length;
  } else if (e.type === 'all-failed' && s.trackers !== 'answered') s.trackers = 'failing';
}

/** One line saying why no peer has been found and what to try. */
export function noPeersHint(s: PeerSourceState): string {
  const why: string[] = [];
  if (s.trackers === 'none') why.push('the torrent has no trackers');
  else if (s.trackers === 'failing') why.push('its trackers did not answer');
  else if (s.trackers === 'pending') why.push('its trackers have not answered yet');
  else if (s.trackerPeers === 0) why.push('its trackers listed no peers');
  else why.push(`none of the ${s.trackerPeers} peers its trackers listed could be reached`);
  if (s.dht === 'off') why.push('the DHT is off (--no-dht)');
  else if (s.dht === 'unavailable') why.push('the DHT could not start (no bootstrap node could be resolved)');
  else if (s.dht === 'starting') why.push('the DHT is still joining');
  else why.push('the DHT found nobody');
  if (s.manualPeers.length > 0) why.push(`--peer ${s.manualPeers.join(', ')} did not connect`);
  const dhtTry = s.dht === 'off' || s.dht === 'unavailable' ? ' or --dht-bootstrap HOST:PORT' : '';
  const tries = s.manualPeers.length > 0
    ? `check that the peer is running and reachable${dhtTry ? `, or try${dhtTry.slice(3)}` : ''}`
    : `try --peer HOST:PORT${dhtTry}`;
  return `no peers found yet: ${joinAnd(why)}; still waiting (${tries})`;
}

function joinAnd(parts: readonly string[]): string {
  return parts.length <= 1 ? parts.join('') : `${parts.slice(0, -1).join(', ')} and ${parts[parts.length - 1]}`;
}

/** The delay before the hint, from `SHOAL_PEER_HINT_SECONDS` (0 turns it off) or the default. */
export function peerHintDelayMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env.SHOAL_PEER_HINT_SECONDS;
  const n = raw === undefined || raw === '' ? PEER_HINT_DEFAULT_SECONDS : Number(raw);
  if (!Number.isFinite(n) || n < 0) return PEER_HINT_DEFAULT_SECONDS * 1000;
  return n === 0 ? undefined : n * 1000;
}
