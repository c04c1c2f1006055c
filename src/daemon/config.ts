/**
 * The daemon's config file (docs/daemon.md#config-file): one flat JSON object holding the
 * session settings (the keys of `Settings`, as `PATCH /api/settings` takes them) and the
 * daemon's start-up options (api, apiHost, listen, stateDir, maxTorrents, logLevel). Read once at
 * start; the settings API writes changed settings back atomically (temp file, fsync, rename).
 * Keys we do not know are kept as they are (a newer version may own them) and warned about.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { ShoalError } from '../errors.js';
import { makeDirsSync } from '../runtime/node/mkdirs.js';
import { jsonErrorOffset } from './json-position.js';
import { applySettingsPatch, defaultSettings } from './service/settings.js';
import { ServiceError, type Settings } from './types.js';

export class ConfigError extends ShoalError {}

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Start-up options the file may hold; a command-line flag wins over each. */
export interface DaemonFileOptions {
  readonly api?: string;
  readonly listen?: string;
  readonly stateDir?: string;
  readonly maxTorrents?: number;
  readonly logLevel?: LogLevel;
  /** Host names the web UI and API may also be reached by (`--api-host`, repeatable): a list, or one name. */
  readonly apiHost?: readonly string[];
}

/** A host name (`nas.local`, `torrents.example.org`) or a bracketed IPv6 literal, as `--api-host` takes. */
export function isApiHostName(h: string): boolean {
  return h.length <= 253 && /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}\.?)*|\[[0-9a-fA-F:.]+\])$/.test(h);
}

/** Most names `apiHost` may list (each is checked on every request's Host header). */
export const MAX_API_HOSTS = 64;

/** The host names allowed besides the API address: the `--api-host` flags when any are given, else the file's. */
export function allowedApiHosts(flags: readonly string[], file: DaemonFileOptions): readonly string[] {
  return flags.length > 0 ? flags : (file.apiHost ?? []);
}

/** A config file larger than this is refused (it is a handful of keys). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

const OPTION_RULES: Readonly<Record<keyof DaemonFileOptions, [(v: unknown) => boolean, string]>> = {
  api: [(v) => typeof v === 'string' && /^\S+:\d{1,5}$/.test(v), 'HOST:PORT'],
  listen: [(v) => typeof v === 'string' && /^\S+:\d{1,5}$/.test(v), 'HOST:PORT'],
  stateDir: [(v) => typeof v === 'string' && isAbsolute(v) && !v.includes('\0'), 'an absolute path'],
  maxTorrents: [(v) => Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= 1_000_000, 'an integer from 1 to 1000000'],
  logLevel: [(v) => typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v), LOG_LEVELS.join(' | ')],
  apiHost: [(v) => (typeof v === 'string' && isApiHostName(v)) || (Array.isArray(v) && v.length <= MAX_API_HOSTS && v.every((h) => typeof h === 'string' && isApiHostName(h))),
    `a host name (nas.local) or a list of at most ${MAX_API_HOSTS} of them`],
};

export interface LoadedConfig {
  readonly path: string;
  /** Whether the file was there. */
  readonly exists: boolean;
  readonly settings: Partial<Settings>;
  readonly options: DaemonFileOptions;
  /** Everything the file held, unknown keys included: what a write starts from. */
  readonly raw: Record<string, unknown>;
  /** One line for each unknown key. */
  readonly warnings: readonly string[];
}

/** `$XDG_CONFIG_HOME/shoal/config.json`, else `~/.config/shoal/config.json`. */
export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  // An empty or relative XDG_CONFIG_HOME is to be ignored (XDG Base Directory spec).
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.config'), 'shoal', 'config.json');
}

/** The keys the settings part of the file may hold (follows `Settings` as it grows). */
function settingKeys(): readonly string[] {
  return Object.keys(defaultSettings('/'));
}

/** Reads and checks the file; a missing file is an empty config. Throws ConfigError naming the file and the line or key. */
export function loadConfig(path: string): LoadedConfig {
  if (!existsSync(path)) return { path, exists: false, settings: {}, options: {}, raw: {}, warnings: [] };
  let text: string;
  try {
    const bytes = readFileSync(path);
    if (bytes.length > MAX_CONFIG_BYTES) throw new ConfigError(`${path}: config file is larger than ${MAX_CONFIG_BYTES} bytes`);
    text = bytes.toString('utf8');
  } catch (e) {
    if (e instanceof ConfigError) throw e;
    throw new ConfigError(`${path}: cannot read the config file: ${(e as Error).message}`);
  }
  return parseConfig(path, text);
}

export function parseConfig(path: string, text: string): LoadedConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`${path}:${jsonErrorLine(text)}: not valid JSON (${(e as Error).message.split('\n')[0].replace(/, ".*$/, '')})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new ConfigError(`${path}: the config file must hold one JSON object`);
  const obj = raw as Record<string, unknown>;
  const known = settingKeys();
  const settings: Record<string, unknown> = {};
  const options: Record<string, unknown> = {};
  const warnings: string[] = [];
  let check = defaultSettings('/');
  for (const [key, value] of Object.entries(obj)) {
    if (known.includes(key)) {
      try {
        check = applySettingsPatch(check, { [key]: value } as Partial<Settings>);
      } catch (e) {
        if (e instanceof ServiceError) throw new ConfigError(`${path}: key "${key}": ${e.message}`);
        throw e;
      }
      settings[key] = (check as unknown as Record<string, unknown>)[key];
    } else if (Object.hasOwn(OPTION_RULES, key)) {
      const [ok, expected] = OPTION_RULES[key as keyof DaemonFileOptions];
      if (!ok(value)) throw new ConfigError(`${path}: key "${key}" must be ${expected}`);
      options[key] = key === 'apiHost' && typeof value === 'string' ? [value] : value;
    } else {
      warnings.push(`${path}: unknown key "${key}" (kept, not used)`);
    }
  }
  return { path, exists: true, settings: settings as Partial<Settings>, options: options as DaemonFileOptions, raw: { ...obj }, warnings };
}

/** "LINE:COLUMN" (1-based) where the text stops being JSON. */
function jsonErrorLine(text: string): string {
  const before = text.slice(0, jsonErrorOffset(text)).split('\n');
  return `${before.length}:${before[before.length - 1].length + 1}`;
}

/**
 * The config file as a place settings are kept: `write` merges the changed settings into what
 * the file held (unknown keys and start-up options stay) and replaces it atomically.
 */
export class ConfigFile {
  private raw: Record<string, unknown>;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string,
    raw: Record<string, unknown>,
  ) {
    this.raw = { ...raw };
  }

  /** Writes are serialised: the file always ends with the last patch applied. */
  write(changed: Partial<Settings>): Promise<void> {
    const run = this.queue.then(() => {
      // Merged when its turn comes, so a write queued behind another keeps that one's keys.
      const next = { ...this.raw, ...changed };
      writeAtomic(this.path, `${JSON.stringify(next, null, 2)}\n`);
      this.raw = next;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** temp file in the same directory, fsync, rename over, fsync the directory. */
export function writeAtomic(path: string, text: string): void {
  makeDirsSync(dirname(path)); // not mkdirSync({ recursive: true }): it never returns under /proc
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  try {
    const dfd = openSync(dirname(path), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some file systems do not fsync directories; the rename is still atomic.
  }
}
