/**
 * Simulated `listen` / `connect`: a three-way handshake over the virtual network.
 *
 * t0: SYN leaves the client. At t0 + one-way the server host answers: with no listener on
 * the port it refuses (the client rejects with ECONNREFUSED one way later, one RTT in all);
 * otherwise both stream sides are created, the client's `connect` resolves at t0 + RTT and
 * the server's `onConnection` runs at t0 + 1.5 RTT, when the client's ACK arrives. A host
 * that does not exist or is offline never answers: the client rejects with ETIMEDOUT after
 * the connect timeout.
 */
import type { Address, ByteStream, ConnectOptions, StreamListener, Streams } from '../runtime/types.js';
import { NetworkError, formatAddress } from '../runtime/types.js';
import type { SimHost } from './host.js';
import { SimByteStream } from './stream.js';
import { simNetworkError } from './network.js';

export class SimListener implements StreamListener {
  readonly address: Address;
  readonly host: SimHost;
  readonly onConnection: (stream: ByteStream) => void;
  closed = false;

  constructor(host: SimHost, port: number, onConnection: (stream: ByteStream) => void) {
    this.host = host;
    this.address = { host: host.address, port };
    this.onConnection = onConnection;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    const ports = this.host.tcpPorts;
    if (ports.get(this.address.port) === this) ports.delete(this.address.port);
  }
}

class ConnectAttempt {
  readonly client: SimHost;
  readonly server: SimHost | undefined;
  readonly to: Address;
  /** The server's port the SYN reaches (a NAT's port forward may change it). */
  readonly port: number;
  readonly resolve: (s: ByteStream) => void;
  readonly reject: (e: Error) => void;
  settled = false;
  timerSlot = -1;
  timerGen = 0;

  constructor(client: SimHost, server: SimHost | undefined, to: Address, port: number, resolve: (s: ByteStream) => void, reject: (e: Error) => void) {
    this.client = client;
    this.server = server;
    this.to = to;
    this.port = port;
    this.resolve = resolve;
    this.reject = reject;
  }

  fail(error: Error): void {
    if (this.settled) return;
    this.settled = true;
    this.client.network.queue.cancel(this.timerSlot, this.timerGen);
    this.client.network.settled = true;
    this.reject(error);
  }

  succeed(stream: SimByteStream): void {
    this.settled = true;
    this.client.network.queue.cancel(this.timerSlot, this.timerGen);
    this.client.network.settled = true;
    this.resolve(stream);
  }
}

export class SimStreams implements Streams {
  private readonly host: SimHost;
  constructor(host: SimHost) {
    this.host = host;
  }

  listen(address: Address, onConnection: (stream: ByteStream) => void): Promise<StreamListener> {
    const host = this.host;
    return new Promise((resolve, reject) => {
      const net = host.network;
      if (!host.isLocalAddress(address.host)) {
        net.rejectLater(reject, new NetworkError('EADDRNOTAVAIL', `cannot listen on ${formatAddress(address)}: not an address of host ${host.address}`));
        return;
      }
      const port = address.port === 0 ? host.allocatePort(host.tcpPorts) : address.port;
      if (host.removed || !(port > 0 && port < 65536) || host.tcpPorts.has(port)) {
        net.rejectLater(reject, new NetworkError('EADDRINUSE', `cannot listen on ${formatAddress(address)}: port in use or invalid`));
        return;
      }
      const listener = new SimListener(host, port, onConnection);
      host.tcpPorts.set(port, listener);
      net.resolveLater(resolve, listener);
    });
  }

  connect(address: Address, options?: ConnectOptions): Promise<ByteStream> {
    const host = this.host;
    return new Promise((resolve, reject) => {
      const net = host.network;
      const q = net.queue;
      if (options?.localHost !== undefined && !host.isLocalAddress(options.localHost)) {
        net.rejectLater(reject, new NetworkError('EADDRNOTAVAIL', `cannot connect from ${options.localHost}: not an address of host ${host.address}`));
        return;
      }
      if (!host.online) {
        net.rejectLater(reject, new NetworkError('ENETDOWN', `cannot connect to ${formatAddress(address)}: host ${host.address} is offline`));
        return;
      }
      const route = net.translator === null ? undefined : net.translator.routeConnect(host, address);
      const server = route === undefined ? net.hosts.get(address.host) : route.server;
      const attempt = new ConnectAttempt(host, server, address, route === undefined ? address.port : route.port, resolve, reject);
      const timeoutMs = options?.timeoutMs ?? net.connectTimeoutMs;
      attempt.timerSlot = q.push(q.now + timeoutMs, connectTimedOut, attempt, timeoutMs, undefined);
      attempt.timerGen = q.generation(attempt.timerSlot);
      if (server !== undefined && server.online) q.push(q.now + net.oneWayMs(host, server), synArrived, attempt, undefined, undefined);
    });
  }
}

function connectTimedOut(attempt: ConnectAttempt, timeoutMs: number): void {
  attempt.fail(simNetworkError('ETIMEDOUT', `connect to ${formatAddress(attempt.to)} timed out after ${timeoutMs} ms`));
}

function synArrived(attempt: ConnectAttempt): void {
  const server = attempt.server as SimHost;
  if (attempt.settled || !server.online) return;
  const net = server.network;
  // A NAT in front of the server drops an unsolicited SYN: the client times out.
  const nat = net.nats[server.id];
  if (nat !== undefined && !nat.admitsConnection(attempt.client.id)) return;
  const back = net.oneWayMs(server, attempt.client);
  const listener = server.tcpPorts.get(attempt.port);
  if (listener === undefined) {
    net.queue.push(net.queue.now + back, refused, attempt, undefined, undefined);
    return;
  }
  net.queue.push(net.queue.now + back, synAckArrived, attempt, listener, undefined);
}

function refused(attempt: ConnectAttempt): void {
  if (!attempt.client.online) return;
  attempt.fail(simNetworkError('ECONNREFUSED', `connection to ${formatAddress(attempt.to)} refused`));
}

function synAckArrived(attempt: ConnectAttempt, listener: SimListener): void {
  const client = attempt.client;
  const server = listener.host;
  if (attempt.settled || !client.online) return;
  const net = client.network;
  const clientAddr: Address = { host: client.address, port: client.allocateStreamPort() };
  const toServer = net.oneWayMs(client, server);
  // Through a NAT's port forward the client still sees the address it dialled.
  const c = new SimByteStream(client, clientAddr, net.translator === null ? listener.address : attempt.to, toServer);
  // Behind a NAT gateway the server sees the client's public address (nat-gateway.ts).
  const seenAs = net.translator === null ? clientAddr : net.translator.seenAs(client, clientAddr);
  const s = new SimByteStream(server, listener.address, seenAs, net.oneWayMs(server, client));
  c.peer = s;
  s.peer = c;
  net.stats.streamsOpened++;
  // A server that went offline meanwhile: its side fails like any of its streams.
  if (!server.online) s.fail();
  attempt.succeed(c);
  net.queue.push(net.queue.now + toServer, ackArrived, listener, s, undefined);
}

function ackArrived(listener: SimListener, stream: SimByteStream): void {
  if (stream.closed) return;
  if (listener.closed || !listener.host.online) {
    stream.destroy();
    return;
  }
  listener.onConnection(stream);
}
