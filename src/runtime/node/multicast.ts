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
import { toNetworkError } from './errors.js';
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

  join(group: Address, options: MulticastJoinOptions = {}): Promise<MulticastEndpoint> {
    return new Promise((resolve, reject) => {
      const v6 = isIPv6(group.host);
      const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', reuseAddr: true });
      const iface = options.interfaceHost && !isWildcard(options.interfaceHost) ? options.interfaceHost : undefined;
      const fail = (err: unknown): void => {
        try {
          socket.close();
        } catch {
          // Never bound.
        }
        reject(toNetworkError(err, `cannot join multicast ${formatAddress(group)}`));
      };
      socket.once('error', fail);
      socket.bind(group.port, () => {
        try {
          socket.addMembership(group.host, iface);
          if (iface) socket.setMulticastInterface(iface);
          socket.setMulticastTTL(options.ttl ?? 1);
          socket.setMulticastLoopback(true);
        } catch (e) {
          fail(e);
          return;
        }
        socket.off('error', fail);
        resolve(new NodeMulticastEndpoint(socket, group, this.tracker));
      });
    });
  }
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}
