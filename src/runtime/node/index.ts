/**
 * The real runtime: Node timers, `performance.now()`, `node:dgram` and `node:net`, the
 * system resolver, `node:http(s)` client and server, polled config files, and a
 * seeded random source (seeded from `node:crypto` unless a seed is given, and reported so a
 * run can be repeated).
 */
import { randomBytes } from 'node:crypto';
import type { Runtime } from '../types.js';
import { SeededRandom } from '../random.js';
import { NodeClock } from './clock.js';
import { NodeUdp } from './udp.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, NodeStreams } from './streams.js';
import { ResourceTracker } from './resources.js';
import { NodeDns } from './dns.js';
import { NodeHttpClient } from './http.js';
import { NodeMulticast } from './multicast.js';
import { NodeHttpServe } from './http-server.js';
import { NodeWatchedFiles } from './files.js';

export interface NodeRuntimeOptions {
  /** Seed for `random`; default: 32 random bits from `node:crypto`. */
  seed?: number;
  /** Unref timers so they alone do not keep the process alive. Default false. */
  unrefTimers?: boolean;
  /** Default connect timeout when `connect` gets none. Default 10 000 ms. */
  connectTimeoutMs?: number;
}

export interface NodeRuntime extends Runtime {
  readonly clock: NodeClock;
  readonly random: SeededRandom;
  readonly udp: NodeUdp;
  readonly stream: NodeStreams;
  readonly dns: NodeDns;
  readonly http: NodeHttpClient;
  readonly multicast: NodeMulticast;
  readonly httpServer: NodeHttpServe;
  readonly files: NodeWatchedFiles;
  /** The seed `random` started from. */
  readonly seed: number;
  /** Closes every endpoint, listener and stream this runtime opened and has not closed. */
  close(): void;
}

export function createNodeRuntime(options: NodeRuntimeOptions = {}): NodeRuntime {
  const seed = options.seed ?? randomBytes(4).readUInt32LE(0);
  const tracker = new ResourceTracker();
  return {
    clock: new NodeClock({ unrefTimers: options.unrefTimers ?? false }),
    random: new SeededRandom(seed),
    udp: new NodeUdp(tracker),
    stream: new NodeStreams(tracker, options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS),
    dns: new NodeDns(),
    http: new NodeHttpClient(),
    multicast: new NodeMulticast(tracker),
    httpServer: new NodeHttpServe(),
    files: new NodeWatchedFiles(),
    seed,
    close: () => tracker.closeAll(),
  };
}

export { NodeClock } from './clock.js';
export type { NodeClockOptions } from './clock.js';
export { NodeUdp } from './udp.js';
export { NodeDns, DEFAULT_DNS_TIMEOUT_MS } from './dns.js';
export { NodeHttpClient, MAX_REDIRECTS } from './http.js';
export { NodeHttpServe } from './http-server.js';
export { NodeWatchedFiles } from './files.js';
export { NodeStreams, DEFAULT_CONNECT_TIMEOUT_MS } from './streams.js';
