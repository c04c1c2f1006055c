/** `shoal tracker [--http HOST:PORT] [--udp HOST:PORT] [--allow-list FILE] [caps]`: run a BitTorrent tracker. */
import type { Command } from 'commander';
import { createNodeRuntime } from '../runtime/node/index.js';
import { formatAddress } from '../runtime/types.js';
import { TRACKER_DEFAULTS } from '../tracker/server-core.js';
import { TrackerListenError } from '../tracker/errors.js';
import { DEFAULT_MAX_HTTP_CONNECTIONS, startTrackerServer, type TrackerServer } from '../tracker/server.js';
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
  maxEntriesPerIpPerTorrent: string;
  maxHttpConnections: string;
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
    .option('--max-entries-per-ip-per-torrent <n>', 'peer entries (ports) one address (IPv6: one /64) may hold in one torrent; beyond it its new ports are answered but not stored', String(TRACKER_DEFAULTS.maxEntriesPerIpPerTorrent))
    .option('--max-http-connections <n>', 'open HTTP connections at most; more are closed as they arrive (keep it under the file-descriptor limit, ulimit -n)', String(DEFAULT_MAX_HTTP_CONNECTIONS))
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
        maxEntriesPerIpPerTorrent: positiveInt(flags.maxEntriesPerIpPerTorrent, '--max-entries-per-ip-per-torrent'),
        maxHttpConnections: positiveInt(flags.maxHttpConnections, '--max-http-connections'),
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
