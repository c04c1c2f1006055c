/**
 * The NAT side of `shoal get` / `shoal seed` (docs/nat.md): feeds the session's
 * external-address vote from the DHT's BEP 42 `ip` fields, trackers' `external ip` and the
 * port mapping's external address; turns the DHT node read-only (BEP 43) while it looks
 * unreachable; hands the decided address to the DHT for its BEP 42 id; prints what it
 * learns (the address and NAT type with --verbose, a failed hole punch always).
 */
import type { Dht } from '../dht/dht.js';
import { DhtReachability, type DhtReachabilityOptions } from '../nat/dht-reachability.js';
import type { ExternalAddressEvent } from '../nat/external-address.js';
import type { HolepunchEvent } from '../nat/holepunch.js';
import type { Address, Runtime, TimerHandle } from '../runtime/types.js';
import type { NatStatus, Session } from '../session/session.js';
import type { AnnouncerEvent } from '../tracker/announcer.js';

/** How often the DHT's reachability is judged again. */
export const NAT_CHECK_INTERVAL_MS = 30_000;

/** One line for the session's NAT state. */
export function natLine(s: NatStatus): string {
  const v = s.votes;
  return `nat: external address ${s.host ?? 'unknown'}${s.port ? ` (port ${s.port})` : ''}, NAT ${s.natType}, hole punching ${s.holepunch}`
    + ` (votes: ${v.peer} peer, ${v.dht} dht, ${v.tracker} tracker, ${v['port-mapping']} port mapping)`;
}

/** A hole-punch event worth a line: failures always, the rest with --verbose. */
export function holepunchLine(e: HolepunchEvent, verbose: boolean): string | undefined {
  const at = (a: Address): string => `${a.host}:${a.port}`;
  switch (e.type) {
    case 'punch-failed':
      return `${e.reason}; carrying on through other peers`;
    case 'rendezvous-failed':
      return verbose ? `hole punch to ${at(e.target)}: the relay answered ${e.error}` : undefined;
    case 'rendezvous-sent':
      return verbose ? `hole punch to ${at(e.target)}: asked ${at(e.relay)} to relay` : undefined;
    case 'punching':
      return verbose ? `hole punch to ${at(e.target)}: sending uTP SYNs (${e.role})` : undefined;
    case 'punch-succeeded':
      return verbose ? `hole punch to ${at(e.target)}: connected${e.by === 'target' ? ' (its SYN came first)' : ''}` : undefined;
    case 'relayed':
      return verbose ? `relayed a hole punch from ${at(e.initiator)} to ${at(e.target)}` : undefined;
    case 'relay-refused':
      return verbose ? `refused to relay a hole punch from ${at(e.initiator)} to ${at(e.target)}: ${e.error}` : undefined;
    default:
      return undefined;
  }
}

export interface NatWatch {
  /** The DHT node started (`bootstrapped` once it joined): watch its reachability and give it our address. */
  attachDht(dht: Dht, bootstrapped: Promise<unknown>): void;
  /** A tracker event (its `external ip`). */
  onTrackerEvent(e: AnnouncerEvent): void;
  /** The gateway mapped our port. */
  onMapped(externalAddress: string, externalPort: number, gateway: string): void;
  /** The session's vote changed. */
  onNatEvent(e: ExternalAddressEvent): void;
  stop(): void;
}

export function startNatWatch(o: { runtime: Runtime; session: () => Session | undefined; log: (line: string) => void; verbose: boolean; reachability?: DhtReachabilityOptions }): NatWatch {
  let dht: Dht | undefined;
  let timer: TimerHandle | undefined;
  const reach = new DhtReachability(o.reachability);
  const check = (): void => {
    const s = o.session();
    if (!dht || !s) return;
    const node = dht.node;
    const change = reach.check(o.runtime.clock.now(), node.stats.queriesReceived, s.external.natType);
    if (change === undefined) return;
    for (const n of dht.nodes) n.setReadOnly(change);
    if (o.verbose) o.log(change ? 'dht: no node reached us since bootstrap: running read-only (BEP 43)' : 'dht: reachable again: answering queries');
  };
  const schedule = (): void => {
    timer = o.runtime.clock.setTimer(NAT_CHECK_INTERVAL_MS, () => {
      check();
      schedule();
    });
  };
  return {
    attachDht(d, bootstrapped) {
      dht = d;
      const host = o.session()?.external.host;
      if (host) for (const n of d.nodes) n.adoptExternalHost(host);
      void bootstrapped.then(() => {
        reach.bootstrapped(o.runtime.clock.now(), d.node.stats.queriesReceived);
        schedule();
      }, () => undefined);
    },
    onTrackerEvent(e) {
      if (e.type !== 'announced' || !e.response.externalIp) return;
      let reporter: string;
      try {
        reporter = new URL(e.url).hostname;
      } catch {
        return;
      }
      o.session()?.voteExternalAddress({ source: 'tracker', reporter, host: e.response.externalIp });
    },
    onMapped(externalAddress, externalPort, gateway) {
      o.session()?.voteExternalAddress({ source: 'port-mapping', reporter: gateway, host: externalAddress, port: externalPort });
    },
    onNatEvent(e) {
      const s = o.session();
      if (e.type === 'external-address' && dht) for (const n of dht.nodes) n.adoptExternalHost(e.host);
      if (o.verbose && s) o.log(natLine(s.natStatus()));
      check();
    },
    stop() {
      timer?.cancel();
    },
  };
}
