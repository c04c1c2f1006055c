/**
 * A swarm's trackers: announces `started`, periodic ones, `completed` and `stopped` (BEP 3,
 * tiers per BEP 12) and hands the peers they list to the swarm. HTTP and UDP announces
 * leave from the listen host when it is a concrete address, so a tracker records an
 * address that answers (issue 13).
 */
import type { Runtime, TimerHandle } from '../runtime/types.js';
import type { Swarm } from '../swarm/swarm.js';
import { Announcer, TrackerClient, type AnnouncerEvent, type TransferCounters } from '../tracker/announcer.js';
import { SILENT_LOGGER, type Logger } from './logger.js';

export interface SwarmAnnouncer {
  /** Announce `completed` (only when the swarm started incomplete). */
  completed(): void;
  /** Announce now (a regular announce, no event): a user's "reannounce". */
  announceNow(): void;
  /** Announce `stopped` (bounded by `stopDeadlineMs`), stop re-announcing and cancel whatever is in flight. */
  stop(): Promise<void>;
}

/** How long the `stopped` announce on exit may take, an announce still in flight included (default). */
export const STOPPED_ANNOUNCE_DEADLINE_MS = 3000;

export interface SwarmAnnouncerOptions {
  readonly runtime: Runtime;
  readonly swarm: Pick<Swarm, 'infoHashV1' | 'infoHashV2' | 'stats' | 'addPeer'>;
  readonly peerId: Uint8Array;
  readonly port: number;
  /** Our listen host: announces leave from it, since a tracker lists the address a request came from. */
  readonly host?: string;
  readonly tiers: readonly (readonly string[])[];
  /** Every announcer event (the daemon keeps per-tracker status from them). */
  readonly onEvent?: (e: AnnouncerEvent) => void;
  /** Overall deadline of `stop()` (default `STOPPED_ANNOUNCE_DEADLINE_MS`): an unreachable tracker cannot hold up exit. */
  readonly stopDeadlineMs?: number;
  /** Tracker warnings (info) and every announce and failure (debug). */
  readonly logger?: Logger;
  /** Peers asked of each tracker per announce (default 50). */
  readonly numwant?: number;
}

/** The local address announces are bound to: the listen host unless it is a wildcard. */
export function announceBindHost(host: string | undefined): string | undefined {
  return host && host !== '0.0.0.0' && host !== '::' ? host : undefined;
}

/** Starts announcing a swarm to its trackers; undefined (nothing to do) when there are none. */
export function startSwarmAnnouncer(o: SwarmAnnouncerOptions): SwarmAnnouncer | undefined {
  const infoHash = o.swarm.infoHashV1 ?? o.swarm.infoHashV2?.subarray(0, 20);
  if (!infoHash || o.tiers.every((t) => t.length === 0)) return undefined;
  const log = o.logger ?? SILENT_LOGGER;
  const bindHost = announceBindHost(o.host);
  const client = new TrackerClient({
    clock: o.runtime.clock, random: o.runtime.random, udp: o.runtime.udp, dns: o.runtime.dns, http: o.runtime.http,
    httpTimeoutMs: 10_000, udpMaxRetries: 2,
    udpBind: bindHost ? { host: bindHost, port: 0 } : undefined,
    httpLocalHost: bindHost,
  });
  const counters = (): TransferCounters => {
    const s = o.swarm.stats();
    return { uploaded: s.uploaded, downloaded: s.downloaded, left: s.bytesTotal === 0 ? Number.MAX_SAFE_INTEGER : Math.max(0, s.bytesTotal - s.bytesHave) };
  };
  const startedIncomplete = counters().left > 0;
  let sentCompleted = false;
  const announcer = new Announcer({
    client,
    clock: o.runtime.clock,
    random: o.runtime.random,
    tiers: o.tiers,
    infoHash,
    peerId: o.peerId,
    port: o.port,
    numwant: o.numwant,
    counters,
    onPeers: (peers) => {
      for (const p of peers) if (p.port !== o.port || !isLocal(p.host)) o.swarm.addPeer({ host: p.host, port: p.port }, 'tracker');
    },
    onEvent: (e) => {
      o.onEvent?.(e);
      if (e.type === 'warning') log.info(`tracker warning from ${e.url}: ${e.message}`);
      if (e.type === 'tracker-error') log.debug(`tracker ${e.url}: ${e.error.message}`);
      if (e.type === 'announced') log.debug(`tracker ${e.url}: ${e.event}, ${e.response.peers.length} peers, interval ${e.response.interval}s`);
    },
  });
  announcer.start();
  return {
    announceNow: () => announcer.announceNow(),
    completed: () => {
      if (!startedIncomplete || sentCompleted) return;
      sentCompleted = true;
      announcer.completed();
    },
    stop: async () => {
      let timer: TimerHandle | undefined;
      const deadline = new Promise<void>((r) => (timer = o.runtime.clock.setTimer(o.stopDeadlineMs ?? STOPPED_ANNOUNCE_DEADLINE_MS, r)));
      await Promise.race([announcer.stop(), deadline]);
      timer?.cancel();
      // Cancels requests still waiting (UDP retransmits, HTTP fetches): nothing keeps the process alive.
      client.close();
    },
  };
}

function isLocal(host: string): boolean {
  return host === '127.0.0.1' || host === '::1';
}
