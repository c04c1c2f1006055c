/** `shoal tracker [--http HOST:PORT] [--udp HOST:PORT] [--allow-list FILE] [limits]`: run a BitTorrent tracker. */
import type { Command } from 'commander';
import { createNodeRuntime } from '../runtime/node/index.js';
import { formatAddress } from '../runtime/types.js';
import { TRACKER_DEFAULTS } from '../tracker/server-core.js';
import { TrackerListenError } from '../tracker/errors.js';
import { DEFAULT_MAX_HTTP_CONNECTIONS, startTrackerServer, type TrackerServer, type TrackerServerOptions } from '../tracker/server.js';
import { ShoalError } from '../errors.js';
import { UsageError } from './errors.js';
import { parseHostPort } from './net-args.js';

interface TrackerFlags {
  http?: string;
  udp?: string;
  allowList?: string;
  interval: string;
  minInterval?: string;
  peerTimeout?: string;
  numwant: string;
  defaultNumwant?: string;
  maxPeers: string;
  maxPeersPerTorrent: string;
  maxTorrents: string;
  maxEntriesPerIp: string;
  maxEntriesPerIpPerTorrent: string;
  maxScrapeHashes: string;
  maxFullScrapeTorrents: string;
  fullScrapeCache: string;
  maxHttpConnections: string;
  httpHeadersTimeout: string;
}

/** The tracker's options without its runtime: what the flags set. */
export type TrackerFlagOptions = Omit<TrackerServerOptions, 'runtime'>;

/**
 * Longest interval, peer timeout and headers timeout, seconds (7 days). The expiry sweep runs
 * every timeout / 4 and Node's timers cannot wait past 2^31 ms (~24.8 days): a longer one
 * fires at once, and the sweep would spin.
 */
export const MAX_TRACKER_SECONDS = 7 * 86_400;
/**
 * Most peers one reply may list (`--numwant`): 2000 IPv6 peers are 36 KB, within one UDP
 * datagram (BEP 15 replies are one packet); the reply buffers are allocated for it at start.
 */
export const MAX_TRACKER_NUMWANT = 2000;
const DEFAULT_HEADERS_TIMEOUT_S = 10;

/** `v` as an integer from `min` to `max`, or a UsageError naming the flag and the range. */
function intFlag(v: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(v.trim()) ? Number(v.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 0 ? 'a non-negative integer' : `an integer of at least ${min}`) : `an integer from ${min} to ${max}`;
    throw new UsageError(`${flag} must be ${range} (got "${v}")`);
  }
  return n;
}

/** Maps and checks the flags (pure: no sockets), so a bad value fails before anything is bound. */
export function trackerOptionsFromFlags(flags: TrackerFlags): TrackerFlagOptions {
  if (!flags.http && !flags.udp) throw new UsageError('tracker needs --http and/or --udp');
  const intervalSeconds = intFlag(flags.interval, '--interval', 1, MAX_TRACKER_SECONDS);
  const minIntervalSeconds = flags.minInterval === undefined ? undefined : intFlag(flags.minInterval, '--min-interval', 1, intervalSeconds);
  const peerTimeoutSeconds = flags.peerTimeout === undefined ? undefined : intFlag(flags.peerTimeout, '--peer-timeout', 1, MAX_TRACKER_SECONDS);
  const maxNumwant = intFlag(flags.numwant, '--numwant', 0, MAX_TRACKER_NUMWANT);
  const defaultNumwant = flags.defaultNumwant === undefined ? Math.min(50, maxNumwant) : intFlag(flags.defaultNumwant, '--default-numwant', 0, maxNumwant);
  return {
    http: flags.http ? parseHostPort(flags.http, '--http') : undefined,
    udp: flags.udp ? parseHostPort(flags.udp, '--udp') : undefined,
    allowListFile: flags.allowList,
    intervalSeconds,
    minIntervalSeconds,
    peerTimeoutSeconds,
    maxNumwant,
    defaultNumwant,
    maxPeers: intFlag(flags.maxPeers, '--max-peers', 1),
    maxPeersPerTorrent: intFlag(flags.maxPeersPerTorrent, '--max-peers-per-torrent', 1),
    maxTorrents: intFlag(flags.maxTorrents, '--max-torrents', 1),
    maxEntriesPerIp: intFlag(flags.maxEntriesPerIp, '--max-entries-per-ip', 1),
    maxEntriesPerIpPerTorrent: intFlag(flags.maxEntriesPerIpPerTorrent, '--max-entries-per-ip-per-torrent', 1),
    maxScrapeHashes: intFlag(flags.maxScrapeHashes, '--max-scrape-hashes', 1),
    maxFullScrapeTorrents: intFlag(flags.maxFullScrapeTorrents, '--max-full-scrape-torrents', 0),
    fullScrapeCacheSeconds: intFlag(flags.fullScrapeCache, '--full-scrape-cache', 0, MAX_TRACKER_SECONDS),
    maxHttpConnections: intFlag(flags.maxHttpConnections, '--max-http-connections', 1),
    httpHeadersTimeoutMs: intFlag(flags.httpHeadersTimeout, '--http-headers-timeout', 1, MAX_TRACKER_SECONDS) * 1000,
  };
}

/** Runs the tracker until SIGINT or SIGTERM. */
async function runTracker(options: TrackerFlagOptions): Promise<void> {
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
}

/** Registers `shoal tracker`; `run` is what the parsed options are handed to (tests pass their own). */
export function registerTracker(program: Command, run: (options: TrackerFlagOptions) => Promise<void> = runTracker): void {
  const d = TRACKER_DEFAULTS;
  program
    .command('tracker')
    .description('run a BitTorrent tracker (HTTP and/or UDP announce and scrape, /stats as JSON)')
    .option('--http <host:port>', 'serve HTTP announce/scrape/stats here')
    .option('--udp <host:port>', 'serve UDP (BEP 15) announce/scrape here')
    .option('--allow-list <file>', 'only track these info hashes (hex, one per line; reloaded on change)')
    .option('--interval <seconds>', `announce interval sent to clients (1 to ${MAX_TRACKER_SECONDS})`, '1800')
    .option('--min-interval <seconds>', '"min interval" sent to clients, at most --interval (default: half of it)')
    .option('--peer-timeout <seconds>', 'a peer not heard from for this long is dropped (default: 1.5 x --interval)')
    .option('--numwant <n>', `most peers returned per announce (0 to ${MAX_TRACKER_NUMWANT})`, '200')
    .option('--default-numwant <n>', 'peers returned when the client does not say, at most --numwant (default: 50)')
    .option('--max-peers <n>', 'peers kept overall; beyond it announces are answered but not stored', String(d.maxPeers))
    .option('--max-peers-per-torrent <n>', 'peers kept per torrent; beyond it announces are answered but not stored', String(d.maxPeersPerTorrent))
    .option('--max-torrents <n>', 'torrents tracked; announces for new ones beyond it get a failure', String(d.maxTorrents))
    .option('--max-entries-per-ip <n>', 'peer entries one address (IPv6: one /64) may hold over all torrents; beyond it its announces are not stored and new torrents are refused', String(d.maxEntriesPerIp))
    .option('--max-entries-per-ip-per-torrent <n>', 'peer entries (ports) one address (IPv6: one /64) may hold in one torrent; beyond it its new ports are answered but not stored', String(d.maxEntriesPerIpPerTorrent))
    .option('--max-scrape-hashes <n>', 'info hashes answered per scrape; the rest are left out (74 fill one UDP packet)', String(d.maxScrapeHashes))
    .option('--max-full-scrape-torrents <n>', 'torrents listed by a full scrape (/scrape with no info_hash; 0: none)', String(d.maxFullScrapeTorrents))
    .option('--full-scrape-cache <seconds>', 'a full scrape is built at most once in this many seconds and reused meanwhile (0: every time)', String(d.fullScrapeCacheSeconds))
    .option('--max-http-connections <n>', 'open HTTP connections at most; more are closed as they arrive (keep it under the file-descriptor limit, ulimit -n)', String(DEFAULT_MAX_HTTP_CONNECTIONS))
    .option('--http-headers-timeout <seconds>', 'an HTTP connection that has not sent its request headers by then is closed', String(DEFAULT_HEADERS_TIMEOUT_S))
    .action(async (flags: TrackerFlags) => run(trackerOptionsFromFlags(flags)));
}
