/** Starts the tracker server's front ends over one core. */
import { formatAddress, type Address, type Runtime } from '../runtime/types.js';
import { TrackerListenError } from './errors.js';
import { loadAllowList, watchAllowList } from './allow-list.js';
import { HttpTrackerServer } from './http-server.js';
import { TrackerCore, type TrackerCoreOptions } from './server-core.js';
import { UdpTrackerServer } from './udp-server.js';

export interface TrackerServerOptions extends Omit<TrackerCoreOptions, 'clock' | 'random'> {
  readonly runtime: Runtime;
  readonly http?: Address;
  readonly udp?: Address;
  readonly allowListFile?: string;
  /** Open HTTP connections at most; more are closed as they arrive (default 4096, `DEFAULT_MAX_HTTP_CONNECTIONS`). */
  readonly maxHttpConnections?: number;
  /** Time a new HTTP connection has to send its request's headers (ms, default 10 s). */
  readonly httpHeadersTimeoutMs?: number;
}

/**
 * Open HTTP connections the tracker holds at most. Announces are one short request each, so
 * thousands at once is a flood; the cap keeps it below the process's file-descriptor limit
 * (1024 soft on many systems: raise both together), so the UDP side and the allow-list file
 * still get descriptors.
 */
export const DEFAULT_MAX_HTTP_CONNECTIONS = 4096;

export interface TrackerServer {
  readonly core: TrackerCore;
  readonly http?: HttpTrackerServer;
  readonly udp?: UdpTrackerServer;
  close(): Promise<void>;
}

export async function startTrackerServer(o: TrackerServerOptions): Promise<TrackerServer> {
  const core = new TrackerCore({ ...o, clock: o.runtime.clock, random: o.runtime.random });
  if (o.allowListFile !== undefined) core.setAllowList(loadAllowList(o.runtime.files, o.allowListFile));
  // Bind both front ends before anything else starts: a failure leaves nothing running.
  let udp: UdpTrackerServer | undefined;
  if (o.udp) {
    const at = o.udp;
    const endpoint = await o.runtime.udp.bind(at).catch((e: unknown) => {
      throw new TrackerListenError('udp', formatAddress(at), errorCode(e), { cause: e });
    });
    udp = new UdpTrackerServer({ core, endpoint, clock: o.runtime.clock, random: o.runtime.random });
  }
  const u = udp;
  let http: HttpTrackerServer | undefined;
  if (o.http) {
    const at = o.http;
    try {
      http = await HttpTrackerServer.listen({
        core, serve: o.runtime.httpServer, extraStats: () => (u ? { udpPackets: u.packets, udpErrors: u.errors } : {}),
        maxConnections: o.maxHttpConnections ?? DEFAULT_MAX_HTTP_CONNECTIONS, headersTimeoutMs: o.httpHeadersTimeoutMs,
      }, at);
    } catch (e) {
      udp?.close();
      throw new TrackerListenError('http', formatAddress(at), errorCode(e), { cause: e });
    }
  }
  const unwatch = o.allowListFile === undefined ? undefined : watchAllowList(o.runtime.files, o.allowListFile, (s) => core.setAllowList(s));
  core.start();
  return {
    core,
    http,
    udp,
    close: async () => {
      unwatch?.();
      core.stop();
      udp?.close();
      await http?.close();
    },
  };
}

/** The system error code of a failed bind (`EADDRINUSE`, ...), or `EIO`. */
function errorCode(e: unknown): string {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? code : 'EIO';
}
