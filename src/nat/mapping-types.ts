/** The mapping states and events that PortMapper (PCP / NAT-PMP) and UpnpMapper share. */
import type { NatProtocol } from './natpmp-codec.js';

export type MappingStatus = 'pending' | 'mapped' | 'failed' | 'unavailable' | 'removed';
export type GatewayProtocol = 'pcp' | 'natpmp';
/** How a mapping was made: a gateway protocol, or UPnP IGD (upnp-mapper.ts). */
export type MappingVia = GatewayProtocol | 'upnp';

export interface MappingRequest {
  readonly protocol: NatProtocol;
  readonly internalPort: number;
  /** The external port to ask for; default: the internal port. */
  readonly externalPort?: number;
}

/** One mapping as the API, web UI and /metrics show it. */
export interface MappingState {
  readonly protocol: NatProtocol;
  readonly internalPort: number;
  readonly status: MappingStatus;
  /** Which protocol made it. */
  readonly via?: MappingVia;
  readonly externalAddress?: string;
  readonly externalPort?: number;
  /** Clock milliseconds at which the gateway drops it unless renewed. */
  readonly expiresAt?: number;
  /** Why it is 'failed' or 'unavailable'. */
  readonly reason?: string;
}

export type PortMapperEvent =
  | { readonly type: 'mapping'; readonly mapping: MappingState }
  | { readonly type: 'external-address'; readonly address: string }
  /** Nothing answered at the gateway: port mapping is off until the next retry. */
  | { readonly type: 'unavailable'; readonly reason: string };
