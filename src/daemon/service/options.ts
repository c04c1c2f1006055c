/** What `DaemonService.create` takes, with the defaults of its limits. */
import type { Address, Runtime } from '../../runtime/types.js';
import type { Settings } from '../types.js';
import type { LocalTime } from '../alt-speed.js';
import type { DefaultGateway } from '../../runtime/node/gateway.js';
import type { UrlFetchLimits } from './url-fetch.js';
import type { TorrentParserOptions } from './torrent-parser.js';

export interface DaemonServiceOptions {
  readonly runtime: Runtime;
  readonly stateDir: string;
  /** Default save path until settings say otherwise. */
  readonly downloadDir: string;
  /** Peer listen address (default 0.0.0.0:0). */
  readonly listen?: Address;
  /** Local peer discovery (BEP 14 multicast) for every non-private torrent while the `lsd` setting is on (default false; `shoal daemon` passes true unless --no-lsd). */
  readonly lsd?: boolean;
  /** DHT bootstrap nodes (HOST:PORT; empty: the public routers); false: no DHT whatever the settings say. */
  readonly dhtBootstrap?: readonly string[] | false;
  /** Wall-clock ms since the epoch (addedAt, tracker times, the alternative-limits schedule). */
  readonly wallClock: () => number;
  /** Weekday and minute of the day of a wall-clock time, for altSchedule (default: the machine's time zone). */
  readonly localTime?: (ms: number) => LocalTime;
  /** Swarms started at once during background start-up (default 16). */
  readonly startConcurrency?: number;
  /** Memory for each torrent's block cache (default 4 MiB). */
  readonly cacheBytesPerTorrent?: number;
  /** Open files across all torrents (default 512). */
  readonly maxOpenFiles?: number;
  /** Torrents the daemon holds; adding more answers 409 (default 10,000). */
  readonly maxTorrents?: number;
  /** How long a removal or pause waits for a swarm to stop, and shutdown for the next swarm to finish stopping (default 10 s). */
  readonly stopTimeoutMs?: number;
  /**
   * Where settings are kept (default: settings.json in the state directory). `read` gives the
   * stored ones; `write` gets only the settings a PATCH changed.
   */
  readonly settingsStore?: { read(): Partial<Settings>; write(changed: Partial<Settings>): Promise<void> };
  /** Settings for this run only (command-line flags): applied over the stored ones, never written back. A PATCH of one of them ends its override. */
  readonly settingsOverrides?: Partial<Settings>;
  /** Limits of fetching a .torrent by URL (default: the upload limit's 20 MiB, 30 s, 3 redirects). */
  readonly urlFetch?: Partial<UrlFetchLimits>;
  /** Finds the router for port mapping (default: the default route's gateway; tests give none). */
  readonly findGateway?: () => DefaultGateway | undefined;
  /** Parsing large .torrent files on a worker thread (default: those over 1 MiB; torrent-parser.ts). */
  readonly torrentParser?: TorrentParserOptions;
  /** Where problems nobody waits for go (default: stderr). */
  readonly log?: (message: string) => void;
}

export const DEFAULT_MAX_TORRENTS = 10_000;
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;

/**
 * Settings this run holds whatever is stored, and the flag of `shoal daemon` behind each: no
 * DHT node (`dhtBootstrap: false`, --no-dht) and no local discovery (`lsd` not true, --no-lsd)
 * leave nothing for the `dht` / `lsd` settings to switch on.
 */
export function forcedSettings(o: DaemonServiceOptions): { values: Partial<Settings>; by: Partial<Record<keyof Settings, string>> } {
  const values: Record<string, boolean> = {};
  const by: Partial<Record<keyof Settings, string>> = {};
  if (o.dhtBootstrap === false) [values.dht, by.dht] = [false, '--no-dht'];
  if (o.lsd !== true) [values.lsd, by.lsd] = [false, '--no-lsd'];
  return { values: values as Partial<Settings>, by };
}
