/** What `DaemonService.create` takes, with the defaults of its limits. */
import type { Address, Runtime } from '../../runtime/types.js';

export interface DaemonServiceOptions {
  readonly runtime: Runtime;
  readonly stateDir: string;
  /** Default save path until settings say otherwise. */
  readonly downloadDir: string;
  /** Peer listen address (default 0.0.0.0:0). */
  readonly listen?: Address;
  /** DHT bootstrap nodes (HOST:PORT; empty: the public routers); false: no DHT whatever the settings say. */
  readonly dhtBootstrap?: readonly string[] | false;
  /** Wall-clock ms since the epoch (addedAt, tracker times). */
  readonly wallClock: () => number;
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
  /** Where problems nobody waits for go (default: stderr). */
  readonly log?: (message: string) => void;
}

export const DEFAULT_MAX_TORRENTS = 10_000;
export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
