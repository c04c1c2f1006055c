/**
 * Keeps port mappings on the default gateway with PCP (RFC 6887) or NAT-PMP (RFC 6886).
 *
 * Sans-I/O: it takes a clock, a random source and an already bound UDP endpoint from the
 * runtime seam, and the gateway's address from whoever can read the routing table (see
 * runtime/node/gateway.ts). One request is in flight at a time (RFC 6886 §3.1 asks clients
 * to queue); each is retried after 250 ms, doubling, `maxAttempts` times. PCP is tried first
 * when our own address is known (PCP needs it, §8.1); a gateway that answers with
 * UNSUPP_VERSION or ADDRESS_MISMATCH, or in NAT-PMP's version 0, moves us to NAT-PMP.
 * Leases are renewed at half their granted lifetime (RFC 6886 §3.3), re-made when the
 * gateway's epoch shows it lost its state (§3.6, RFC 6887 §8.5), and deleted by `stop()`.
 * Where nothing answers, every mapping turns 'unavailable' without fuss and the whole round
 * is tried again after `retryAfterMs`.
 */
import type { Address, Clock, Random, TimerHandle, UdpEndpoint } from '../runtime/types.js';
import {
  NATPMP_PORT, NATPMP_RESULT, OP_EXTERNAL_ADDRESS, decodeNatPmpResponse, encodeExternalAddressRequest,
  encodeMapRequest, natpmpResultText, type NatPmpResponse,
} from './natpmp-codec.js';
import {
  PCP_MAX_MESSAGE_BYTES, PCP_NONCE_BYTES, PCP_OPCODE_MAP, PCP_RESULT, decodePcpResponse, encodePcpMapRequest,
  pcpResultText, type PcpResponse,
} from './pcp-codec.js';

import type { MappingRequest, MappingState, PortMapperEvent, GatewayProtocol } from './mapping-types.js';

export type { MappingStatus, GatewayProtocol, MappingVia, MappingRequest, MappingState, PortMapperEvent } from './mapping-types.js';

export interface PortMapperOptions {
  readonly clock: Clock;
  readonly random: Random;
  /** A bound IPv4 UDP endpoint; the mapper sets its message handler. The caller closes it. */
  readonly socket: UdpEndpoint;
  /** The default gateway's IPv4 address. */
  readonly gateway: string;
  /** Our address on the gateway's link. PCP needs it; without it only NAT-PMP is used. */
  readonly clientAddress?: string;
  readonly mappings: readonly MappingRequest[];
  /** Which protocols to try, in order. Default ['pcp', 'natpmp']. */
  readonly protocols?: readonly GatewayProtocol[];
  /** Lease asked for, seconds. Default 7200 (RFC 6886 §3.3's recommendation). */
  readonly lifetimeSeconds?: number;
  /** First retransmission timeout. Default 250 ms (RFC 6886 §3.1). */
  readonly initialTimeoutMs?: number;
  /** Sends of one request before giving up. Default 9 (RFC 6886 §3.1: 250 ms .. 64 s). */
  readonly maxAttempts?: number;
  /** Sends of each delete on stop(). Default 3 (250 + 500 + 1000 ms at most). */
  readonly stopAttempts?: number;
  /** After a failure or no answer, try again after this long. Default 300 000 ms. */
  readonly retryAfterMs?: number;
  /**
   * Renewals come no sooner than this, whatever lifetime the gateway grants (a gateway
   * granting 1 s must not make us send a request a second). Default 30 000 ms.
   */
  readonly minRenewIntervalMs?: number;
  /** Renewals come no later than this (long grants overflow timers). Default 3 600 000 ms. */
  readonly maxRenewIntervalMs?: number;
  readonly onEvent?: (event: PortMapperEvent) => void;
}

export const PORT_MAPPER_DEFAULTS = {
  protocols: ['pcp', 'natpmp'] as readonly GatewayProtocol[],
  lifetimeSeconds: 7200,
  initialTimeoutMs: 250,
  maxAttempts: 9,
  stopAttempts: 3,
  retryAfterMs: 300_000,
  minRenewIntervalMs: 30_000,
  maxRenewIntervalMs: 3_600_000,
} as const;

interface Entry {
  readonly request: MappingRequest;
  readonly nonce: Uint8Array;
  state: MappingState;
  timer?: TimerHandle;
}

interface Job {
  readonly kind: 'external' | 'map' | 'delete';
  readonly entry?: Entry;
  readonly maxAttempts: number;
  attempt: number;
  protocol: GatewayProtocol;
  timer?: TimerHandle;
}

export class PortMapper {
  private readonly o: PortMapperOptions;
  private readonly gatewayAddress: Address;
  private readonly entries: Entry[];
  private protocols: GatewayProtocol[];
  private queue: Job[] = [];
  private current: Job | undefined;
  private external: string | undefined;
  private epoch: { value: number; at: number } | undefined;
  private retryTimer: TimerHandle | undefined;
  private stopping: (() => void) | undefined;
  private stopped = false;
  private started = false;

  constructor(options: PortMapperOptions) {
    this.o = options;
    this.gatewayAddress = { host: options.gateway, port: NATPMP_PORT };
    const wanted = options.protocols ?? PORT_MAPPER_DEFAULTS.protocols;
    this.protocols = wanted.filter((p) => p !== 'pcp' || options.clientAddress !== undefined);
    this.entries = options.mappings.map((request) => ({
      request,
      nonce: options.random.bytes(PCP_NONCE_BYTES),
      state: { protocol: request.protocol, internalPort: request.internalPort, status: 'pending' },
    }));
  }

  /** Starts mapping; returns at once (start-up never waits on the gateway). */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.o.socket.onMessage((data, from) => this.onDatagram(data, from));
    this.beginRound();
  }

  /** Every mapping's current state. */
  mappings(): MappingState[] {
    return this.entries.map((e) => e.state);
  }

  /** The gateway's external address, once it told us. */
  externalAddress(): string | undefined {
    return this.external;
  }

  /** The protocol in use (the first still in the running). */
  protocol(): GatewayProtocol | undefined {
    return this.protocols[0];
  }

  /**
   * Deletes every live mapping (lifetime 0), then resolves. Each delete gets `stopAttempts`
   * sends; a gateway that never answers leaves the lease to expire by itself.
   */
  stop(): Promise<void> {
    if (this.stopped) return Promise.resolve();
    this.stopped = true;
    this.retryTimer?.cancel();
    for (const e of this.entries) e.timer?.cancel();
    this.current?.timer?.cancel();
    this.current = undefined;
    this.queue = [];
    const live = this.entries.filter((e) => e.state.status === 'mapped');
    if (live.length === 0 || this.protocols.length === 0) return Promise.resolve();
    const attempts = this.o.stopAttempts ?? PORT_MAPPER_DEFAULTS.stopAttempts;
    for (const entry of live) this.queue.push(this.job('delete', entry, attempts));
    return new Promise((resolve) => {
      this.stopping = resolve;
      this.next();
    });
  }

  private job(kind: Job['kind'], entry: Entry | undefined, maxAttempts = this.o.maxAttempts ?? PORT_MAPPER_DEFAULTS.maxAttempts): Job {
    return { kind, entry, maxAttempts, attempt: 0, protocol: this.protocols[0] ?? 'natpmp' };
  }

  private emit(event: PortMapperEvent): void {
    this.o.onEvent?.(event);
  }

  private setState(entry: Entry, state: MappingState): void {
    entry.state = state;
    this.emit({ type: 'mapping', mapping: state });
  }

  /** Queues the external-address request (NAT-PMP) and a map request per mapping. */
  private beginRound(): void {
    this.retryTimer = undefined;
    if (this.stopped) return;
    if (this.protocols.length === 0) {
      this.giveUp('no gateway protocol is enabled');
      return;
    }
    for (const e of this.entries) {
      e.timer?.cancel();
      if (e.state.status !== 'pending') this.setState(e, { protocol: e.state.protocol, internalPort: e.state.internalPort, status: 'pending' });
    }
    this.queue = this.entries.map((e) => this.job('map', e));
    if (this.protocols[0] === 'natpmp') this.queue.unshift(this.job('external', undefined));
    this.next();
  }

  private next(): void {
    if (this.current) return;
    const job = this.queue.shift();
    if (!job) {
      if (this.stopping) {
        const done = this.stopping;
        this.stopping = undefined;
        done();
      }
      return;
    }
    job.protocol = this.protocols[0] ?? 'natpmp';
    job.attempt = 0;
    this.current = job;
    this.send(job);
  }

  private encode(job: Job): Uint8Array {
    const entry = job.entry;
    const lifetime = job.kind === 'delete' ? 0 : (this.o.lifetimeSeconds ?? PORT_MAPPER_DEFAULTS.lifetimeSeconds);
    if (job.kind === 'external' || !entry) return encodeExternalAddressRequest();
    // Renewals ask for the port we hold; deletes name none (RFC 6886 §3.4).
    const suggested = job.kind === 'delete' && job.protocol === 'natpmp' ? 0
      : entry.state.externalPort ?? entry.request.externalPort ?? entry.request.internalPort;
    if (job.protocol === 'pcp') {
      return encodePcpMapRequest({
        clientAddress: this.o.clientAddress ?? '0.0.0.0',
        nonce: entry.nonce,
        protocol: entry.request.protocol,
        internalPort: entry.request.internalPort,
        suggestedExternalPort: suggested,
        lifetime,
      });
    }
    return encodeMapRequest({ protocol: entry.request.protocol, internalPort: entry.request.internalPort, suggestedExternalPort: suggested, lifetime });
  }

  private send(job: Job): void {
    const timeout = (this.o.initialTimeoutMs ?? PORT_MAPPER_DEFAULTS.initialTimeoutMs) * 2 ** job.attempt;
    job.attempt++;
    // The timer is set first: an answer may arrive before send() returns (a fake gateway does).
    job.timer = this.o.clock.setTimer(timeout, () => this.onTimeout(job));
    this.o.socket.send(this.encode(job), this.gatewayAddress);
  }

  private onTimeout(job: Job): void {
    if (this.current !== job) return;
    if (job.attempt < job.maxAttempts) {
      this.send(job);
      return;
    }
    this.current = undefined;
    if (job.kind === 'delete') {
      if (job.entry) {
        this.setState(job.entry, { ...job.entry.state, status: 'failed', reason: 'the gateway did not confirm the delete; the lease runs out by itself' });
      }
      this.next();
      return;
    }
    this.giveUp(`no answer from the gateway ${this.o.gateway}:${NATPMP_PORT}`);
  }

  /** Nothing answers: every unfinished mapping goes 'unavailable'; the round is retried later. */
  private giveUp(reason: string): void {
    this.queue = [];
    for (const e of this.entries) {
      if (e.state.status === 'pending' || e.state.status === 'mapped') {
        e.timer?.cancel();
        this.setState(e, { protocol: e.state.protocol, internalPort: e.state.internalPort, status: 'unavailable', reason });
      }
    }
    this.emit({ type: 'unavailable', reason });
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return;
    this.retryTimer = this.o.clock.setTimer(this.o.retryAfterMs ?? PORT_MAPPER_DEFAULTS.retryAfterMs, () => this.beginRound());
  }

  private onDatagram(data: Uint8Array, from: Address): void {
    // RFC 6886 §3.1 / RFC 6887 §8.3: only the gateway's own answers count.
    if (from.host !== this.o.gateway || from.port !== NATPMP_PORT) return;
    if (data.length > PCP_MAX_MESSAGE_BYTES || data.length < 2) return;
    const job = this.current;
    if (!job) return;
    try {
      if (data[0] === 0) this.onNatPmp(job, decodeNatPmpResponse(data));
      else this.onPcp(job, decodePcpResponse(data));
    } catch {
      // A malformed datagram is dropped; the retry timer still runs.
    }
  }

  /** The gateway does not speak PCP: drop it and send the job again in NAT-PMP. */
  private fallBack(job: Job): void {
    job.timer?.cancel();
    this.protocols = this.protocols.filter((p) => p !== 'pcp');
    this.current = undefined;
    if (this.protocols.length === 0) {
      this.giveUp('the gateway does not speak PCP and NAT-PMP is disabled');
      return;
    }
    this.queue.unshift(job);
    if (job.kind !== 'delete') this.queue.unshift(this.job('external', undefined));
    this.next();
  }

  private onNatPmp(job: Job, r: NatPmpResponse): void {
    if (job.protocol === 'pcp') {
      // A NAT-PMP-only gateway answers a version 2 request with version 0 (RFC 6887 §9).
      if (r.result === NATPMP_RESULT.unsupportedVersion) this.fallBack(job);
      return;
    }
    if (job.kind === 'external') {
      if (r.kind === 'map') return;
      if (r.kind === 'error' && r.opcode !== OP_EXTERNAL_ADDRESS) return;
      this.finish(job, r.epoch);
      if (r.kind === 'external-address' && r.result === NATPMP_RESULT.success) this.setExternal(r.externalAddress);
      this.next();
      return;
    }
    const entry = job.entry;
    if (!entry) return;
    if (r.kind === 'external-address') return;
    const opcode = entry.request.protocol === 'udp' ? 1 : 2;
    if (r.kind === 'error' ? r.opcode !== opcode : r.protocol !== entry.request.protocol || r.internalPort !== entry.request.internalPort) return;
    this.finish(job, r.epoch);
    if (r.result !== NATPMP_RESULT.success || r.kind !== 'map') {
      this.fail(job, entry, `the gateway refused: ${natpmpResultText(r.result)}`);
    } else {
      this.succeed(job, entry, r.externalPort, r.lifetime, this.external);
    }
    this.next();
  }

  private onPcp(job: Job, r: PcpResponse): void {
    if (job.protocol !== 'pcp' || job.kind === 'external' || !job.entry) return;
    if (r.result === PCP_RESULT.unsupportedVersion || r.result === PCP_RESULT.addressMismatch) {
      this.fallBack(job);
      return;
    }
    const entry = job.entry;
    if (r.opcode !== PCP_OPCODE_MAP) return;
    // RFC 6887 §11.3: a MAP response is matched by nonce, protocol and internal port.
    if (r.map) {
      if (!sameBytes(r.map.nonce, entry.nonce) || r.map.protocol !== entry.request.protocol || r.map.internalPort !== entry.request.internalPort) return;
    } else if (r.result === PCP_RESULT.success) {
      return;
    }
    this.finish(job, r.epoch);
    if (r.result !== PCP_RESULT.success || !r.map) {
      this.fail(job, entry, `the gateway refused: ${pcpResultText(r.result)}`);
    } else {
      this.setExternal(r.map.externalAddress);
      this.succeed(job, entry, r.map.externalPort, r.lifetime, r.map.externalAddress);
    }
    this.next();
  }

  /** Ends the in-flight job and checks the gateway's epoch for a lost state (RFC 6886 §3.6). */
  private finish(job: Job, epoch: number): void {
    job.timer?.cancel();
    this.current = undefined;
    const now = this.o.clock.now();
    const prev = this.epoch;
    this.epoch = { value: epoch, at: now };
    if (!prev) return;
    const elapsed = (now - prev.at) / 1000;
    if (epoch + 2 < prev.value + (elapsed * 7) / 8) {
      // The gateway restarted and forgot our mappings: make them again now.
      for (const e of this.entries) {
        if (e !== job.entry && e.state.status === 'mapped' && !this.queue.some((j) => j.entry === e)) {
          e.timer?.cancel();
          this.queue.push(this.job('map', e));
        }
      }
    }
  }

  private setExternal(address: string): void {
    if (address === this.external || address === '0.0.0.0') return;
    this.external = address;
    this.emit({ type: 'external-address', address });
  }

  private fail(job: Job, entry: Entry, reason: string): void {
    if (job.kind === 'delete') {
      this.setState(entry, { ...entry.state, status: 'failed', reason: `delete refused: ${reason}` });
      return;
    }
    this.setState(entry, { protocol: entry.request.protocol, internalPort: entry.request.internalPort, status: 'failed', via: job.protocol, reason });
    entry.timer = this.o.clock.setTimer(this.o.retryAfterMs ?? PORT_MAPPER_DEFAULTS.retryAfterMs, () => {
      if (this.stopped) return;
      this.setState(entry, { protocol: entry.request.protocol, internalPort: entry.request.internalPort, status: 'pending' });
      this.queue.push(this.job('map', entry));
      this.next();
    });
  }

  private succeed(job: Job, entry: Entry, externalPort: number, lifetime: number, externalAddress: string | undefined): void {
    if (job.kind === 'delete') {
      this.setState(entry, { protocol: entry.request.protocol, internalPort: entry.request.internalPort, status: 'removed', via: job.protocol });
      return;
    }
    if (lifetime === 0 || externalPort === 0) {
      this.fail(job, entry, 'the gateway granted no lease');
      return;
    }
    const now = this.o.clock.now();
    const min = this.o.minRenewIntervalMs ?? PORT_MAPPER_DEFAULTS.minRenewIntervalMs;
    const max = this.o.maxRenewIntervalMs ?? PORT_MAPPER_DEFAULTS.maxRenewIntervalMs;
    const renewIn = Math.min(max, Math.max(min, (lifetime * 1000) / 2));
    this.setState(entry, {
      protocol: entry.request.protocol,
      internalPort: entry.request.internalPort,
      status: 'mapped',
      via: job.protocol,
      externalAddress,
      externalPort,
      expiresAt: now + lifetime * 1000,
    });
    entry.timer = this.o.clock.setTimer(renewIn, () => {
      if (this.stopped) return;
      this.queue.push(this.job('map', entry));
      this.next();
    });
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
