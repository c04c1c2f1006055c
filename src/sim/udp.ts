/** Simulated datagram endpoints: the `Udp` side of a simulated host's runtime. */
import type { Address, DatagramHandler, Udp, UdpEndpoint } from '../runtime/types.js';
import { NetworkError, formatAddress } from '../runtime/types.js';
import type { SimHost } from './host.js';
import type { Network } from './network.js';

/**
 * A hidden (non-enumerable) link from an endpoint's `Address` object back to the endpoint.
 * Replies usually go to the `from` object a datagram arrived with, so the network can find
 * the destination without two map lookups; other addresses take the lookup path.
 */
export const ENDPOINT = Symbol('shoal.sim.endpoint');

export interface EndpointAddress extends Address {
  readonly [ENDPOINT]?: SimUdpEndpoint;
}

export class SimUdpEndpoint implements UdpEndpoint {
  /** Created once; every datagram from this endpoint carries this object as `from`. */
  readonly address: EndpointAddress;
  readonly host: SimHost;
  /** Copies of `host.id` and `host.network`, so the hot path need not touch the host. */
  readonly hostId: number;
  readonly network: Network;
  handler: DatagramHandler | null = null;
  closed = false;

  constructor(host: SimHost, port: number) {
    this.host = host;
    this.hostId = host.id;
    this.network = host.network;
    const address: Address = { host: host.address, port };
    Object.defineProperty(address, ENDPOINT, { value: this, enumerable: false });
    this.address = address;
  }

  send(data: Uint8Array, to: Address): void {
    if (!this.closed) this.network.sendDatagram(this, data, to);
  }

  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler = null;
    const ports = this.host.udpPorts;
    if (ports.get(this.address.port) === this) ports.delete(this.address.port);
  }
}

export class SimUdp implements Udp {
  private readonly host: SimHost;
  constructor(host: SimHost) {
    this.host = host;
  }

  /**
   * Binds at once (the port is taken synchronously) and resolves as an event at the current
   * virtual time. Accepts the host's own address or a wildcard ('0.0.0.0', '::', ''); the
   * endpoint always reports the host's address.
   */
  bind(address: Address): Promise<UdpEndpoint> {
    const host = this.host;
    return new Promise((resolve, reject) => {
      const net = host.network;
      if (!host.isLocalAddress(address.host)) {
        net.rejectLater(reject, new NetworkError('EADDRNOTAVAIL', `cannot bind UDP ${formatAddress(address)}: not an address of host ${host.address}`));
        return;
      }
      if (host.removed) {
        net.rejectLater(reject, new NetworkError('ENETDOWN', `cannot bind UDP on removed host ${host.address}`));
        return;
      }
      let port = address.port;
      if (port === 0) port = host.allocatePort(host.udpPorts);
      else if (host.udpPorts.has(port)) {
        net.rejectLater(reject, new NetworkError('EADDRINUSE', `cannot bind UDP ${formatAddress(address)}: port in use`));
        return;
      }
      if (!(port > 0 && port < 65536)) {
        net.rejectLater(reject, new NetworkError('EADDRINUSE', `cannot bind UDP on ${host.address}: no free port`));
        return;
      }
      const ep = new SimUdpEndpoint(host, port);
      host.udpPorts.set(port, ep);
      net.resolveLater(resolve, ep);
    });
  }
}
