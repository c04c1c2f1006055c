/** `shoal tracker [--http HOST:PORT] [--udp HOST:PORT] [--allow-list FILE] [caps]`: run a BitTorrent tracker. */
import type { Command } from 'commander';
import { createNodeRuntime } from '../runtime/node/index.js';
import { formatAddress, type Runtime } from '../runtime/types.js';
import type { Swarm } from '../swarm/swarm.js';
import { Announcer, TrackerClient, type AnnouncerEvent, type TransferCounters } from '../tracker/announcer.js';
import { TRACKER_DEFAULTS } from '../tracker/server-core.js';
import { TrackerListenError } from '../tracker/errors.js';
import { startTrackerServer, type TrackerServer } from '../tracker/server.js';
import { ShoalError } from '../errors.js';
import { UsageError } from './errors.js';
import { parseHostPort } from './net-args.js';

interface TrackerFlags {
  http?: string;
  udp?: string;
  allowList?: string;
  interval: string;
  numwant: string;
  maxPeers: string;
  maxPeersPerTorrent: string;
  maxTorrents: string;
  maxEntriesPerIp: string;
}

function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`${flag} must be a positive integer`);
  return n;
}

export function registerTracker(program: Command): void {
  program
    .command('tracker')
    .description('run a BitTorrent tracker (HTTP and/or UDP announce and scrape, /stats as JSON)')
    .option('--http <host:port>', 'serve HTTP announce/scrape/stats here')
    .option('--udp <host:port>', 'serve UDP (BEP 15) announce/scrape here')
    .option('--allow-list <file>', 'only track these info hashes (hex, one per line; reloaded on change)')
    .option('--interval <seconds>', 'announce interval sent to clients', '1800')
    .option('--numwant <n>', 'most peers returned per announce', '200')
    .option('--max-peers <n>', 'peers kept overall; beyond it announces are answered but not stored', String(TRACKER_DEFAULTS.maxPeers))
    .option('--max-peers-per-torrent <n>', 'peers kept per torrent; beyond it announces are answered but not stored', String(TRACKER_DEFAULTS.maxPeersPerTorrent))
    .option('--max-torrents <n>', 'torrents tracked; announces for new ones beyond it get a failure', String(TRACKER_DEFAULTS.maxTorrents))
    .option('--max-entries-per-ip <n>', 'peer entries one address (IPv6: one /64) may hold over all torrents; beyond it its announces are not stored and new torrents are refused', String(TRACKER_DEFAULTS.maxEntriesPerIp))
    .action(async (flags: TrackerFlags) => {
      if (!flags.http && !flags.udp) throw new UsageError('tracker needs --http and/or --udp');
      const interval = positiveInt(flags.interval, '--interval');
      const maxNumwant = Number(flags.numwant);
      if (!Number.isInteger(maxNumwant) || maxNumwant < 0) throw new UsageError('--numwant must be a non-negative integer');
      const options = {
        http: flags.http ? parseHostPort(flags.http, '--http') : undefined,
        udp: flags.udp ? parseHostPort(flags.udp, '--udp') : undefined,
        allowListFile: flags.allowList,
        intervalSeconds: interval,
        maxNumwant,
        defaultNumwant: Math.min(50, maxNumwant),
        maxPeers: positiveInt(flags.maxPeers, '--max-peers'),
        maxPeersPerTorrent: positiveInt(flags.maxPeersPerTorrent, '--max-peers-per-torrent'),
        maxTorrents: positiveInt(flags.maxTorrents, '--max-torrents'),
        maxEntriesPerIp: positiveInt(flags.maxEntriesPerIp, '--max-entries-per-ip'),
      };
      const runtime = createNodeRuntime();
      let server: TrackerServer;
      try {
        server = await startTrackerServer({ runtime, ...options });
      } catch (e) {
        runtime.close();
        if (e instanceof TrackerListenError) throw new ShoalError(`--${e.transport} ${e.address}: ${e.problem}${e.code === 'EADDRINUSE' ? ' (another program is listening there; choose another port)' : ''}`, { cause: e });
        throw e;
      }
      if (server.http) process.stdout.write(`http tracker on http://${formatAddress(server.http.address)}/announce\n`);
      if (server.udp) process.stdout.write(`udp tracker on udp://${formatAddress(server.udp.address)}/announce\n`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      await server.close();
      runtime.close();
    });
}

// ---- the client side used by `shoal get` / `shoal seed` ----

export interface SwarmAnnouncer {
  /** Announce `completed` (only when the swarm started incomplete). */
  completed(): void;
  /** Announce now (a regular announce, no event). */
  announceNow(): void;
  /** Announce `stopped` (bounded by `stopDeadlineMs`), stop re-announcing and cancel whatever is in flight. */
  stop(): Promise<void>;
}

/** How long the `stopped` announce on exit may take, an announce still in flight included (default). */
export const STOPPED_ANNOUNCE_DEADLINE_MS = 3000;

export interface SwarmAnnouncerOptions {
  readonly runtime: Runtime;
  readonly swarm: Swarm;
  readonly peerId: Uint8Array;
  readonly port: number;
  /** Our listen host: UDP announces leave from it, since a tracker lists the address a request came from. */
  readonly host?: string;
  readonly tiers: readonly (readonly string[])[];
  /** Every announcer event (the daemon keeps per-tracker status from them). */
  readonly onEvent?: (e: AnnouncerEvent) => void;
  /** Overall deadline of `stop()` (default `STOPPED_ANNOUNCE_DEADLINE_MS`): an unreachable tracker cannot hold up exit. */
  readonly stopDeadlineMs?: number;
}

/** Starts announcing a swarm to its trackers; a no-op when there are none. */
export function startSwarmAnnouncer(o: SwarmAnnouncerOptions): SwarmAnnouncer | undefined {
  const infoHash = o.swarm.infoHashV1 ?? o.swarm.infoHashV2?.subarray(0, 20);
  if (!infoHash || o.tiers.every((t) => t.length === 0)) return undefined;
  const udpBind = o.host && o.host !== '0.0.0.0' && o.host !== '::' ? { host: o.host, port: 0 } : undefined;
  const client = new TrackerClient({ clock: o.runtime.clock, random: o.runtime.random, udp: o.runtime.udp, httpTimeoutMs: 10_000, udpMaxRetries: 2, udpBind });
  const counters = (): TransferCounters => {
    const s = o.swarm.stats();
    return { uploaded: s.uploaded, downloaded: s.downloaded, left: s.bytesTotal === 0 ? Number.MAX_SAFE_INTEGER : Math.max(0, s.bytesTotal - s.bytesHave) };
  };
  const startedIncomplete = counters().left > 0;
  let sentCompleted = false;
  const verbose = process.env.SHOAL_TRACKER_LOG === '1';
  const announcer = new Announcer({
    client,
    clock: o.runtime.clock,
    random: o.runtime.random,
    tiers: o.tiers,
    infoHash,
    peerId: o.peerId,
    port: o.port,
    counters,
    onPeers: (peers) => {
      for (const p of peers) if (p.port !== o.port || !isLocal(p.host)) o.swarm.addPeer({ host: p.host, port: p.port }, 'tracker');
    },
    onEvent: (e) => {
      o.onEvent?.(e);
      if (e.type === 'warning') process.stderr.write(`tracker warning from ${e.url}: ${e.message}\n`);
      if (verbose && e.type === 'tracker-error') process.stderr.write(`tracker ${e.url}: ${e.error.message}\n`);
      if (verbose && e.type === 'announced') process.stderr.write(`tracker ${e.url}: ${e.event}, ${e.response.peers.length} peers, interval ${e.response.interval}s\n`);
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
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<void>((r) => (timer = setTimeout(r, o.stopDeadlineMs ?? STOPPED_ANNOUNCE_DEADLINE_MS)));
      await Promise.race([announcer.stop(), deadline]);
      clearTimeout(timer);
      // Cancels requests still waiting (UDP retransmits, HTTP fetches): nothing keeps the process alive.
      client.close();
    },
  };
}

function isLocal(host: string): boolean {
  return host === '127.0.0.1' || host === '::1';
}
