/**
 * Port mapping for `shoal get` and `shoal seed` (docs/nat.md): PCP/NAT-PMP to the default
 * gateway and UPnP IGD, on unless `--no-port-mapping`. Only a listener a router could
 * forward to is mapped: one bound to the wildcard address or to our address on the
 * default route's interface (never loopback or another interface). Quiet: a line on stderr
 * when a port is mapped, nothing when no router answers.
 */
import { findDefaultGateway, type DefaultGateway } from '../runtime/node/gateway.js';
import type { Runtime } from '../runtime/types.js';
import type { PortMappingHook } from '../session/client.js';
import { startPortMapping, type NatManager } from '../nat/index.js';

/** Whether a listener on `host` can be reached through a mapping on `gw`'s router. */
export function mappable(host: string, gw: DefaultGateway | undefined): gw is DefaultGateway {
  if (!gw) return false;
  return host === '0.0.0.0' || host === '::' || host === gw.localAddress;
}

export async function startCliPortMapping(runtime: Runtime, o: {
  readonly listenHost: string;
  readonly port: number;
  /** Map the UDP port too (the DHT listens there). */
  readonly udp: boolean;
  readonly log: (line: string) => void;
  /** A port was mapped: the gateway's external address (a vote, docs/nat.md). */
  readonly onMapped?: (externalAddress: string, externalPort: number, gateway: string) => void;
}): Promise<NatManager | undefined> {
  const gw = findDefaultGateway();
  if (!mappable(o.listenHost, gw) || o.port === 0) return undefined;
  return startPortMapping(runtime, {
    tcpPort: o.port,
    udpPort: o.udp ? o.port : undefined,
    gateway: gw,
    onEvent: (e) => {
      if (e.type === 'mapping' && e.mapping.status === 'mapped' && e.mapping.externalAddress) {
        if (e.mapping.externalPort !== undefined) o.onMapped?.(e.mapping.externalAddress, e.mapping.externalPort, gw.gateway);
        o.log(`port mapping: ${e.mapping.protocol} ${e.mapping.internalPort} is reachable at ${e.mapping.externalAddress}:${e.mapping.externalPort} (${e.mapping.via})`);
      }
    },
  });
}

/** The client's port-mapping hook for the CLI; `udp` forces the UDP mapping (uTP listens there). */
export function cliPortMapping(runtime: Runtime, o: { readonly udp?: boolean; readonly onMapped?: (externalAddress: string, externalPort: number, gateway: string) => void } = {}): PortMappingHook {
  return (p) => startCliPortMapping(runtime, { ...p, udp: p.udp || o.udp === true, onMapped: o.onMapped });
}
