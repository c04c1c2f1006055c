/** Datagrams over `node:dgram`, IPv4 or IPv6 depending on the bind address. */
import dgram from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { Address, DatagramHandler, Udp, UdpBindOptions, UdpEndpoint } from '../types.js';
import { formatAddress } from '../types.js';
import { bindDgram } from './dgram-bind.js';
import type { ResourceTracker } from './resources.js';

class NodeUdpEndpoint implements UdpEndpoint {
  readonly address: Address;
  private handler: DatagramHandler | null = null;
  private closed = false;
  private readonly socket: dgram.Socket;
  private readonly tracker: ResourceTracker;

  constructor(socket: dgram.Socket, tracker: ResourceTracker) {
    this.socket = socket;
    this.tracker = tracker;
    const a = socket.address();
    this.address = { host: a.address, port: a.port };
    socket.on('message', (msg, rinfo) => {
      const h = this.handler;
      if (h !== null) h(msg, { host: rinfo.address, port: rinfo.port });
    });
    // Errors after binding (e.g. ICMP-induced ones on some platforms) are treated as loss.
    socket.on('error', () => {});
    tracker.add(this);
  }

  send(data: Uint8Array, to: Address): void {
    if (this.closed) return;
    try {
      // Fire-and-forget: a send error (unreachable, wrong family, too large) is loss; without a
      // callback it becomes an 'error' event, which is ignored (one object less per datagram).
      this.socket.send(data, to.port, to.host);
    } catch {
      // Invalid arguments (e.g. a bad port) are also treated as a lost datagram.
    }
  }

  onMessage(handler: DatagramHandler): void {
    this.handler = handler;
  }

  afterReads(fn: () => void): void {
    setImmediate(fn);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler = null;
    this.tracker.delete(this);
    try {
      this.socket.close();
    } catch {
      // Already closed by Node.
    }
  }
}

/**
 * dgram resolves every destination through `dns.lookup`, which answers an IP literal on the
 * next tick: a tick and a closure per datagram. IP literals are answered at once here; names
 * still go to `dns.lookup`.
 */
function literalLookup(host: string, options: LookupOneOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  const family = isIP(host);
  if (family !== 0) {
    callback(null, host, family);
    return;
  }
  const opts: LookupOneOptions = typeof options === 'number' ? { family: options } : options;
  dnsLookup(host, opts, callback);
}

export class NodeUdp implements Udp {
  private readonly tracker: ResourceTracker;
  constructor(tracker: ResourceTracker) {
    this.tracker = tracker;
  }

  async bind(address: Address, options?: UdpBindOptions): Promise<UdpEndpoint> {
    const v6 = isIPv6(address.host);
    const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: v6 && options?.ipv6Only === true, lookup: literalLookup });
    await bindDgram(socket, address.port, address.host, `cannot bind UDP ${formatAddress(address)}`, (s) => {
      if (!options?.bufferBytes) return;
      try {
        s.setRecvBufferSize(options.bufferBytes);
        s.setSendBufferSize(options.bufferBytes);
      } catch {
        // The OS refused the size: keep its default buffers.
      }
    });
    return new NodeUdpEndpoint(socket, this.tracker);
  }
}
