/**
 * Local peer discovery (BEP 14) over the runtime's multicast: joins the IPv4 group (and the
 * IPv6 one where it can) on the listen interface and runs the `LocalDiscovery` core over
 * them. Where multicast is unavailable it stays quiet: `start` resolves with no groups.
 */
import type { Address, MulticastEndpoint, Runtime } from '../runtime/types.js';
import { formatAnnounce, LSD_GROUP_V4, LSD_GROUP_V6, LSD_PORT } from './lsd-codec.js';
import { LocalDiscovery, type LsdOptions } from './lsd.js';

export interface LsdServiceOptions extends LsdOptions {
  readonly runtime: Runtime;
  /**
   * The port we accept peers on (announced), read at each announce so a listener bound later
   * is announced right; while it is not a usable port (0: not listening yet, or not at all)
   * nothing is sent.
   */
  readonly listenPort: number | (() => number);
  /** The listen address's host: the interface to join on (a wildcard: the system's choice). */
  readonly interfaceHost?: string;
  /** A peer announced a torrent we have. */
  readonly onPeer: (infoHashHex: string, address: Address) => void;
  /** Multicast group port (default 6771; tests may use another). */
  readonly groupPort?: number;
}

export class LsdService {
  private constructor(readonly core: LocalDiscovery, private readonly endpoints: { ep: MulticastEndpoint; host: string }[]) {}

  /** Joins the groups; an `LsdService` with no groups when the runtime has no multicast or every join fails. */
  static async start(o: LsdServiceOptions): Promise<LsdService> {
    const endpoints: { ep: MulticastEndpoint; host: string }[] = [];
    const port = o.groupPort ?? LSD_PORT;
    const core = new LocalDiscovery(o.runtime.clock, o.runtime.random, {
      send: (hashes, cookie) => {
        const listenPort = typeof o.listenPort === 'function' ? o.listenPort() : o.listenPort;
        // A timer calls this: a bad port must not throw (formatAnnounce refuses it) and end the process.
        if (!Number.isInteger(listenPort) || listenPort < 1 || listenPort > 65535) return;
        for (const { ep, host } of endpoints) ep.send(formatAnnounce(host, { port: listenPort, infoHashes: hashes, cookie }));
      },
      onPeer: o.onPeer,
    }, o);
    const mc = o.runtime.multicast;
    const iface = o.interfaceHost;
    const v6Listen = iface !== undefined && iface.includes(':');
    const groups: { group: string; host: string; iface?: string }[] = [];
    // IPv4 unless we listen on a concrete IPv6 address; IPv6 unless on a concrete IPv4 one.
    if (!v6Listen || iface === '::') groups.push({ group: LSD_GROUP_V4, host: `${LSD_GROUP_V4}:${port}`, iface: v6Listen ? undefined : iface });
    if (v6Listen || iface === undefined || iface === '0.0.0.0') groups.push({ group: LSD_GROUP_V6, host: `[${LSD_GROUP_V6}]:${port}`, iface: v6Listen && iface !== '::' ? iface : undefined });
    if (mc) {
      for (const g of groups) {
        try {
          const ep = await mc.join({ host: g.group, port }, { interfaceHost: g.iface });
          ep.onMessage((data, from) => core.receive(data, from));
          endpoints.push({ ep, host: g.host });
        } catch {
          // No multicast here (no route, no IPv6): this group is skipped quietly.
        }
      }
    }
    return new LsdService(core, endpoints);
  }

  /** Groups joined (0: local discovery is unavailable here). */
  get groups(): number {
    return this.endpoints.length;
  }

  close(): void {
    this.core.close();
    for (const { ep } of this.endpoints) ep.close();
  }
}
