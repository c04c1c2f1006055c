/**
 * `shoal daemon`: many torrents in one session, served over the HTTP API and the web UI,
 * with its state (torrents, resume data, settings, statistics) in a state directory.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ShoalError } from '../errors.js';
import { DEFAULT_MAX_TORRENTS, DaemonService } from '../daemon/service/service.js';
import { startApiServer, type ApiServer } from '../daemon/http/server.js';
import { loadOrCreateToken } from '../daemon/http/token.js';
import { createNodeRuntime } from '../runtime/node/index.js';
import { formatAddress } from '../runtime/types.js';
import { UsageError } from './errors.js';
import { collect, parseHostPort } from './net-args.js';

interface DaemonFlags {
  stateDir?: string;
  api: string;
  downloadDir?: string;
  listen: string;
  dhtBootstrap: string[];
  /** commander's --no-dht sets dht to false. */
  dht: boolean;
  maxTorrents: number;
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
    .option('--listen <host:port>', 'accept peers on this address (default 0.0.0.0:6881, or any free port if that one is taken)', DEFAULT_LISTEN)
    .option('--dht-bootstrap <host:port>', 'DHT node to join through; repeatable (default: the public routers)', collect, [])
    .option('--no-dht', 'do not run a DHT node')
    .option('--max-torrents <n>', 'torrents the daemon holds at most; adding more is refused', positiveInt, DEFAULT_MAX_TORRENTS)
    .action(async (flags: DaemonFlags) => {
      const api = parseHostPort(flags.api, '--api');
      const listen = parseHostPort(flags.listen, '--listen');
      const stateDir = resolve(flags.stateDir ?? defaultDaemonStateDir());
      mkdirSync(stateDir, { recursive: true });
      const token = loadOrCreateToken(stateDir);
      const runtime = createNodeRuntime();
      const serviceOptions = {
        runtime, stateDir, wallClock: () => Date.now(),
        downloadDir: flags.downloadDir ?? join(homedir(), 'Downloads'),
        dhtBootstrap: flags.dht === false ? (false as const) : flags.dhtBootstrap,
        maxTorrents: flags.maxTorrents,
      };
      let service: DaemonService | undefined;
      let server: ApiServer | undefined;
      try {
        try {
          service = await DaemonService.create({ ...serviceOptions, listen });
        } catch (e) {
          if (!inUse(e)) throw e;
          // The default peer port is taken (another client): any free port will do. A port asked for is not swapped.
          if (flags.listen !== DEFAULT_LISTEN) throw new ShoalError(`the peer address ${flags.listen} is already in use (--listen); stop what holds it or pick another port`);
          service = await DaemonService.create({ ...serviceOptions, listen: { host: listen.host, port: 0 } });
        }
        server = await startApiServer({ service, host: api.host, port: api.port, token }).catch((e: unknown) => {
          if (inUse(e)) throw new ShoalError(`the API address ${flags.api} is already in use (--api); is another shoal daemon running?`);
          throw e;
        });
      } catch (e) {
        // Nothing may keep the process alive after a failed start: it must exit with the error.
        await service?.close().catch(() => undefined);
        runtime.close();
        throw e;
      }
      const running = service;
      // A long-running process: a promise some bug forgot to handle is logged, not fatal.
      process.on('unhandledRejection', (e) => process.stderr.write(`shoal daemon: internal error (please report): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`));
      const shown = formatAddress(server.address);
      process.stdout.write(`web UI: http://${shown}/#token=${token}\n`);
      process.stdout.write(`api: http://${shown}/api (Authorization: Bearer <token in ${join(stateDir, 'api-token')}>)\n`);
      if (running.listenAddress) process.stdout.write(`peers: listening on ${formatAddress(running.listenAddress)}\n`);
      process.stdout.write(`state: ${stateDir}\n`);
      // Swarms start after the API is up: with thousands of torrents the UI answers at once.
      const started = performance.now();
      void running.startAll().then(() => {
        const n = running.list({ limit: 1 }).total;
        process.stdout.write(`torrents: ${n} loaded, swarms started in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
      });
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      process.stdout.write('shutting down (saving resume data)\n');
      // Shutdown ends on its own (a swarm that stops making progress is left behind, see
      // stopAll); a second signal exits at once.
      const force = (why: string) => {
        process.stderr.write(`shoal: ${why}; exiting without waiting (resume data of torrents still stopping may be stale)\n`);
        process.exit(1);
      };
      process.once('SIGINT', () => force('interrupted again'));
      process.once('SIGTERM', () => force('terminated again'));
      await server.close();
      await running.close();
      runtime.close();
    });
}

const DEFAULT_LISTEN = '0.0.0.0:6881';

function inUse(e: unknown): boolean {
  return (e as { code?: string } | undefined)?.code === 'EADDRINUSE';
}

function positiveInt(text: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new UsageError(`expected a positive integer, got '${text}'`);
  return Number(text);
}
