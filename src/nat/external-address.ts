/**
 * Our external address, agreed by vote, and what the NAT does with our ports.
 *
 * Sources: BEP 10 `yourip` in extended handshakes, the DHT's top-level `ip` in KRPC replies
 * (BEP 42), HTTP trackers' `external ip` (UDP trackers have none) and the external address
 * a port mapping got from the gateway. Each reporter (an IP) has one vote, its latest; a vote
 * weighs by its source's kind (the gateway knows best, a tracker is one well-known server, a
 * peer or DHT node could lie). An address is decided once it weighs `minWeight` and more than
 * any other; a decided address is replaced only by one that weighs more. At most
 * `maxReporters` votes are kept: a new reporter pushes out the oldest.
 *
 * NAT type, from the ports reporters saw us at (the DHT's `ip` carries one, `yourip` does
 * not): when one local port shows up as one external port to every reporter, the NAT keeps
 * a port per endpoint ('cone': hole punching works); when reporters see it at several ports
 * it randomises them ('symmetric': punching fails). 'open': the decided address is one of our
 * own (no NAT) or the gateway mapped our port.
 *
 * Sans-I/O: no clock, no sockets; callers pass what they heard.
 */
import type { Address } from '../runtime/types.js';

export type AddressSource = 'peer' | 'dht' | 'tracker' | 'port-mapping';
export type NatType = 'open' | 'cone' | 'symmetric' | 'unknown';

export interface AddressVote {
  readonly source: AddressSource;
  /** Who said it: its IP is the voter (one vote per IP). 'port-mapping': the gateway's address. */
  readonly reporter: string;
  /** Where the reporter sees us: an IP literal. */
  readonly host: string;
  /** The external port the reporter saw, when the source carries one (DHT `ip`, port mapping). */
  readonly port?: number;
  /** Our local port the reported one belongs to (the UDP socket the DHT reply came to). */
  readonly localPort?: number;
}

export interface ExternalAddressOptions {
  /** Votes (reporter IPs) remembered, at most (default 64); the oldest goes first. */
  maxReporters?: number;
  /** Weight of one vote by source kind (default peer 1, dht 1, tracker 2, port-mapping 10). */
  weights?: Partial<Record<AddressSource, number>>;
  /** Weight an address needs before it is decided (default 3). */
  minWeight?: number;
  /** Reporters that must have seen a local port before its port behaviour is judged (default 3). */
  minPortReports?: number;
  /** Our own addresses: a decided address among them means no NAT. */
  localHosts?: readonly string[];
}

export type ExternalAddressEvent =
  | { readonly type: 'external-address'; readonly host: string; readonly previous: string | undefined }
  | { readonly type: 'nat-type'; readonly natType: NatType; readonly previous: NatType };

export interface ExternalAddressStatus {
  readonly host: string | undefined;
  readonly natType: NatType;
  /** Votes held, by source kind. */
  readonly votes: Readonly<Record<AddressSource, number>>;
}

export const EXTERNAL_ADDRESS_DEFAULTS = {
  maxReporters: 64,
  weights: { peer: 1, dht: 1, tracker: 2, 'port-mapping': 10 } as Readonly<Record<AddressSource, number>>,
  minWeight: 3,
  minPortReports: 3,
};

interface Held extends AddressVote {
  readonly key: string;
}

export class ExternalAddress {
  private readonly votes = new Map<string, Held>();
  /** Weight per reported host over the votes held, kept as votes come and go (decide() runs on every vote). */
  private readonly weight = new Map<string, number>();
  /** Votes held that carry a port (only they can tell the NAT type). */
  private portVotes = 0;
  private readonly weights: Readonly<Record<AddressSource, number>>;
  private readonly o: Required<Omit<ExternalAddressOptions, 'weights' | 'localHosts'>>;
  private readonly localHosts: Set<string>;
  private decided: string | undefined;
  private nat: NatType = 'unknown';
  private mappedPort = false;

  constructor(options: ExternalAddressOptions = {}, private readonly onEvent?: (e: ExternalAddressEvent) => void) {
    this.weights = { ...EXTERNAL_ADDRESS_DEFAULTS.weights, ...options.weights };
    this.o = {
      maxReporters: options.maxReporters ?? EXTERNAL_ADDRESS_DEFAULTS.maxReporters,
      minWeight: options.minWeight ?? EXTERNAL_ADDRESS_DEFAULTS.minWeight,
      minPortReports: options.minPortReports ?? EXTERNAL_ADDRESS_DEFAULTS.minPortReports,
    };
    this.localHosts = new Set(options.localHosts ?? []);
  }

  /** The decided external IP, if any. */
  get host(): string | undefined {
    return this.decided;
  }

  get natType(): NatType {
    return this.nat;
  }

  /** Votes held (never more than `maxReporters`). */
  get size(): number {
    return this.votes.size;
  }

  /** Counts one report. A reporter's newer vote replaces its older one. */
  vote(v: AddressVote): void {
    if (!isIpLiteral(v.host) || v.reporter === '') return;
    // A peer, a DHT node or a tracker cannot vote as the gateway: keys differ by kind.
    const key = `${v.source === 'port-mapping' ? 'gw' : 'ip'}|${v.reporter}`;
    this.drop(key); // re-inserted last: the newest
    const held: Held = { ...v, key };
    this.votes.set(key, held);
    this.weigh(held, 1);
    while (this.votes.size > this.o.maxReporters) this.drop(this.votes.keys().next().value as string);
    if (v.source === 'port-mapping' && v.port !== undefined) this.mappedPort = true;
    this.decide();
  }

  /** The port mapping was lost (gateway restart, stop): its votes go. */
  forgetPortMapping(): void {
    for (const [k, v] of this.votes) if (v.source === 'port-mapping') this.drop(k);
    this.mappedPort = false;
    this.decide();
  }

  status(): ExternalAddressStatus {
    const votes: Record<AddressSource, number> = { peer: 0, dht: 0, tracker: 0, 'port-mapping': 0 };
    for (const v of this.votes.values()) votes[v.source]++;
    return { host: this.decided, natType: this.nat, votes };
  }

  private drop(key: string): void {
    const v = this.votes.get(key);
    if (v === undefined) return;
    this.votes.delete(key);
    this.weigh(v, -1);
  }

  private weigh(v: Held, sign: 1 | -1): void {
    const w = (this.weight.get(v.host) ?? 0) + sign * this.weights[v.source];
    if (w > 0) this.weight.set(v.host, w);
    else this.weight.delete(v.host);
    if (v.port !== undefined) this.portVotes += sign;
  }

  private decide(): void {
    const weight = this.weight;
    let best: string | undefined, bestW = 0, secondW = 0;
    for (const [host, w] of weight) {
      if (w > bestW) {
        secondW = bestW;
        best = host;
        bestW = w;
      } else if (w > secondW) secondW = w;
    }
    const currentW = this.decided === undefined ? 0 : weight.get(this.decided) ?? 0;
    if (best !== undefined && best !== this.decided && bestW >= this.o.minWeight && bestW > secondW && bestW > currentW) {
      const previous = this.decided;
      this.decided = best;
      this.onEvent?.({ type: 'external-address', host: best, previous });
    }
    this.judgeNat();
  }

  private judgeNat(): void {
    let next: NatType = 'unknown';
    if (this.decided !== undefined && (this.localHosts.has(this.decided) || this.mappedPort)) next = 'open';
    else if (this.decided !== undefined && this.portVotes > 0) {
      // Per local port, the distinct external ports reporters saw at the decided address.
      const seen = new Map<number, { reporters: number; ports: Set<number> }>();
      for (const v of this.votes.values()) {
        if (v.port === undefined || v.localPort === undefined || v.host !== this.decided || v.source === 'port-mapping') continue;
        const s = seen.get(v.localPort) ?? { reporters: 0, ports: new Set<number>() };
        s.reporters++;
        s.ports.add(v.port);
        seen.set(v.localPort, s);
      }
      for (const s of seen.values()) {
        if (s.reporters < this.o.minPortReports) continue;
        if (s.ports.size > 1) {
          next = 'symmetric';
          break;
        }
        next = 'cone';
      }
    }
    if (next === this.nat) return;
    const previous = this.nat;
    this.nat = next;
    this.onEvent?.({ type: 'nat-type', natType: next, previous });
  }
}

function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || (host.includes(':') && /^[0-9a-fA-F:.]+$/.test(host));
}

/** The `Address` a reporter saw, as a vote (a helper for callers holding an `Address`). */
export function voteFrom(source: AddressSource, reporter: string, seen: Address, localPort?: number): AddressVote {
  return { source, reporter, host: seen.host, port: seen.port, localPort };
}
