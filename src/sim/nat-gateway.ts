/**
 * NAT gateways that rewrite addresses (RFC 4787), for UDP (uTP, the DHT, trackers, BEP 55
 * punches) and simulated TCP streams. A host behind a gateway keeps its own (private)
 * address, which nobody outside can reach; what it sends leaves from the gateway's public
 * address and a mapped port, so peers, trackers and DHT nodes see (and report: BEP 10
 * `yourip`, BEP 42 `ip`) the external address, as on the real network.
 *
 * Behaviour by type (the measurement literature's names, RFC 4787's terms):
 * - 'full-cone': endpoint-independent mapping (EIM) and filtering (EIF): once a port is
 *   mapped, anyone's datagrams to it get in.
 * - 'restricted-cone': EIM, address-dependent filtering: datagrams from hosts it sent to.
 * - 'port-restricted': EIM, address-and-port-dependent filtering (APDF).
 * - 'symmetric': address-and-port-dependent mapping (a fresh external port per
 *   destination) and APDF.
 * Cone types keep the internal port as the external one when it is free (port
 * preservation, as Linux masquerade does); one host sits behind each gateway, so it is.
 * A UDP mapping goes after `udpTimeoutMs` without outbound traffic (RFC 4787 REQ-5/REQ-6:
 * outbound refresh; inbound traffic does not refresh it).
 *
 * Streams: outgoing connections always pass and the far side sees the public address (a
 * cone keeps the local port, a symmetric NAT picks a fresh one). An unsolicited SYN gets in
 * only through a port forward, made over NAT-PMP (RFC 6886) when `natPmp` is on (the
 * gateway answers at `lanAddress`:5351) or over UPnP IGD when `upnp` names a version
 * (SSDP to 239.255.255.250:1900 from the LAN is answered, SOAP through upnp-http.ts;
 * upnp-igd.ts). TCP mappings of open connections do not expire (routers hold established
 * TCP for hours); TCP simultaneous open is not modelled.
 *
 * One host per gateway; no hairpinning (two hosts behind one NAT) is modelled.
 */
import type { Address } from '../runtime/types.js';
import { NATPMP_PORT } from '../nat/natpmp-codec.js';
import type { NatType } from './nat.js';
import type { AddressTranslator, ConnectRoute, Network } from './network.js';
import type { SimHost } from './host.js';
import type { SimUdpEndpoint } from './udp.js';
import { answerNatPmp, type PmpNat, type PmpProtocol } from './nat-pmp-server.js';
import { IgdResponder, type IgdNat, type IgdVersion } from './upnp-igd.js';
import { SSDP_MULTICAST } from '../nat/upnp-codec.js';

export type GatewayType = Exclude<NatType, 'open'>;

export interface NatGatewayOptions {
  readonly type: GatewayType;
  /** The public address; default: the next free 100.64.x.y (RFC 6598 shared space). */
  readonly publicAddress?: string;
  /** The router's address on the host's link (NAT-PMP server); default: the next 192.168.x.1. */
  readonly lanAddress?: string;
  /** Idle time after which a UDP mapping goes, ms (default 120 000: RFC 4787 REQ-5's floor). */
  readonly udpTimeoutMs?: number;
  /** Answers NAT-PMP at `lanAddress`:5351 (default false: the router maps nothing on request). */
  readonly natPmp?: boolean;
  /** Answers UPnP IGD of this version (SSDP on the LAN, SOAP at `lanAddress`:5000); default false. */
  readonly upnp?: IgdVersion | false;
  /** The IGD takes only permanent leases (old v1 routers: error 725 for any other). Default false. */
  readonly upnpPermanentOnly?: boolean;
  /** UDP mappings held at most (default 16 384); a new one beyond that is refused (the datagram dropped). */
  readonly maxMappings?: number;
}

export const NAT_GATEWAY_DEFAULTS = { udpTimeoutMs: 120_000, natPmp: false, upnp: false, maxMappings: 16_384 } as const;

/** LAN one-way delay between a host and its own router, ms. */
const LAN_MS = 0.5;
const FIRST_PORT = 1024;
const LAST_PORT = 65535;
/** Expired mappings are swept after this many new ones (lookups drop expired ones too). */
const SWEEP_EVERY = 1024;

/**
 * Remote endpoints as numbers (no strings built per datagram): a host's index in the
 * router's table times 65 536 plus the port; a symmetric mapping's key adds the internal port
 * below that. Host indexes stay under 2^21, so keys stay exact doubles (< 2^53).
 */
const PORTS = 65_536;

class UdpMapping {
  lastOut = 0;
  /**
   * Filtering state: what the inside host sent to from this mapping, as endpoint keys
   * (host index × 65 536 + port; address-restricted: host index alone).
   */
  readonly sentTo = new Set<number>();
  constructor(readonly internalPort: number, readonly external: Address, readonly key: number) {}
}

interface Forward {
  readonly internalPort: number;
  readonly external: Address;
  expiresAt: number;
}

export interface NatGatewayStats {
  /** UDP mappings made (each symmetric destination counts). */
  mappingsCreated: number;
  /** UDP mappings that expired idle. */
  mappingsExpired: number;
  /** Inbound datagrams dropped: no mapping, or the filter refused the sender. */
  inboundDropped: number;
  /** Unsolicited connection attempts dropped (no forward). */
  synsDropped: number;
  /** NAT-PMP requests answered. */
  pmpRequests: number;
}

export class NatGateway implements PmpNat, IgdNat {
  readonly type: GatewayType;
  readonly publicAddress: string;
  readonly lanAddress: string;
  readonly natPmp: boolean;
  /** The UPnP IGD responder, when the router speaks UPnP. */
  readonly igd: IgdResponder | undefined;
  /** Request to answer on the LAN, ms. */
  readonly lanRoundTripMs = 2 * LAN_MS;
  readonly stats: NatGatewayStats = { mappingsCreated: 0, mappingsExpired: 0, inboundDropped: 0, synsDropped: 0, pmpRequests: 0 };
  private readonly timeoutMs: number;
  private readonly maxMappings: number;
  private readonly eim: boolean;
  private readonly created: number;
  /** EIM: internal port -> mapping; symmetric: (remote endpoint key × 65 536 + internal port) -> mapping. */
  private readonly byInternal = new Map<number, UdpMapping>();
  private readonly byExternal = new Map<number, UdpMapping>();
  private readonly forwards: Record<PmpProtocol, Map<number, Forward>> = { udp: new Map(), tcp: new Map() };
  private readonly udpForwardByInternal = new Map<number, Forward>();
  private nextPort = 30_000;
  private sinceSweep = 0;

  constructor(readonly inside: SimHost, private readonly network: Network, publicAddress: string, lanAddress: string, o: NatGatewayOptions) {
    this.type = o.type;
    this.publicAddress = publicAddress;
    this.lanAddress = lanAddress;
    this.natPmp = o.natPmp ?? NAT_GATEWAY_DEFAULTS.natPmp;
    const upnp = o.upnp ?? NAT_GATEWAY_DEFAULTS.upnp;
    this.igd = upnp === false ? undefined : new IgdResponder(this, upnp, o.upnpPermanentOnly ?? false);
    this.timeoutMs = o.udpTimeoutMs ?? NAT_GATEWAY_DEFAULTS.udpTimeoutMs;
    this.maxMappings = o.maxMappings ?? NAT_GATEWAY_DEFAULTS.maxMappings;
    this.eim = o.type !== 'symmetric';
    this.created = network.queue.now;
  }

  /** UDP mappings held (expired ones may linger until swept). */
  get mappings(): number {
    return this.byExternal.size;
  }

  /** Forwards (port mappings) held, by protocol. */
  forwardCount(protocol: PmpProtocol): number {
    return this.forwards[protocol].size;
  }

  get insideAddress(): string {
    return this.inside.address;
  }

  epochSeconds(): number {
    return Math.floor((this.network.queue.now - this.created) / 1000);
  }

  /**
   * Makes, renews or (lifetime 0) deletes a port forward for `internalPort`; the external
   * port, or -1. A new forward takes `suggestedPort` (or the internal port) when free, else
   * another port, unless `exact` (UPnP AddPortMapping): then a port held by another mapping
   * is a conflict (-1).
   */
  forward(protocol: PmpProtocol, internalPort: number, suggestedPort: number, lifetimeS: number, exact = false): number {
    const table = this.forwards[protocol];
    const now = this.network.queue.now;
    let existing: Forward | undefined;
    for (const f of table.values()) if (f.internalPort === internalPort) existing = f;
    if (lifetimeS === 0) {
      if (existing !== undefined) this.unforward(protocol, existing.external.port);
      return 0;
    }
    const wanted = suggestedPort || internalPort;
    if (existing !== undefined && (!exact || existing.external.port === wanted)) {
      existing.expiresAt = now + lifetimeS * 1000;
      return existing.external.port;
    }
    // A port is free when no other forward holds it and (UDP) no other inside port's dynamic mapping does.
    const free = (p: number): boolean => {
      const f = table.get(p);
      if (f !== undefined && f.expiresAt > now) return false;
      if (protocol === 'tcp') return true;
      const m = this.byExternal.get(p);
      return m === undefined || m.internalPort === internalPort || now - m.lastOut > this.timeoutMs;
    };
    const port = free(wanted) ? wanted : exact ? -1 : this.allocate(free);
    if (port < 0) return -1;
    if (existing !== undefined) this.unforward(protocol, existing.external.port);
    const f: Forward = { internalPort, external: { host: this.publicAddress, port }, expiresAt: now + lifetimeS * 1000 };
    table.set(port, f);
    if (protocol === 'udp') this.udpForwardByInternal.set(internalPort, f);
    return port;
  }

  /** Deletes the forward at `externalPort`; false when there is none. */
  unforward(protocol: PmpProtocol, externalPort: number): boolean {
    const f = this.forwards[protocol].get(externalPort);
    if (f === undefined) return false;
    this.forwards[protocol].delete(externalPort);
    if (protocol === 'udp' && this.udpForwardByInternal.get(f.internalPort) === f) this.udpForwardByInternal.delete(f.internalPort);
    return true;
  }

  /**
   * An inside datagram to `to` (`toHost`: the router's index of `to.host`): the external
   * source address it leaves with, or undefined (dropped).
   */
  outbound(source: SimUdpEndpoint, to: Address, toHost: number, now: number): Address | undefined {
    const internalPort = source.address.port;
    const f = this.udpForwardByInternal.get(internalPort);
    if (f !== undefined && f.expiresAt > now) return f.external; // a forward filters nothing (EIF)
    const endpoint = toHost * PORTS + to.port;
    const key = this.eim ? internalPort : endpoint * PORTS + internalPort;
    let m = this.byInternal.get(key);
    if (m !== undefined && now - m.lastOut > this.timeoutMs) {
      this.remove(m);
      m = undefined;
    }
    if (m === undefined) {
      if (this.byExternal.size >= this.maxMappings) this.sweep(now);
      if (this.byExternal.size >= this.maxMappings) return undefined;
      const free = (p: number): boolean => !this.byExternal.has(p) && !this.forwards.udp.has(p);
      const port = this.eim && free(internalPort) ? internalPort : this.allocate(free);
      if (port < 0) return undefined;
      m = new UdpMapping(internalPort, { host: this.publicAddress, port }, key);
      this.byInternal.set(key, m);
      this.byExternal.set(port, m);
      this.stats.mappingsCreated++;
      if (++this.sinceSweep >= SWEEP_EVERY) this.sweep(now);
    }
    m.lastOut = now;
    if (this.type === 'restricted-cone') m.sentTo.add(toHost);
    else if (this.type !== 'full-cone') m.sentTo.add(endpoint);
    return m.external;
  }

  /** A datagram from `from` (`fromHost`: the router's index of `from.host`) to our public `port`: the inside endpoint it reaches, or undefined. */
  inbound(port: number, from: Address, fromHost: number, now: number): SimUdpEndpoint | undefined {
    const f = this.forwards.udp.get(port);
    if (f !== undefined && f.expiresAt > now) return this.inside.udpPorts.get(f.internalPort);
    const m = this.byExternal.get(port);
    if (m === undefined) return this.drop();
    if (now - m.lastOut > this.timeoutMs) {
      this.remove(m);
      return this.drop();
    }
    if (this.type === 'restricted-cone') {
      if (!m.sentTo.has(fromHost)) return this.drop();
    } else if (this.type !== 'full-cone' && !m.sentTo.has(fromHost * PORTS + from.port)) return this.drop();
    return this.inside.udpPorts.get(m.internalPort);
  }

  /** An unsolicited SYN to our public `port`: the inside port it is forwarded to, or -1. */
  tcpInbound(port: number, now: number): number {
    const f = this.forwards.tcp.get(port);
    if (f !== undefined && f.expiresAt > now) return f.internalPort;
    this.stats.synsDropped++;
    return -1;
  }

  /** The address the far side of an outgoing connection from `local` sees. */
  tcpSeenAs(local: Address): Address {
    if (this.eim) return { host: this.publicAddress, port: local.port };
    const port = this.nextPort;
    this.nextPort = port >= LAST_PORT ? FIRST_PORT : port + 1;
    return { host: this.publicAddress, port };
  }

  /** A NAT-PMP request from the inside host: the answer is delivered after the LAN delay. */
  serveNatPmp(source: SimUdpEndpoint, data: Uint8Array): void {
    if (!this.natPmp) return;
    const answer = answerNatPmp(this, data);
    if (answer === undefined) return;
    this.stats.pmpRequests++;
    const q = this.network.queue;
    q.push(q.now + 2 * LAN_MS, deliverLan, source, answer, { host: this.lanAddress, port: NATPMP_PORT });
  }

  /** An SSDP M-SEARCH from the inside host: the IGD answers it (unicast, from `lanAddress`:1900) after the LAN delay. */
  serveSsdp(source: SimUdpEndpoint, data: Uint8Array): void {
    const answer = this.igd?.answerSearch(data);
    if (answer === undefined) return;
    const q = this.network.queue;
    q.push(q.now + 2 * LAN_MS, deliverLan, source, answer, { host: this.lanAddress, port: SSDP_MULTICAST.port });
  }

  private drop(): undefined {
    this.stats.inboundDropped++;
    return undefined;
  }

  private remove(m: UdpMapping): void {
    this.byInternal.delete(m.key);
    if (this.byExternal.get(m.external.port) === m) this.byExternal.delete(m.external.port);
    this.stats.mappingsExpired++;
  }

  private sweep(now: number): void {
    this.sinceSweep = 0;
    for (const m of [...this.byExternal.values()]) if (now - m.lastOut > this.timeoutMs) this.remove(m);
  }

  private allocate(free: (port: number) => boolean): number {
    for (let i = 0; i <= LAST_PORT - FIRST_PORT; i++) {
      const p = this.nextPort;
      this.nextPort = p >= LAST_PORT ? FIRST_PORT : p + 1;
      if (free(p)) return p;
    }
    return -1;
  }
}

function deliverLan(target: SimUdpEndpoint, data: Uint8Array, from: Address): void {
  if (target.closed || !target.host.online) return;
  target.network.stats.datagramsDelivered++;
  target.handler?.(data, from);
}

/**
 * The network's address translator: which host sits behind which gateway, and the routes
 * datagrams and connections take through them. Hosts without a gateway are untouched.
 */
export class NatRouter implements AddressTranslator {
  from: Address = { host: '', port: 0 };
  private readonly byHost: (NatGateway | undefined)[] = [];
  private readonly byPublic = new Map<string, NatGateway>();
  /** Host addresses (public, private, any) by index, for numeric endpoint keys; grows with the addresses gateways talk to. */
  private readonly hostIndex = new Map<string, number>();
  private nextPublic = 1;
  private nextLan = 1;

  private constructor(private readonly network: Network) {}

  /** The network's router, installed on first use. */
  static of(network: Network): NatRouter {
    if (network.translator instanceof NatRouter) return network.translator;
    if (network.translator !== null) throw new Error('the network already has another address translator');
    const r = new NatRouter(network);
    network.translator = r;
    return r;
  }

  /** Puts `host` behind a new gateway of the given type. */
  add(host: SimHost, o: NatGatewayOptions): NatGateway {
    if (this.byHost[host.id] !== undefined) throw new RangeError(`host ${host.address} is behind a NAT gateway already`);
    const publicAddress = o.publicAddress ?? this.freshAddress(() => {
      const n = this.nextPublic++;
      return `100.${64 + ((n >>> 16) & 63)}.${(n >>> 8) & 255}.${n & 255}`;
    });
    const lanAddress = o.lanAddress ?? this.freshAddress(() => {
      const n = this.nextLan++;
      return `192.168.${n & 255}.${1 + ((n >>> 8) & 127)}`;
    });
    if (this.network.hosts.has(publicAddress) || this.byPublic.has(publicAddress)) throw new RangeError(`address ${publicAddress} is taken`);
    const gw = new NatGateway(host, this.network, publicAddress, lanAddress, o);
    this.byHost[host.id] = gw;
    this.byPublic.set(publicAddress, gw);
    return gw;
  }

  /** The gateway `host` sits behind, if any. */
  gatewayOf(host: SimHost): NatGateway | undefined {
    return this.byHost[host.id];
  }

  /** The gateway owning a public address, if any. */
  gatewayAt(publicAddress: string): NatGateway | undefined {
    return this.byPublic.get(publicAddress);
  }

  routeDatagram(source: SimUdpEndpoint, data: Uint8Array, to: Address, target: SimUdpEndpoint | undefined): SimUdpEndpoint | undefined {
    const now = this.network.queue.now;
    let from: Address = source.address;
    const out = this.byHost[source.hostId];
    if (out !== undefined) {
      if (to.host === out.lanAddress) {
        if (to.port === NATPMP_PORT) out.serveNatPmp(source, data);
        return undefined;
      }
      if (to.host === SSDP_MULTICAST.host) {
        // Multicast stays on the LAN: only the router hears it.
        if (to.port === SSDP_MULTICAST.port) out.serveSsdp(source, data);
        return undefined;
      }
      const mapped = out.outbound(source, to, this.indexOf(to.host), now);
      if (mapped === undefined) return undefined;
      from = mapped;
    }
    this.from = from;
    if (target !== undefined) {
      // A private address behind a gateway is unreachable from anywhere but its own host.
      return target.hostId !== source.hostId && this.byHost[target.hostId] !== undefined ? undefined : target;
    }
    const gw = this.byPublic.get(to.host);
    // No hairpinning: a host's datagram to its own public address goes nowhere.
    return gw === undefined || gw === out ? undefined : gw.inbound(to.port, from, this.indexOf(from.host), now);
  }

  private indexOf(host: string): number {
    let i = this.hostIndex.get(host);
    if (i === undefined) this.hostIndex.set(host, (i = this.hostIndex.size));
    return i;
  }

  routeConnect(client: SimHost, to: Address): ConnectRoute {
    const server = this.network.hosts.get(to.host);
    if (server !== undefined) return { server: server !== client && this.byHost[server.id] !== undefined ? undefined : server, port: to.port };
    const gw = this.byPublic.get(to.host);
    if (gw === undefined || gw.inside === client) return { server: undefined, port: to.port };
    const port = gw.tcpInbound(to.port, this.network.queue.now);
    return port < 0 ? { server: undefined, port: to.port } : { server: gw.inside, port };
  }

  seenAs(client: SimHost, local: Address): Address {
    return this.byHost[client.id]?.tcpSeenAs(local) ?? local;
  }

  private freshAddress(next: () => string): string {
    for (;;) {
      const a = next();
      if (!this.network.hosts.has(a) && !this.byPublic.has(a)) return a;
    }
  }
}
