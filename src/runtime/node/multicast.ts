/**
 * Multicast UDP for local peer discovery (BEP 14): binds the group's port with address reuse
 * (other clients on this host listen on it too), joins the group on the listen interface and
 * loops our own datagrams back (a second client on this host must hear us; the discovery
 * core ignores its own by their cookie).
 */
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Address, DatagramHandler, Multicast, MulticastEndpoint, MulticastJoinOptions } from '../types.js';
import { formatAddress } from '../types.js';
import { bindDgram } from './dgram-bind.js';
import type { ResourceTracker } from './resources.js';

class NodeMulticastEndpoint implements MulticastEndpoint {
  private handler: DatagramHandler | null = null;
  private closed = false;

  constructor(private readonly socket: dgram.Socket, private readonly group: Address, private readonly tracker: ResourceTracker) {
    socket.on('message', (msg, rinfo) => this.handler?.(msg, { host: rinfo.address, port: rinfo.port }));
    socket.on('error', () => {}); // after binding: treated as loss
    tracker.add(this);
  }

  send(data: Uint8Array): void {
    if (this.closed) return;
    try {
      this.socket.send(data, this.group.port, this.group.host, () => {}); // loss is silent
    } catch {
      // A closed or unroutable socket: loss.
    }
  }

  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler = null;
    this.tracker.delete(this);
    try {
      this.socket.close();
    } catch {
      // Already closed.
    }
  }
}

export class NodeMulticast implements Multicast {
  constructor(private readonly tracker: ResourceTracker) {}

  async join(group: Address, options: MulticastJoinOptions = {}): Promise<MulticastEndpoint> {
    const socket = dgram.createSocket({ type: isIPv6(group.host) ? 'udp6' : 'udp4', reuseAddr: true });
    const iface = options.interfaceHost && !isWildcard(options.interfaceHost) ? options.interfaceHost : undefined;
    await bindDgram(socket, group.port, undefined, `cannot join multicast ${formatAddress(group)}`, (s) => {
      s.addMembership(group.host, iface);
      if (iface) s.setMulticastInterface(iface);
      s.setMulticastTTL(options.ttl ?? 1);
      s.setMulticastLoopback(true);
    });
    return new NodeMulticastEndpoint(socket, group, this.tracker);
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}
