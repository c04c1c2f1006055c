/**
 * NAT boxes for the simulator, at the level of who may reach whom (no address rewriting:
 * a host behind a NAT keeps its own address, and what the NAT decides is whether traffic
 * from outside gets in). RFC 4787 behaviours, as the measurement literature groups them:
 *
 * - 'open': no NAT (or a public address): everything gets in.
 * - 'full-cone': once the host has sent anything out (a mapping exists), anyone's UDP gets in.
 * - 'restricted-cone': UDP from a host it has sent to gets in (filtered by address).
 * - 'port-restricted': the same, filtered by address and port (here: by host; the
 *   difference shows in hole punching against a symmetric NAT, see `canPunch`).
 * - 'symmetric': a fresh external port per destination; replies get in, nothing else.
 *
 * Unsolicited stream connections (TCP SYNs) never get in through any NAT unless the host
 * has a port mapping (UPnP IGD / NAT-PMP / PCP: `mapped`) or a hole was punched for that
 * peer (`punch`). Replies on connections the host opened itself always pass.
 */
export type NatType = 'open' | 'full-cone' | 'restricted-cone' | 'port-restricted' | 'symmetric';

export class NatBox {
  /** A port mapping for the listen ports (UPnP IGD, NAT-PMP, PCP): inbound connections pass. */
  mapped = false;
  private sentAny = false;
  /** Hosts (by simulator id) this host sent datagrams to. */
  private readonly contacted = new Set<number>();
  /** Hosts a hole was punched for (BEP 55 modelled at the connectivity level). */
  private readonly punched = new Set<number>();

  /** Hole punching modelled: a predicate on the peer's host id that says a punch would succeed. */
  punchable: ((peer: number) => boolean) | undefined;

  constructor(readonly type: NatType) {}

  get open(): boolean {
    return this.type === 'open' || this.mapped;
  }

  /** Outbound datagram to host `to`: the NAT keeps (or makes) a mapping. */
  sent(to: number): void {
    this.sentAny = true;
    if (this.type !== 'open' && this.type !== 'full-cone') this.contacted.add(to);
  }

  punch(peer: number): void {
    this.punched.add(peer);
  }

  admitsDatagram(from: number): boolean {
    if (this.open || this.punched.has(from) || this.punchable?.(from) === true) return true;
    if (this.type === 'full-cone') return this.sentAny;
    return this.contacted.has(from);
  }

  admitsConnection(from: number): boolean {
    return this.open || this.punched.has(from) || this.punchable?.(from) === true;
  }
}

/**
 * Whether UDP hole punching (a rendezvous through a relay both can reach, then
 * simultaneous sends) opens a path between hosts behind NATs of types a and b: everything
 * works except a symmetric NAT against a symmetric or port-restricted one (the symmetric
 * side's new port for the peer is unknown in advance, and the port-restricted side filters
 * on it). Ford, Srisuresh and Kegel (USENIX ATC 2005) found 82% of NATs punchable for UDP.
 */
export function canPunch(a: NatType, b: NatType): boolean {
  const hard = (x: NatType, y: NatType) => x === 'symmetric' && (y === 'symmetric' || y === 'port-restricted');
  return !(hard(a, b) || hard(b, a));
}
