/**
 * Keeps port mappings on a UPnP Internet Gateway Device (IGD v1 and v2).
 *
 * Sans-I/O like PortMapper: a clock, a bound UDP endpoint for SSDP and an `HttpRequester`
 * come from outside. It sends M-SEARCH for IGD:1 and IGD:2 (retried after 1 s, doubling,
 * `searchAttempts` times), takes the first answer, reads its device description, picks the
 * best WAN connection service, asks GetExternalIPAddress, then maps each port: on IGD v2
 * with AddAnyPortMapping (the gateway may pick another port), on v1 with AddPortMapping
 * (a gateway that only takes permanent leases, error 725, gets lease 0). Leases are renewed
 * at half their length with AddPortMapping on the port held; `stop()` deletes them.
 * Where no IGD answers, every mapping turns 'unavailable' and a new search follows after
 * `retryAfterMs`.
 */
import type { Address, Clock, TimerHandle, UdpEndpoint } from '../runtime/types.js';
import type { MappingRequest, MappingState, PortMapperEvent } from './port-mapper.js';
import {
  IGD_DEVICE_V1, IGD_DEVICE_V2, MAX_DESCRIPTION_BYTES, MAX_SOAP_BYTES, SSDP_MULTICAST, UPNP_ERROR, encodeMSearch,
  encodeSoap, parseDeviceDescription, parseSoapResponse, parseSsdpAnswer, type SoapResult, type WanService,
} from './upnp-codec.js';
import type { HttpRequester } from './upnp-http.js';

export interface UpnpMapperOptions {
  readonly clock: Clock;
  /** A bound IPv4 UDP endpoint for SSDP; the mapper sets its handler. The caller closes it. */
  readonly socket: UdpEndpoint;
  readonly http: HttpRequester;
  /** Our LAN address: NewInternalClient (a secure-mode IGD maps only to the caller's own address). */
  readonly internalClient: string;
  readonly mappings: readonly MappingRequest[];
  /** Where M-SEARCH goes. Default 239.255.255.250:1900. */
  readonly ssdpTarget?: Address;
  /** Lease asked for, seconds. Default 7200. */
  readonly lifetimeSeconds?: number;
  /** M-SEARCH sends before giving up. Default 3 (at 0, 1 and 3 s; given up at 7 s). */
  readonly searchAttempts?: number;
  /** First M-SEARCH retry timeout. Default 1000 ms. */
  readonly searchTimeoutMs?: number;
  /** After no answer or a failure, search again after this long. Default 300 000 ms. */
  readonly retryAfterMs?: number;
  /** Renewal bounds, as in PortMapper. Defaults 30 000 and 3 600 000 ms. */
  readonly minRenewIntervalMs?: number;
  readonly maxRenewIntervalMs?: number;
  /** Shown in the router's mapping list. Default "Shoal". */
  readonly description?: string;
  readonly onEvent?: (event: PortMapperEvent) => void;
}

interface Entry {
  readonly request: MappingRequest;
  state: MappingState;
  timer?: TimerHandle;
  /** The lease we hold (0: permanent). */
  lease: number;
}

export class UpnpMapper {
  private readonly o: UpnpMapperOptions;
  private readonly entries: Entry[];
  private service: WanService | undefined;
  private external: string | undefined;
  private searching = false;
  private searchTimer: TimerHandle | undefined;
  private searchAttempt = 0;
  private retryTimer: TimerHandle | undefined;
  private stopped = false;
  private started = false;
  /** SOAP calls run one after another. */
  private chain: Promise<void> = Promise.resolve();

  constructor(options: UpnpMapperOptions) {
    this.o = options;
    this.entries = options.mappings.map((request) => ({
      request,
      lease: 0,
      state: { protocol: request.protocol, internalPort: request.internalPort, status: 'pending' },
    }));
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.o.socket.onMessage((data) => this.onSsdp(data));
    this.search();
  }

  mappings(): MappingState[] {
    return this.entries.map((e) => e.state);
  }

  externalAddress(): string | undefined {
    return this.external;
  }

  /** The control URL in use, once found. */
  gatewayService(): WanService | undefined {
    return this.service;
  }

  /** Deletes every live mapping (DeletePortMapping), then resolves. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.searchTimer?.cancel();
    this.retryTimer?.cancel();
    for (const e of this.entries) e.timer?.cancel();
    await this.chain;
    const service = this.service;
    if (!service) return;
    for (const e of this.entries) {
      if (e.state.status !== 'mapped' || e.state.externalPort === undefined) continue;
      const r = await this.call(service, 'DeletePortMapping', [
        ['NewRemoteHost', ''], ['NewExternalPort', e.state.externalPort], ['NewProtocol', e.request.protocol.toUpperCase()],
      ]);
      if (r.ok) this.setState(e, { protocol: e.request.protocol, internalPort: e.request.internalPort, status: 'removed', via: 'upnp' });
      else this.setState(e, { ...e.state, status: 'failed', reason: `delete refused: ${r.description}` });
    }
  }

  private emit(event: PortMapperEvent): void {
    this.o.onEvent?.(event);
  }

  private setState(entry: Entry, state: MappingState): void {
    entry.state = state;
    this.emit({ type: 'mapping', mapping: state });
  }

  private search(): void {
    this.retryTimer = undefined;
    if (this.stopped) return;
    this.searching = true;
    this.searchAttempt = 0;
    this.sendSearch();
  }

  private sendSearch(): void {
    const to = this.o.ssdpTarget ?? SSDP_MULTICAST;
    const timeout = (this.o.searchTimeoutMs ?? 1000) * 2 ** this.searchAttempt;
    this.searchAttempt++;
    this.searchTimer = this.o.clock.setTimer(timeout, () => {
      if (!this.searching) return;
      if (this.searchAttempt < (this.o.searchAttempts ?? 3)) this.sendSearch();
      else this.giveUp('no UPnP gateway answered the SSDP search');
    });
    this.o.socket.send(encodeMSearch(IGD_DEVICE_V1), to);
    this.o.socket.send(encodeMSearch(IGD_DEVICE_V2), to);
  }

  private giveUp(reason: string): void {
    this.searching = false;
    this.searchTimer?.cancel();
    for (const e of this.entries) {
      if (e.state.status === 'pending' || e.state.status === 'mapped') {
        e.timer?.cancel();
        this.setState(e, { protocol: e.request.protocol, internalPort: e.request.internalPort, status: 'unavailable', reason });
      }
    }
    this.emit({ type: 'unavailable', reason });
    if (!this.stopped && !this.retryTimer) this.retryTimer = this.o.clock.setTimer(this.o.retryAfterMs ?? 300_000, () => this.search());
  }

  private onSsdp(data: Uint8Array): void {
    if (!this.searching || this.stopped) return;
    let location: string;
    try {
      location = parseSsdpAnswer(data).location;
    } catch {
      return; // not an answer we can use; keep listening
    }
    this.searching = false;
    this.searchTimer?.cancel();
    this.enqueue(() => this.connect(location));
  }

  private enqueue(job: () => Promise<void>): void {
    this.chain = this.chain.then(() => (this.stopped ? undefined : job())).catch(() => undefined);
  }

  private async connect(location: string): Promise<void> {
    try {
      const desc = await this.o.http({ url: location, method: 'GET', maxBytes: MAX_DESCRIPTION_BYTES });
      if (desc.status !== 200) throw new Error(`HTTP ${desc.status} for the device description`);
      const service = parseDeviceDescription(desc.body, location);
      this.service = service;
      const ip = await this.call(service, 'GetExternalIPAddress', []);
      const address = ip.ok ? ip.get('NewExternalIPAddress') : undefined;
      if (address && /^\d{1,3}(\.\d{1,3}){3}$/.test(address) && address !== '0.0.0.0' && address !== this.external) {
        this.external = address;
        this.emit({ type: 'external-address', address });
      }
      for (const e of this.entries) {
        if (this.stopped) return;
        await this.map(service, e, false);
      }
    } catch (err) {
      if (this.stopped) return;
      this.giveUp(`UPnP gateway at ${location}: ${(err as Error).message}`);
    }
  }

  private async call(service: WanService, action: string, args: readonly (readonly [string, string | number])[]): Promise<SoapResult> {
    const soap = encodeSoap(service.serviceType, action, args);
    const res = await this.o.http({ url: service.controlUrl, method: 'POST', headers: soap.headers, body: soap.body, maxBytes: MAX_SOAP_BYTES });
    return parseSoapResponse(res.body);
  }

  private async map(service: WanService, e: Entry, renewing: boolean): Promise<void> {
    const lifetime = this.o.lifetimeSeconds ?? 7200;
    const wanted = e.state.externalPort ?? e.request.externalPort ?? e.request.internalPort;
    const v2 = service.serviceType.endsWith(':2') && !renewing;
    const args = (lease: number): [string, string | number][] => [
      ['NewRemoteHost', ''], ['NewExternalPort', wanted], ['NewProtocol', e.request.protocol.toUpperCase()],
      ['NewInternalPort', e.request.internalPort], ['NewInternalClient', this.o.internalClient], ['NewEnabled', 1],
      ['NewPortMappingDescription', this.o.description ?? 'Shoal'], ['NewLeaseDuration', lease],
    ];
    let lease = lifetime;
    let r = await this.call(service, v2 ? 'AddAnyPortMapping' : 'AddPortMapping', args(lease));
    if (!r.ok && r.errorCode === UPNP_ERROR.onlyPermanentLeasesSupported) {
      lease = 0;
      r = await this.call(service, v2 ? 'AddAnyPortMapping' : 'AddPortMapping', args(lease));
    }
    if (this.stopped) return;
    if (!r.ok) {
      this.setState(e, { protocol: e.request.protocol, internalPort: e.request.internalPort, status: 'failed', via: 'upnp', reason: `the gateway refused: ${r.errorCode} ${r.description}` });
      e.timer = this.o.clock.setTimer(this.o.retryAfterMs ?? 300_000, () => this.enqueue(() => this.map(service, e, false)));
      return;
    }
    const reserved = v2 ? Number(r.get('NewReservedPort')) : wanted;
    const externalPort = Number.isInteger(reserved) && reserved > 0 && reserved <= 0xffff ? reserved : wanted;
    const now = this.o.clock.now();
    e.lease = lease;
    this.setState(e, {
      protocol: e.request.protocol, internalPort: e.request.internalPort, status: 'mapped', via: 'upnp',
      externalAddress: this.external, externalPort, expiresAt: lease > 0 ? now + lease * 1000 : undefined,
    });
    if (lease === 0) return; // permanent: nothing to renew, deleted on stop
    const renewIn = Math.min(this.o.maxRenewIntervalMs ?? 3_600_000, Math.max(this.o.minRenewIntervalMs ?? 30_000, (lease * 1000) / 2));
    e.timer = this.o.clock.setTimer(renewIn, () => this.enqueue(() => this.map(service, e, true)));
  }
}
