/** Datagrams over `node:dgram`, IPv4 or IPv6 depending on the bind address. */
import dgram from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP, isIPv6 } from 'node:net';
import type { Address, DatagramHandler, Udp, UdpBindOptions, UdpEndpoint } from '../types.js';
import { formatAddress } from '../types.js';
import { bindDgram } from './dgram-bind.js';
import type { ResourceTracker } from './resources.js';

/** libuv reads at most this many datagrams from one socket per event-loop turn (`uv__udp_recvmsg`). */
export const LIBUV_READ_BATCH = 32;
/**
 * Event-loop turns `afterReads` waits at most while every one of them reads a full batch (the
 * socket still had datagrams queued): a burst up to 4 x 32 datagrams counts as one.
 */
export const MAX_BURST_TURNS = 4;

class NodeUdpEndpoint implements UdpEndpoint {
  readonly address: Address;
  private handler: DatagramHandler | null = null;
  private closed = false;
  /** Datagrams read since `afterReads` was last waiting (counted only while one waits). */
  private reads = 0;
  private turns = 0;
  private afterPending: (() => void)[] = [];
  private readonly afterTurn = (): void => this.endOfTurn();
  private readonly socket: dgram.Socket;
  private readonly tracker: ResourceTracker;

  constructor(socket: dgram.Socket, tracker: ResourceTracker) {
    this.socket = socket;
    this.tracker = tracker;
    const a = socket.address();
    this.address = { host: a.address, port: a.port };
    // A burst comes from one sender: its Address object is reused while it does (one object
    // less per datagram; an Address is read-only).
    let last: Address = { host: '', port: 0 };
    socket.on('message', (msg, rinfo) => {
      this.reads = this.afterPending.length > 0 ? this.reads + 1 : 1;
      const h = this.handler;
      if (h === null) return;
      if (rinfo.port !== last.port || rinfo.address !== last.host) last = { host: rinfo.address, port: rinfo.port };
      h(msg, last);
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

  /**
   * Runs `fn` once the socket's read burst ends: after the event loop's I/O phase
   * (`setImmediate`), unless that phase read a full libuv batch, which leaves datagrams
   * queued in the kernel; then one more turn, up to `MAX_BURST_TURNS`. libtorrent acks once
   * its reads would block; without the extra turns a saturated socket (a fast download on
   * loopback) acked every 32 packets, each ACK a send that wakes the sender (3.4x the ACKs).
   */
  afterReads(fn: () => void): void {
    this.afterPending.push(fn);
    if (this.afterPending.length > 1) return;
    this.turns = 0;
    setImmediate(this.afterTurn);
  }

  private endOfTurn(): void {
    const full = this.reads >= LIBUV_READ_BATCH;
    this.reads = 0;
    if (full && ++this.turns < MAX_BURST_TURNS && !this.closed) {
      setImmediate(this.afterTurn);
      return;
    }
    const fns = this.afterPending;
    this.afterPending = [];
    for (const fn of fns) fn();
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
let lastHost = '';
let lastFamily = 0;

function literalLookup(host: string, options: LookupOneOptions | number, callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  // A burst of sends goes to one peer: its answer is remembered (isIP is a regular expression per datagram).
  if (host !== lastHost) {
    lastHost = host;
    lastFamily = isIP(host);
  }
  const family = lastFamily;
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
