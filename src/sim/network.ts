/**
 * The virtual network: which host owns which address, per-pair latency (a pluggable
 * model), loss (global or per link), and per-host up/down bandwidth modelled as
 * serialization delay on a FIFO link. Datagrams take the hot path here with no per-packet
 * allocation: the event carries (destination endpoint, bytes, sender's address), where the
 * sender's address is its endpoint's one `Address` object, handed to the receiver as `from`.
 */
import type { NatBox } from './nat.js';
import { NetworkError, type Address } from '../runtime/types.js';
import type { SeededRandom } from '../runtime/random.js';
import type { EventQueue } from './event-queue.js';
import type { LatencyModel } from './latency.js';
import { LinkTable } from './links.js';
import type { SimHost } from './host.js';
import { ENDPOINT, type EndpointAddress, type SimUdpEndpoint } from './udp.js';

/** IPv4 (20) + UDP (8) header bytes, counted against bandwidth. */
export const UDP_OVERHEAD_BYTES = 28;

/**
 * A `NetworkError` the simulated network raises (a reset, a timeout, a refusal), without a
 * stack trace: its stack would only show the event loop, and capturing one costs more than
 * the rest of the event (a swarm of 1,000 peers meets tens of thousands of them).
 */
export function simNetworkError(code: string, message: string): NetworkError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new NetworkError(code, message);
  } finally {
    Error.stackTraceLimit = limit;
  }
}
/** IPv4 (20) + TCP (20) header bytes per stream segment. */
export const TCP_OVERHEAD_BYTES = 40;
/** Largest UDP payload over IPv4. */
export const MAX_DATAGRAM_BYTES = 65507;
/** One-way delay of a host talking to itself, ms. */
export const LOOPBACK_MS = 0.01;

export interface NetworkConfig {
  latency: LatencyModel;
  /** Probability a datagram is lost, in [0, 1]. Streams are reliable and never lose bytes. */
  lossRate: number;
  /** A datagram that would wait longer than this in a link's queue is dropped (tail drop), ms. */
  queueLimitMs: number;
  /** Default timeout for `connect` to a host that does not answer, ms. */
  connectTimeoutMs: number;
  /** When a host goes offline, how long after the one-way delay its peers' streams fail, ms. */
  linkFailureDetectMs: number;
}

/** Counters, updated as the run goes. */
export class NetworkStats {
  datagramsSent = 0;
  datagramsDelivered = 0;
  /** Lost to the loss model. */
  datagramsLost = 0;
  /** Dropped for a reason: no such host or port, host offline, queue full, too large. */
  datagramsDropped = 0;
  streamsOpened = 0;
  streamBytesDelivered = 0;
}

/** Where a connection attempt goes: the host that answers (undefined: nobody does) and its port. */
export interface ConnectRoute {
  readonly server: SimHost | undefined;
  readonly port: number;
}

/** Address-rewriting NATs (nat-gateway.ts): the routes datagrams and connections take through them. */
export interface AddressTranslator {
  /** The endpoint a datagram reaches (undefined: dropped); sets `from` to its source as the receiver sees it. */
  routeDatagram(source: SimUdpEndpoint, data: Uint8Array, to: Address, target: SimUdpEndpoint | undefined): SimUdpEndpoint | undefined;
  readonly from: Address;
  routeConnect(client: SimHost, to: Address): ConnectRoute;
  /** The address the far side of an outgoing connection from `local` sees. */
  seenAs(client: SimHost, local: Address): Address;
}

export class Network {
  /** NAT boxes by host id (undefined: no NAT); see nat.ts. */
  readonly nats: (NatBox | undefined)[] = [];
  /** Address-rewriting NAT gateways, once any is set up (nat-gateway.ts); null: addresses are never rewritten. */
  translator: AddressTranslator | null = null;
  readonly queue: EventQueue;
  /** Draws for the loss model (its own stream, so other randomness does not shift it). */
  readonly random: SeededRandom;
  readonly stats = new NetworkStats();
  readonly hosts = new Map<string, SimHost>();
  /** Host names the simulated resolver knows (`Simulator.setName`): name -> IP literal. */
  readonly names = new Map<string, string>();
  /** Per-host online flag and link state, by host id. */
  readonly links = new LinkTable();
  latency: LatencyModel;
  lossRate: number;
  queueLimitMs: number;
  connectTimeoutMs: number;
  linkFailureDetectMs: number;
  /**
   * Set when an event settled a promise the simulator created; the async run loop then
   * lets microtasks run before the next event. Cleared by the loop.
   */
  settled = false;
  /**
   * Set by an event that ran no code outside the simulator (a segment taking the receiver's
   * downlink): it queued no microtasks, so in 'microtasks' mode the async run loop goes
   * straight on to the next event instead of hopping through the microtask queue for nothing
   * (half a swarm run's events). Cleared by the loop.
   */
  quiet = false;
  private linkLoss: Map<number, number> | null = null;

  constructor(queue: EventQueue, random: SeededRandom, config: NetworkConfig) {
    this.queue = queue;
    this.random = random;
    this.latency = config.latency;
    this.lossRate = checkRate(config.lossRate);
    this.queueLimitMs = config.queueLimitMs;
    this.connectTimeoutMs = config.connectTimeoutMs;
    this.linkFailureDetectMs = config.linkFailureDetectMs;
  }

  /** One-way latency from `a` to `b`, ms. */
  oneWayMs(a: SimHost, b: SimHost): number {
    return a === b ? LOOPBACK_MS : this.latency.oneWayMs(a.id, b.id);
  }

  /** Sets (or with `undefined`, clears) the loss rate of the link between two hosts, both ways. */
  setLinkLoss(a: SimHost, b: SimHost, rate: number | undefined): void {
    const key = linkKey(a.id, b.id);
    if (rate === undefined) {
      this.linkLoss?.delete(key);
      if (this.linkLoss?.size === 0) this.linkLoss = null;
      return;
    }
    this.linkLoss ??= new Map();
    this.linkLoss.set(key, checkRate(rate));
  }

  /** The loss rate between two hosts: the per-link one when set, else the global one. */
  lossRateBetween(a: SimHost, b: SimHost): number {
    return this.lossRateBetweenIds(a.id, b.id);
  }

  private lossRateBetweenIds(a: number, b: number): number {
    if (this.linkLoss === null) return this.lossRate;
    return this.linkLoss.get(linkKey(a, b)) ?? this.lossRate;
  }

  /** Resolves a simulator-created promise as an event `delayMs` from now. */
  resolveLater<T>(resolve: (value: T) => void, value: T, delayMs = 0): void {
    this.queue.push(this.queue.now + delayMs, settle, resolve as (v: unknown) => void, value, this);
  }

  /** Rejects a simulator-created promise as an event `delayMs` from now. */
  rejectLater(reject: (error: Error) => void, error: Error, delayMs = 0): void {
    this.queue.push(this.queue.now + delayMs, settle, reject as (v: unknown) => void, error, this);
  }

  /** The datagram hot path: `UdpEndpoint.send` lands here. */
  sendDatagram(source: SimUdpEndpoint, data: Uint8Array, to: Address): void {
    const stats = this.stats;
    stats.datagramsSent++;
    const links = this.links;
    const srcId = source.hostId;
    let target = (to as EndpointAddress)[ENDPOINT];
    if (target === undefined || target.closed) {
      const dst = this.hosts.get(to.host);
      target = dst === undefined ? undefined : dst.udpPorts.get(to.port);
    }
    let from: Address = source.address;
    const translator = this.translator;
    if (translator !== null) {
      target = translator.routeDatagram(source, data, to, target);
      from = translator.from;
    }
    if (target === undefined || links.online[srcId] === 0 || links.online[target.hostId] === 0 || data.byteLength > MAX_DATAGRAM_BYTES) {
      stats.datagramsDropped++;
      return;
    }
    const dstId = target.hostId;
    const srcNat = this.nats[srcId];
    if (srcNat !== undefined) srcNat.sent(dstId);
    const dstNat = this.nats[dstId];
    if (dstNat !== undefined && !dstNat.admitsDatagram(srcId)) {
      stats.datagramsDropped++;
      return;
    }
    const q = this.queue;
    const size = data.byteLength + UDP_OVERHEAD_BYTES;
    let t = q.now;
    const upRate = links.upRate[srcId];
    if (upRate > 0) {
      let start = links.upBusy[srcId];
      if (start < t) start = t;
      else if (start - t > this.queueLimitMs) {
        stats.datagramsDropped++;
        return;
      }
      t = start + size * upRate;
      links.upBusy[srcId] = t;
    }
    const loss = this.linkLoss === null ? this.lossRate : this.lossRateBetweenIds(srcId, dstId);
    if (loss > 0 && this.random.next() < loss) {
      stats.datagramsLost++;
      return;
    }
    t += dstId === srcId ? LOOPBACK_MS : this.latency.oneWayMs(srcId, dstId);
    // Optimistically assume the receiver's downlink is free: one event per datagram unless
    // it turns out to be busy (see `arriveDatagram`).
    t += size * links.downRate[dstId];
    q.push(t, arriveDatagram, target, data, from);
  }
}

/**
 * A datagram has arrived, if the receiver's downlink was free when it started to come in.
 * If the link was still busy with earlier arrivals, it queues behind them (FIFO) and is
 * delivered by a second event when its own serialization ends.
 */
function arriveDatagram(target: SimUdpEndpoint, data: Uint8Array, from: Address): void {
  const net = target.network;
  const links = net.links;
  const id = target.hostId;
  if (links.online[id] === 0) {
    net.stats.datagramsDropped++;
    return;
  }
  const rate = links.downRate[id];
  if (rate > 0) {
    const now = net.queue.now;
    const serialization = (data.byteLength + UDP_OVERHEAD_BYTES) * rate;
    const start = now - serialization;
    const busy = links.downBusy[id];
    if (busy > start) {
      if (busy - start > net.queueLimitMs) {
        net.stats.datagramsDropped++;
        return;
      }
      const done = busy + serialization;
      links.downBusy[id] = done;
      net.queue.push(done, deliverDatagram, target, data, from);
      return;
    }
    links.downBusy[id] = now;
  }
  deliverDatagram(target, data, from);
}

/** Hands a datagram to the endpoint's handler (or to whoever holds the port now). */
function deliverDatagram(target: SimUdpEndpoint, data: Uint8Array, from: Address): void {
  const net = target.network;
  let ep: SimUdpEndpoint | undefined = target;
  if (net.links.online[target.hostId] === 0) {
    net.stats.datagramsDropped++;
    return;
  }
  if (ep.closed) {
    ep = target.host.udpPorts.get(ep.address.port);
    if (ep === undefined) {
      net.stats.datagramsDropped++;
      return;
    }
  }
  net.stats.datagramsDelivered++;
  const h = ep.handler;
  if (h !== null) h(data, from);
}

function settle(fn: (v: unknown) => void, value: unknown, net: Network): void {
  net.settled = true;
  fn(value);
}

function linkKey(a: number, b: number): number {
  return a < b ? a * 67108864 + b : b * 67108864 + a;
}

function checkRate(rate: number): number {
  if (!(rate >= 0 && rate <= 1)) throw new RangeError(`a loss rate must be in [0, 1], got ${rate}`);
  return rate;
}
