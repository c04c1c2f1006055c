/**
 * `shoal daemon`: many torrents in one session, served over the HTTP API and the web UI,
 * with its state (torrents, resume data, settings, statistics) in a state directory.
 */
import { fstatSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { ShoalError } from '../errors.js';
import { DEFAULT_MAX_TORRENTS, DaemonService } from '../daemon/service/service.js';
import { startApiServer, type ApiServer } from '../daemon/http/server.js';
import { loadOrCreateToken } from '../daemon/http/token.js';
import { createNodeRuntime } from '../runtime/node/index.js';
import { withUtp } from '../transport/dual-streams.js';
import { formatAddress } from '../runtime/types.js';
import { ConfigFile, LOG_LEVELS, allowedApiHosts, defaultConfigPath, isApiHostName, loadConfig, type LogLevel } from '../daemon/config.js';
import { DaemonLog } from '../daemon/log.js';
import { logServiceEvents } from '../daemon/log-events.js';
import type { Settings } from '../daemon/types.js';
import { applySettingsPatch, defaultSettings } from '../daemon/service/settings.js';
import { makeDirsSync } from '../runtime/node/mkdirs.js';
import { UsageError } from './errors.js';
import { daemonStateDir } from './state-dir.js';
import { systemdUnit } from './systemd-unit.js';
import { collect, parseHostPort } from './net-args.js';

interface DaemonFlags {
  config?: string;
  stateDir?: string;
  api?: string;
  downloadDir?: string;
  listen?: string;
  dhtBootstrap: string[];
  apiHost: string[];
  /** commander's --no-dht sets dht to false. */
  dht: boolean;
  /** commander's --no-lsd sets lsd to false. */
  lsd: boolean;
  /** commander's --no-port-mapping sets portMapping to false. */
  portMapping: boolean;
  maxTorrents?: number;
  logLevel?: string;
  printUnit?: boolean;
}

export function registerDaemon(program: Command): void {
  program
    .command('daemon')
    .description('run the torrent daemon: many torrents, the HTTP API and the web UI')
    .option('--config <file>', 'settings and start-up options (default $XDG_CONFIG_HOME/shoal/config.json or ~/.config/shoal/config.json)')
    .option('--state-dir <dir>', 'torrents, resume data, the log and the API token (default $SHOAL_STATE_DIR, $XDG_STATE_HOME/shoal or ~/.local/state/shoal)')
    .option('--api <host:port>', 'serve the HTTP API and web UI here (default 127.0.0.1:7878)')
    .option('--download-dir <dir>', 'save path for new torrents for this run (overrides the downloadDir setting; default ~/Downloads)')
    .option('--listen <host:port>', 'accept peers on this address (default 0.0.0.0:6881, or any free port if that one is taken)')
    .option('--dht-bootstrap <host:port>', 'DHT node to join through; repeatable (default: the public routers)', collect, [])
    .option('--api-host <name>', 'a host name the web UI and API may be reached by besides the --api address (a NAS by its name, a reverse proxy); repeatable; replaces the config file\'s apiHost', collect, [])
    .option('--no-dht', 'do not run a DHT node')
    .option('--no-lsd', 'do not look for peers on the local network (BEP 14 multicast)')
    .option('--no-port-mapping', 'do not ask the router to forward the peer port (UPnP / NAT-PMP / PCP) this run, whatever the portMapping setting says')
    .option('--max-torrents <n>', `torrents the daemon holds at most; adding more is refused (default ${DEFAULT_MAX_TORRENTS})`, positiveInt)
    .option('--log-level <level>', `${LOG_LEVELS.join(' | ')} (default info)`)
    .option('--print-unit', 'print a systemd user unit running the daemon with these flags, and exit')
    .action(async (flags: DaemonFlags) => {
      if (flags.logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(flags.logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got '${flags.logLevel}'`);
      for (const h of flags.apiHost) if (!isApiHostName(h)) throw new UsageError(`--api-host takes a host name (nas.local, torrents.example.org), got '${h}'`);
      if (flags.printUnit) {
        process.stdout.write(systemdUnit(process.execPath, process.argv.slice(1)));
        return;
      }
      const configPath = resolve(flags.config ?? defaultConfigPath());
      const config = loadConfig(configPath);
      // Command-line flags win over the file, for this run only.
      const fileOpts = config.options;
      const apiText = flags.api ?? fileOpts.api ?? '127.0.0.1:7878';
      // The listenPort setting (API or config file) is read here, at start-up: a change takes effect on restart.
      const listenText = flags.listen ?? fileOpts.listen ?? (config.settings.listenPort !== undefined ? `0.0.0.0:${config.settings.listenPort}` : DEFAULT_LISTEN);
      const listenFromOption = flags.listen !== undefined || fileOpts.listen !== undefined;
      const api = parseHostPort(apiText, '--api');
      const listen = parseHostPort(listenText, '--listen');
      const chosen = flags.stateDir ?? fileOpts.stateDir;
      const fallback = chosen === undefined ? daemonStateDir() : undefined;
      const stateDir = resolve(chosen ?? fallback!.dir);
      makeDirsSync(stateDir);
      const log = new DaemonLog({ level: (flags.logLevel ?? fileOpts.logLevel ?? 'info') as LogLevel, file: join(stateDir, 'shoal.log'), now: () => Date.now() });
      if (fallback?.note) log.warn(fallback.note);
      for (const w of config.warnings) log.warn(w);
      // Settings from before the config file (settings.json in the state directory) are taken over once.
      const legacy = config.exists ? {} : readLegacySettings(stateDir);
      const configFile = new ConfigFile(configPath, { ...legacy, ...config.raw });
      const token = loadOrCreateToken(stateDir);
      const node = createNodeRuntime();
      // uTP beside TCP unless the settings turn it off (read at start: a change takes effect on restart).
      const utp = ({ ...legacy, ...config.settings } as Partial<Settings>).utp !== false ? withUtp(node) : undefined;
      const runtime = utp?.runtime ?? node;
      const serviceOptions = {
        runtime, stateDir, wallClock: () => Date.now(),
        downloadDir: join(homedir(), 'Downloads'),
        settingsStore: { read: () => ({ ...legacy, ...config.settings }), write: (changed: Partial<Settings>) => configFile.write(changed) },
        // This run's overrides: not written back; a PATCH of the same key ends them (settings-layers.ts).
        settingsOverrides: {
          ...(flags.downloadDir === undefined ? {} : { downloadDir: resolve(flags.downloadDir) }),
          ...(flags.portMapping === false ? { portMapping: false } : {}),
        },
        dhtBootstrap: flags.dht === false ? (false as const) : flags.dhtBootstrap,
        lsd: flags.lsd !== false,
        maxTorrents: flags.maxTorrents ?? fileOpts.maxTorrents ?? DEFAULT_MAX_TORRENTS,
        log: (m: string) => log.warn(m),
      };
      let service: DaemonService | undefined;
      let server: ApiServer | undefined;
      try {
        try {
          // The listenPort setting naming the API's own port would take it before the API binds, and
          // the daemon would then refuse to start for want of its API: the peers go elsewhere.
          const clash = !listenFromOption && listen.port !== 0 && listen.port === api.port;
          if (clash) log.warn(`the peer port ${listen.port} (listenPort setting) is the API's port (--api); using a free port for this run`);
          service = await DaemonService.create({ ...serviceOptions, listen: clash ? { host: listen.host, port: 0 } : listen });
        } catch (e) {
          if (!inUse(e) && !denied(e)) throw e;
          // A port asked for on the command line (or the config file's `listen`) is not swapped.
          if (listenFromOption) throw new ShoalError(`the peer address ${listenText} ${inUse(e) ? 'is already in use' : 'cannot be bound (permission denied: ports below 1024 need privileges)'} (--listen); stop what holds it or pick another port`);
          // The default port, or the listenPort setting (changed from the web UI, say), is taken
          // or privileged: any free port will do, with a warning. Refusing to start would also
          // lock the user out of the web UI where the setting can be changed back.
          if (listenText !== DEFAULT_LISTEN) log.warn(`the peer port ${listen.port} (listenPort setting) ${inUse(e) ? 'is already in use' : 'needs privileges'}; using a free port for this run`);
          service = await DaemonService.create({ ...serviceOptions, listen: { host: listen.host, port: 0 } });
        }
        server = await startApiServer({ service, host: api.host, port: api.port, token, allowedHosts: allowedApiHosts(flags.apiHost, fileOpts) }).catch((e: unknown) => {
          if (inUse(e)) throw new ShoalError(`the API address ${apiText} is already in use (--api); is another shoal daemon running?`);
          throw e;
        });
      } catch (e) {
        // Nothing may keep the process alive after a failed start: it must exit with the error.
        await service?.close().catch(() => undefined);
        utp?.close();
        node.close();
        throw e;
      }
      const running = service;
      // Listen for the stop signal before saying we are up: a service manager (or a test) may
      // send SIGTERM the moment it sees the address, and without a listener that kills at once.
      const stopRequested = new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      // A long-running process: a promise some bug forgot to handle is logged, not fatal.
      process.on('unhandledRejection', (e) => log.error(`internal error (please report): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`));
      const shown = formatAddress(server.address);
      const tokenFile = join(stateDir, 'api-token');
      // The token goes to stdout only, never to the log file; when stdout is the systemd
      // journal not even there: it is in the api-token file.
      process.stdout.write(stdoutIsJournal() ? `web UI: http://${shown}/ (token in ${tokenFile})\n` : `web UI: http://${shown}/#token=${token}\n`);
      log.info(`api: http://${shown}/api (Authorization: Bearer <token in ${tokenFile}>)`);
      if (running.listenAddress) log.info(`peers: listening on ${formatAddress(running.listenAddress)}`);
      log.info(`state: ${stateDir}`);
      log.info(`config: ${configPath}${config.exists ? '' : ' (not there yet: written when a setting is changed)'}`);
      running.subscribe(logServiceEvents(log));
      // Swarms start after the API is up: with thousands of torrents the UI answers at once.
      const started = performance.now();
      void running.startAll().then(() => {
        const n = running.list({ limit: 1 }).total;
        log.info(`torrents: ${n} loaded, swarms started in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      });
      await stopRequested;
      log.info('shutting down (saving resume data)');
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
      utp?.close();
      node.close();
    });
}

const DEFAULT_LISTEN = '0.0.0.0:6881';

function inUse(e: unknown): boolean {
  return (e as { code?: string } | undefined)?.code === 'EADDRINUSE';
}

function denied(e: unknown): boolean {
  return (e as { code?: string } | undefined)?.code === 'EACCES';
}

function positiveInt(text: string): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < 1) throw new UsageError(`expected a positive integer, got '${text}'`);
  return Number(text);
}

/** The good settings in settings.json of a state directory from before the config file; {} if absent or unreadable. */
function readLegacySettings(stateDir: string): Record<string, unknown> {
  let stored: unknown;
  try {
    stored = JSON.parse(readFileSync(join(stateDir, 'settings.json'), 'utf8'));
  } catch {
    return {};
  }
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return {};
  // Only values that pass today's checks: they are copied into the config file, which must load next time.
  const out: Record<string, unknown> = {};
  const base = defaultSettings('/');
  for (const [k, v] of Object.entries(stored)) {
    if (!Object.hasOwn(base, k)) continue;
    try {
      out[k] = (applySettingsPatch(base, { [k]: v }) as unknown as Record<string, unknown>)[k];
    } catch {
      // dropped: the default holds
    }
  }
  return out;
}

/** systemd sets JOURNAL_STREAM to "device:inode" of the journal stream it gives a service; it is our stdout only if fd 1 is that file (systemd.exec(5)). */
function stdoutIsJournal(): boolean {
  const js = process.env.JOURNAL_STREAM;
  if (!js) return false;
  try {
    const st = fstatSync(1);
    return js === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}
