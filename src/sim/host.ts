/**
 * A simulated host: one virtual IPv4 address, its bound ports and streams, its links'
 * bandwidth, and the `Runtime` its protocol code runs on (virtual clock, its own forked
 * random stream, virtual UDP and streams).
 */
import { NetworkError, type Clock, type Dns, type Runtime, type TimerHandle } from '../runtime/types.js';
import type { SeededRandom } from '../runtime/random.js';
import type { EventQueue } from './event-queue.js';
import type { Network } from './network.js';
import type { NatBox } from './nat.js';
import { SimUdp, type SimUdpEndpoint } from './udp.js';
import { SimStreams, type SimListener } from './streams.js';
import { SimHttpClient, SimHttpServe } from './http.js';
import type { SimByteStream } from './stream.js';

const EPHEMERAL_FIRST = 49152;
const EPHEMERAL_LAST = 65535;

export interface HostOptions {
  /** An IPv4 literal; default: the next free 10.x.y.z. */
  address?: string;
  /** Uplink bandwidth, bits per second; undefined or Infinity = unlimited. */
  uploadBps?: number;
  /** Downlink bandwidth, bits per second; undefined or Infinity = unlimited. */
  downloadBps?: number;
}

/**
 * Names come from the simulator's table (`Simulator.setName`); anything else does not
 * resolve. A class rather than an object with a closure: one per host, so it is kept small.
 */
class SimDns implements Dns {
  private readonly network: Network;
  constructor(network: Network) {
    this.network = network;
  }
  async resolve(name: string, family: 4 | 6): Promise<string[]> {
    const address = this.network.names.get(name.toLowerCase());
    if (address === undefined || (family === 6) !== address.includes(':')) throw new NetworkError('ENOTFOUND', `${name}: no such simulated host name`);
    return [address];
  }
}

/** The runtime handed to a simulated host's protocol code. */
export interface SimRuntime extends Runtime {
  readonly dns: Dns;
  readonly http: SimHttpClient;
  readonly httpServer: SimHttpServe;
  readonly clock: SimClock;
  readonly random: SeededRandom;
  readonly udp: SimUdp;
  readonly stream: SimStreams;
}

export class SimTimer implements TimerHandle {
  private readonly queue: EventQueue;
  private readonly slot: number;
  private readonly gen: number;
  constructor(queue: EventQueue, slot: number) {
    this.queue = queue;
    this.slot = slot;
    this.gen = queue.generation(slot);
  }
  cancel(): void {
    this.queue.cancel(this.slot, this.gen);
  }
}

/** Virtual time. A removed host's timers no longer fire. */
export class SimClock implements Clock {
  private readonly host: SimHost;
  private readonly queue: EventQueue;
  constructor(host: SimHost, queue: EventQueue) {
    this.host = host;
    this.queue = queue;
  }
  now(): number {
    return this.queue.now;
  }
  setTimer(ms: number, fn: () => void): TimerHandle {
    const q = this.queue;
    const delay = ms > 0 ? ms : 0;
    return new SimTimer(q, q.push(q.now + delay, fireHostTimer, this.host, fn, undefined));
  }
}

function fireHostTimer(host: SimHost, fn: () => void): void {
  if (!host.removed) fn();
}

/**
 * A host's bound UDP ports. Nearly every simulated host binds one, so the first sits in two
 * fields and a Map is made only for more (an empty Map and its table were ~180 bytes a host).
 */
export class PortTable<T> {
  private onePort = -1;
  private one: T | undefined = undefined;
  private more: Map<number, T> | null = null;

  get size(): number {
    return (this.onePort < 0 ? 0 : 1) + (this.more?.size ?? 0);
  }

  get(port: number): T | undefined {
    return port === this.onePort ? this.one : this.more?.get(port);
  }

  has(port: number): boolean {
    return port === this.onePort || (this.more?.has(port) ?? false);
  }

  set(port: number, value: T): void {
    if (port === this.onePort || (this.onePort < 0 && !(this.more?.has(port) ?? false))) {
      this.onePort = port;
      this.one = value;
    } else (this.more ??= new Map()).set(port, value);
  }

  delete(port: number): boolean {
    if (port !== this.onePort) return this.more?.delete(port) ?? false;
    this.onePort = -1;
    this.one = undefined;
    return true;
  }

  /** The values, as a new array. */
  values(): T[] {
    const out = this.onePort < 0 ? [] : [this.one as T];
    if (this.more !== null) for (const v of this.more.values()) out.push(v);
    return out;
  }
}

export class SimHost {
  readonly id: number;
  readonly address: string;
  readonly network: Network;
  readonly runtime: SimRuntime;
  /** Removed hosts are gone for good: timers stop, ports close, the address is free. */
  removed = false;
  readonly udpPorts = new PortTable<SimUdpEndpoint>();
  /**
   * Created on first use: a host that never listens or opens a stream (most of a 1,000,000
   * node DHT simulation) does not carry an empty Map and Set (~340 bytes).
   */
  private tcpPortMap: Map<number, SimListener> | null = null;
  private streamSet: Set<SimByteStream> | null = null;
  private nextPort = EPHEMERAL_FIRST;
  private nextStreamPort = EPHEMERAL_FIRST;

  constructor(network: Network, id: number, address: string, random: SeededRandom, options: HostOptions = {}) {
    this.network = network;
    this.id = id;
    this.address = address;
    network.links.ensure(id);
    network.links.online[id] = 1;
    this.setBandwidth(options.uploadBps, options.downloadBps);
    const stream = new SimStreams(this);
    const dns = new SimDns(network);
    this.runtime = {
      clock: new SimClock(this, network.queue),
      random,
      udp: new SimUdp(this),
      stream,
      dns,
      http: new SimHttpClient(stream, dns),
      httpServer: new SimHttpServe(stream),
    };
  }

  /** Listening stream ports. */
  get tcpPorts(): Map<number, SimListener> {
    return (this.tcpPortMap ??= new Map());
  }

  /** Open streams (either side). */
  get streams(): Set<SimByteStream> {
    return (this.streamSet ??= new Set());
  }

  /** Puts the host behind a NAT box (or takes it out with undefined). */
  setNat(nat: NatBox | undefined): void {
    this.network.nats[this.id] = nat;
  }

  get nat(): NatBox | undefined {
    return this.network.nats[this.id];
  }

  /** Offline hosts neither send nor receive; their code (timers) keeps running. */
  get online(): boolean {
    return this.network.links.online[this.id] === 1;
  }

  /** Uplink serialization cost, ms per byte (0 = unlimited). */
  get upMsPerByte(): number {
    return this.network.links.upRate[this.id];
  }

  /** Downlink serialization cost, ms per byte (0 = unlimited). */
  get downMsPerByte(): number {
    return this.network.links.downRate[this.id];
  }

  /** Virtual time at which the uplink is next free. */
  get upBusy(): number {
    return this.network.links.upBusy[this.id];
  }

  set upBusy(t: number) {
    this.network.links.upBusy[this.id] = t;
  }

  /** Virtual time at which the downlink is next free. */
  get downBusy(): number {
    return this.network.links.downBusy[this.id];
  }

  set downBusy(t: number) {
    this.network.links.downBusy[this.id] = t;
  }

  /** Changes link speeds (bits per second; undefined or Infinity = unlimited). */
  setBandwidth(uploadBps: number | undefined, downloadBps: number | undefined): void {
    this.network.links.upRate[this.id] = msPerByte(uploadBps, 'uploadBps');
    this.network.links.downRate[this.id] = msPerByte(downloadBps, 'downloadBps');
  }

  /** Disconnects: traffic to and from it is dropped and its streams fail. */
  goOffline(): void {
    if (!this.online) return;
    this.network.links.online[this.id] = 0;
    if (this.streamSet !== null) for (const s of [...this.streamSet]) s.fail();
    this.upBusy = 0;
    this.downBusy = 0;
  }

  /** Reconnects (a removed host cannot come back). */
  goOnline(): void {
    if (!this.removed) this.network.links.online[this.id] = 1;
  }

  /** True for this host's own address and for the wildcards. */
  isLocalAddress(host: string): boolean {
    return host === this.address || host === '0.0.0.0' || host === '::' || host === '';
  }

  /** A free port from the ephemeral range for `ports`, or -1 when all are taken. */
  allocatePort(ports: { has(port: number): boolean }): number {
    const span = EPHEMERAL_LAST - EPHEMERAL_FIRST + 1;
    for (let i = 0; i < span; i++) {
      const p = this.nextPort;
      this.nextPort = p === EPHEMERAL_LAST ? EPHEMERAL_FIRST : p + 1;
      if (!ports.has(p)) return p;
    }
    return -1;
  }

  /** The local port of an outgoing stream (cycles through the ephemeral range). */
  allocateStreamPort(): number {
    const p = this.nextStreamPort;
    this.nextStreamPort = p === EPHEMERAL_LAST ? EPHEMERAL_FIRST : p + 1;
    return p;
  }

  /** Used by `Simulator.removeHost`. */
  shutdown(): void {
    this.goOffline();
    this.removed = true;
    for (const ep of this.udpPorts.values()) ep.close();
    if (this.tcpPortMap !== null) for (const l of [...this.tcpPortMap.values()]) l.close();
  }
}

function msPerByte(bps: number | undefined, name: string): number {
  if (bps === undefined || bps === Infinity) return 0;
  if (!(bps > 0)) throw new RangeError(`${name} must be > 0 bits/s (or undefined for unlimited), got ${bps}`);
  return 8000 / bps;
}
