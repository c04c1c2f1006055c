/**
 * The NAT side of `shoal get` / `shoal seed` (docs/nat.md): feeds the session's
 * external-address vote from trackers' `external ip` and the port mapping's external address
 * (the DHT's BEP 42 `ip` fields vote through the client, which also runs the DHT's BEP 43
 * read-only switch: src/session/dht-nat.ts); prints what it learns (the address and NAT type
 * with --verbose, a failed hole punch always).
 */
import type { ExternalAddressEvent } from '../nat/external-address.js';
import type { HolepunchEvent } from '../nat/holepunch.js';
import type { Address } from '../runtime/types.js';
import type { NatStatus, Session } from '../session/session.js';
import type { AnnouncerEvent } from '../tracker/announcer.js';

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
    case 'rendezvous-skipped':
      return verbose ? `hole punch to ${at(e.target)}: not asking a relay: ${e.reason}` : undefined;
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
  /** A tracker event (its `external ip`). */
  onTrackerEvent(e: AnnouncerEvent): void;
  /** The gateway mapped our port. */
  onMapped(externalAddress: string, externalPort: number, gateway: string): void;
  /** The session's vote changed. */
  onNatEvent(e: ExternalAddressEvent): void;
}

/** The DHT node's read-only switch, said with --verbose (the client makes the switch: src/session/dht-nat.ts). */
export function dhtReadOnlyLine(readOnly: boolean): string {
  return readOnly ? 'dht: no node reached us since bootstrap: running read-only (BEP 43)' : 'dht: reachable again: answering queries';
}

export function startNatWatch(o: { session: () => Session | undefined; log: (line: string) => void; verbose: boolean }): NatWatch {
  return {
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
    onNatEvent() {
      const s = o.session();
      if (o.verbose && s) o.log(natLine(s.natStatus()));
    },
  };
}
