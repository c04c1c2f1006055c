/** Starts the tracker server's front ends over one core. */
import type { Address, Runtime } from '../runtime/types.js';
import { loadAllowList, watchAllowList } from './allow-list.js';
import { HttpTrackerServer } from './http-server.js';
import { TrackerCore, type TrackerCoreOptions } from './server-core.js';
import { UdpTrackerServer } from './udp-server.js';

export interface TrackerServerOptions extends Omit<TrackerCoreOptions, 'clock' | 'random'> {
  readonly runtime: Runtime;
  readonly http?: Address;
  readonly udp?: Address;
  readonly allowListFile?: string;
}

export interface TrackerServer {
  readonly core: TrackerCore;
  readonly http?: HttpTrackerServer;
  readonly udp?: UdpTrackerServer;
  close(): Promise<void>;
}

export async function startTrackerServer(o: TrackerServerOptions): Promise<TrackerServer> {
  const core = new TrackerCore({ ...o, clock: o.runtime.clock, random: o.runtime.random });
  let unwatch: (() => void) | undefined;
  if (o.allowListFile) {
    const file = o.allowListFile;
    core.setAllowList(loadAllowList(file));
    unwatch = watchAllowList(file, (s) => core.setAllowList(s));
  }
  core.start();
  let udp: UdpTrackerServer | undefined;
  if (o.udp) udp = new UdpTrackerServer({ core, endpoint: await o.runtime.udp.bind(o.udp), clock: o.runtime.clock, random: o.runtime.random });
  const u = udp;
  const http = o.http
    ? await HttpTrackerServer.listen({ core, extraStats: () => (u ? { udpPackets: u.packets, udpErrors: u.errors } : {}) }, o.http)
    : undefined;
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
