/**
 * Runs PCP/NAT-PMP (PortMapper) and UPnP IGD (UpnpMapper) side by side for the same listen
 * ports, as libtorrent does: whichever the router speaks maps them. Shows, per port, the
 * best state either reached, and the external address from whichever told it first.
 * `startPortMapping` assembles it from a Runtime; the caller (daemon, `shoal get/seed`)
 * passes the default gateway found by runtime/node/gateway.ts.
 */
import type { Clock, Runtime, TimerHandle, UdpEndpoint } from '../runtime/types.js';
import { PortMapper, type MappingRequest, type MappingState, type PortMapperEvent, type PortMapperOptions } from './port-mapper.js';
import { UpnpMapper, type UpnpMapperOptions } from './upnp-mapper.js';
import { createHttpRequester, type HttpRequester } from './upnp-http.js';

export interface NatStatus {
  readonly externalAddress?: string;
  /** One per requested mapping: the best state PCP/NAT-PMP or UPnP reached. */
  readonly mappings: readonly MappingState[];
  /** Each path's own states. */
  readonly gateway: readonly MappingState[];
  readonly upnp: readonly MappingState[];
}

const RANK: Record<MappingState['status'], number> = { mapped: 4, pending: 3, failed: 2, unavailable: 1, removed: 0 };

/** The better of two states for the same port: mapped beats pending beats failed beats unavailable. */
export function bestMapping(a: MappingState | undefined, b: MappingState | undefined): MappingState | undefined {
  if (!a) return b;
  if (!b) return a;
  return RANK[b.status] > RANK[a.status] ? b : a;
}

export class NatManager {
  constructor(private readonly gatewayMapper: PortMapper | undefined, private readonly upnpMapper: UpnpMapper | undefined,
    private readonly sockets: readonly UdpEndpoint[] = [],
    /** With a clock, stop() waits for the deletes at most `stopDeadlineMs`. */
    private readonly deadline?: { readonly clock: Clock; readonly stopDeadlineMs: number }) {}

  start(): void {
    this.gatewayMapper?.start();
    this.upnpMapper?.start();
  }

  status(): NatStatus {
    const gateway = this.gatewayMapper?.mappings() ?? [];
    const upnp = this.upnpMapper?.mappings() ?? [];
    const n = Math.max(gateway.length, upnp.length);
    const mappings: MappingState[] = [];
    for (let i = 0; i < n; i++) {
      const best = bestMapping(gateway[i], upnp[i]);
      if (best) mappings.push(best);
    }
    return { externalAddress: this.gatewayMapper?.externalAddress() ?? this.upnpMapper?.externalAddress(), mappings, gateway, upnp };
  }

  /**
   * Deletes every mapping on both paths (in parallel), then closes the sockets. Exit is not
   * held up past the deadline by a router that stopped answering: its leases run out.
   */
  async stop(): Promise<void> {
    const deletes = Promise.all([this.gatewayMapper?.stop(), this.upnpMapper?.stop()]);
    let timer: TimerHandle | undefined;
    const d = this.deadline;
    await (d ? Promise.race([deletes, new Promise<void>((r) => { timer = d.clock.setTimer(d.stopDeadlineMs, r); })]) : deletes);
    timer?.cancel();
    for (const s of this.sockets) s.close();
  }
}

export interface StartPortMappingOptions {
  /** The TCP and UDP listen ports (0 or undefined: that protocol is not mapped). */
  readonly tcpPort?: number;
  readonly udpPort?: number;
  /** From runtime/node/gateway.ts; undefined: no PCP/NAT-PMP (UPnP may still find an IGD). */
  readonly gateway?: { readonly gateway: string; readonly localAddress?: string };
  readonly upnp?: boolean;
  /** UPnP's HTTP; default: over `rt.http` (no UPnP when the runtime has no HTTP client). */
  readonly http?: HttpRequester;
  readonly onEvent?: (event: PortMapperEvent) => void;
  readonly gatewayOptions?: Partial<PortMapperOptions>;
  readonly upnpOptions?: Partial<UpnpMapperOptions>;
  /** stop() waits this long at most for the router to confirm the deletes. Default 5000 ms. */
  readonly stopDeadlineMs?: number;
}

/** Binds the sockets, builds both mappers and starts them; never waits for the router. */
export async function startPortMapping(rt: Runtime, o: StartPortMappingOptions): Promise<NatManager> {
  const mappings: MappingRequest[] = [];
  if (o.tcpPort) mappings.push({ protocol: 'tcp', internalPort: o.tcpPort });
  if (o.udpPort) mappings.push({ protocol: 'udp', internalPort: o.udpPort });
  const sockets: UdpEndpoint[] = [];
  let gatewayMapper: PortMapper | undefined;
  let upnpMapper: UpnpMapper | undefined;
  if (o.gateway && mappings.length > 0) {
    const socket = await rt.udp.bind({ host: '0.0.0.0', port: 0 });
    sockets.push(socket);
    gatewayMapper = new PortMapper({
      clock: rt.clock, random: rt.random, socket, gateway: o.gateway.gateway, clientAddress: o.gateway.localAddress,
      mappings, onEvent: o.onEvent, ...o.gatewayOptions,
    });
  }
  // UPnP needs our LAN address for NewInternalClient, and HTTP (the runtime's, unless given).
  const http = o.http ?? (rt.http ? createHttpRequester(rt.http, rt.clock) : undefined);
  if (o.upnp !== false && http && o.gateway?.localAddress && mappings.length > 0) {
    const socket = await rt.udp.bind({ host: '0.0.0.0', port: 0 });
    sockets.push(socket);
    upnpMapper = new UpnpMapper({
      clock: rt.clock, socket, http, internalClient: o.gateway.localAddress,
      mappings, onEvent: o.onEvent, ...o.upnpOptions,
    });
  }
  const manager = new NatManager(gatewayMapper, upnpMapper, sockets, { clock: rt.clock, stopDeadlineMs: o.stopDeadlineMs ?? 5000 });
  manager.start();
  return manager;
}
