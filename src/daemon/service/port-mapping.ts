/**
 * The daemon's port mapping (docs/nat.md): the peer port, TCP and UDP (uTP), mapped on the
 * router with PCP/NAT-PMP and UPnP IGD side by side (src/nat/), while the `portMapping`
 * setting is on. It never delays start-up (the router is asked in the background) and is
 * quiet when no gateway answers: one log line when a port is mapped, none otherwise. Only a
 * listener the router could forward to is mapped (bound to the wildcard address or to our
 * address on the default route), so a daemon on 127.x, as in the tests, never maps.
 */
import { mappable } from '../../cli/port-mapping.js';
import { startPortMapping, type MappingState, type NatManager } from '../../nat/index.js';
import type { DefaultGateway } from '../../runtime/node/gateway.js';
import type { Runtime } from '../../runtime/types.js';
import type { NatStatus } from '../../session/session.js';
import type { NatInfo, NatMappingInfo } from '../types.js';

export interface PortMappingDeps {
  readonly runtime: Runtime;
  readonly findGateway: () => DefaultGateway | undefined;
  readonly log: (message: string) => void;
  /** The router mapped a port at this external address: a vote for the session's external address (docs/nat.md). */
  readonly onMapped?: (externalAddress: string, externalPort: number, gateway: string) => void;
  /** The mappings went (the setting turned off, the port changed, the daemon stops): their votes go too. */
  readonly onUnmapped?: () => void;
}

/** The router's side of `NatInfo`: the mappings and the address the router gave. */
export type MappingInfo = Pick<NatInfo, 'externalAddress' | 'mappings'>;

/** The vote's side of `NatInfo` (`Session.natStatus()`): address, NAT type, votes, hole punching. */
export function natVoteInfo(s: NatStatus): Omit<NatInfo, keyof MappingInfo> {
  return {
    votedAddress: s.host ?? null, natType: s.natType, holepunch: s.holepunch,
    votes: { peer: s.votes.peer, dht: s.votes.dht, tracker: s.votes.tracker, portMapping: s.votes['port-mapping'] },
  };
}

export class DaemonPortMapping {
  private manager: NatManager | undefined;
  private starting: Promise<void> | undefined;
  private port = 0;
  /** What is mapped (host:port), or undefined; a `sync` with the same wish changes nothing. */
  private target: string | undefined;
  /** Bumped by every change: a start that finishes after a newer change is undone. */
  private generation = 0;
  /** Why nothing is mapped while the setting is on (no gateway, a loopback listener). */
  private offReason: string | undefined = 'port mapping is off';
  private closed = false;

  constructor(private readonly d: PortMappingDeps) {}

  /** Starts or stops mapping to match the setting; returns at once. */
  sync(enabled: boolean, host: string, port: number): void {
    this.port = port;
    const gw = enabled && !this.closed && port !== 0 ? this.d.findGateway() : undefined;
    const want = gw !== undefined && mappable(host, gw);
    const target = want ? `${host}:${port}` : undefined;
    if (target !== undefined && target === this.target) return;
    this.target = target;
    const generation = ++this.generation;
    const old = this.manager;
    this.manager = undefined;
    void old?.stop();
    if (old || this.starting) this.d.onUnmapped?.();
    if (!want || gw === undefined) {
      this.offReason = !enabled || this.closed ? 'port mapping is off' : port === 0 ? 'no peer port'
        : gw ? `the peer port listens on ${host}, which the router cannot forward to` : 'no default gateway';
      return;
    }
    this.offReason = undefined;
    this.starting = startPortMapping(this.d.runtime, {
      tcpPort: port, udpPort: port, gateway: gw,
      onEvent: (e) => {
        if (e.type === 'mapping' && e.mapping.status === 'mapped' && e.mapping.externalAddress) {
          this.d.log(`port mapping: ${e.mapping.protocol} ${e.mapping.internalPort} is reachable at ${e.mapping.externalAddress}:${e.mapping.externalPort} (${e.mapping.via})`);
          if (generation === this.generation && e.mapping.externalPort !== undefined) this.d.onMapped?.(e.mapping.externalAddress, e.mapping.externalPort, gw.gateway);
        }
      },
    }).then(async (m) => {
      if (generation !== this.generation) await m.stop(); // changed (or closed) meanwhile
      else this.manager = m;
    }, (e: unknown) => {
      if (generation === this.generation) this.offReason = `port mapping could not start: ${(e as Error).message}`;
    }).finally(() => {
      if (generation === this.generation) this.starting = undefined;
    });
  }

  info(): MappingInfo {
    const status = this.manager?.status();
    if (!status) {
      const off = (protocol: 'tcp' | 'udp'): NatMappingInfo => ({ protocol, internalPort: this.port, externalPort: null, method: null, state: this.starting ? 'pending' : 'off', ...(this.offReason ? { error: this.offReason } : {}) });
      return { externalAddress: null, mappings: [off('tcp'), off('udp')] };
    }
    return { externalAddress: status.externalAddress ?? null, mappings: status.mappings.map(mappingInfo) };
  }

  /** Stops mapping (the router is told to delete the mappings, 5 s at most). */
  async close(): Promise<void> {
    this.closed = true;
    this.generation++;
    this.target = undefined;
    this.offReason = 'port mapping is off';
    const starting = this.starting;
    this.starting = undefined;
    await starting;
    const m = this.manager;
    this.manager = undefined;
    if (m) this.d.onUnmapped?.();
    await m?.stop();
  }
}

/** One mapping as the API shows it. */
export function mappingInfo(m: MappingState): NatMappingInfo {
  const state = m.status === 'mapped' ? 'mapped' : m.status === 'pending' ? 'pending' : m.status === 'removed' ? 'off' : 'failed';
  return {
    protocol: m.protocol, internalPort: m.internalPort, externalPort: m.externalPort ?? null, method: m.via ?? null, state,
    ...(m.reason ? { error: m.reason } : {}),
  };
}
