/**
 * `shoal daemon`: many torrents in one session, served over the HTTP API and the web UI,
 * with its state (torrents, resume data, settings, statistics) in a state directory.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { DaemonService } from '../daemon/service/service.js';
import { startApiServer } from '../daemon/http/server.js';
import { loadOrCreateToken } from '../daemon/http/token.js';
import { createNodeRuntime } from '../runtime/node/index.js';
import { formatAddress } from '../runtime/types.js';
import { collect, parseHostPort } from './net-args.js';

interface DaemonFlags {
  stateDir?: string;
  api: string;
  downloadDir?: string;
  listen: string;
  dhtBootstrap: string[];
  /** commander's --no-dht sets dht to false. */
  dht: boolean;
}

/** `$XDG_DATA_HOME/shoal`, else `~/.local/share/shoal`. */
export function defaultDaemonStateDir(): string {
  // An empty or relative XDG_DATA_HOME is to be ignored (XDG Base Directory spec).
  const xdg = process.env.XDG_DATA_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'share'), 'shoal');
}

export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description('run the torrent daemon: many torrents, the HTTP API and the web UI')
    .option('--state-dir <dir>', 'torrents, resume data, settings and the API token (default $XDG_DATA_HOME/shoal or ~/.local/share/shoal)')
    .option('--api <host:port>', 'serve the HTTP API and web UI here', '127.0.0.1:7878')
    .option('--download-dir <dir>', 'default save path for new torrents (default ~/Downloads; a setting once changed there)')
    .option('--listen <host:port>', 'accept peers on this address', '0.0.0.0:6881')
    .option('--dht-bootstrap <host:port>', 'DHT node to join through; repeatable (default: the public routers)', collect, [])
    .option('--no-dht', 'do not run a DHT node')
    .action(async (flags: DaemonFlags) => {
      const api = parseHostPort(flags.api, '--api');
      const listen = parseHostPort(flags.listen, '--listen');
      const stateDir = resolve(flags.stateDir ?? defaultDaemonStateDir());
      mkdirSync(stateDir, { recursive: true });
      const runtime = createNodeRuntime();
      const serviceOptions = {
        runtime, stateDir, wallClock: () => Date.now(),
        downloadDir: flags.downloadDir ?? join(homedir(), 'Downloads'),
        dhtBootstrap: flags.dht === false ? (false as const) : flags.dhtBootstrap,
      };
      let service: DaemonService;
      try {
        service = await DaemonService.create({ ...serviceOptions, listen });
      } catch (e) {
        if ((e as { code?: string }).code !== 'EADDRINUSE' || flags.listen !== '0.0.0.0:6881') throw e;
        // The default peer port is taken (another client): any free port will do.
        service = await DaemonService.create({ ...serviceOptions, listen: { host: listen.host, port: 0 } });
      }
      const token = loadOrCreateToken(stateDir);
      const server = await startApiServer({ service, host: api.host, port: api.port, token });
      const shown = formatAddress(server.address);
      process.stdout.write(`web UI: http://${shown}/#token=${token}\n`);
      process.stdout.write(`api: http://${shown}/api (Authorization: Bearer <token in ${join(stateDir, 'api-token')}>)\n`);
      if (service.listenAddress) process.stdout.write(`peers: listening on ${formatAddress(service.listenAddress)}\n`);
      process.stdout.write(`state: ${stateDir}\n`);
      // Swarms start after the API is up: with thousands of torrents the UI answers at once.
      const started = performance.now();
      void service.startAll().then(() => {
        const n = service.list({ limit: 1 }).total;
        process.stdout.write(`torrents: ${n} loaded, swarms started in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      process.stdout.write('shutting down (saving resume data)\n');
      await server.close();
      await service.close();
      runtime.close();
    });
}
