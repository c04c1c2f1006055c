/**
 * The swarm's side of BEP 55 hole punching: adapts the sans-I/O `Holepunch` core
 * (src/nat/holepunch.ts) to the swarm's peers. Peers that PEX (BEP 11) says speak
 * ut_holepunch (flag 0x08) are remembered with the peer that told us; when a direct dial to
 * one fails, that peer is asked to relay a rendezvous, and on `connect` we dial over uTP only
 * (a TCP SYN would not pass the other side's NAT; both uTP SYNs cross and open both NATs).
 */
import { Holepunch, type HolepunchEvent, type HolepunchOptions } from '../nat/holepunch.js';
import type { NatType } from '../nat/external-address.js';
import type { Address } from '../runtime/types.js';
import type { AddressKey } from '../util/address-key.js';
import { DEFAULT_LOCAL_EXTENSIONS, decodeHolepunch, encodeHolepunch, PEX_FLAG_HOLEPUNCH, PeerProtocolError, UT_HOLEPUNCH, UT_HOLEPUNCH_LOCAL_ID } from '../wire/index.js';
import { PeerPool } from './peer-pool.js';
import type { PeerSession } from './peer-session.js';

/** Our BEP 10 extensions with BEP 55's ut_holepunch (under libtorrent's id), for outgoing and incoming connections. */
export const HOLEPUNCH_EXTENSIONS: ReadonlyMap<string, number> = new Map([...DEFAULT_LOCAL_EXTENSIONS, [UT_HOLEPUNCH, UT_HOLEPUNCH_LOCAL_ID]]);

export interface SwarmHolepunchOptions extends HolepunchOptions {
  /** What the session's vote says of our NAT (for a failed punch's reason). */
  readonly natType?: () => NatType;
  /** Whether an address is ours (listen address; external address with our port). */
  readonly isSelf?: (address: Address) => boolean;
}

/** What the adapter needs of the swarm. */
export interface HolepunchSwarm {
  readonly peers: ReadonlyMap<string, PeerSession>;
  now(): number;
  /** Dials `address` over uTP only; resolves true when connected. */
  punch(address: Address): Promise<boolean>;
  violation(peer: PeerSession, reason: string): void;
  emit(event: HolepunchEvent): void;
}

const same = (a: Address | undefined, b: Address): boolean => a !== undefined && a.host === b.host && a.port === b.port;

/**
 * The endpoint others reach `p` at: the connection's own endpoint when we dialled it or it
 * came over uTP (its uTP port is its listen port: one port for uTP and TCP), else its IP
 * with its BEP 10 `p` (an incoming TCP connection's source port is ephemeral).
 */
export function reachableEndpoint(p: PeerSession): Address | undefined {
  if (!p.incoming || p.overUtp) return p.address;
  return p.listenAddress;
}

export class SwarmHolepunch {
  readonly core: Holepunch<PeerSession>;

  constructor(private readonly swarm: HolepunchSwarm, options: SwarmHolepunchOptions = {}) {
    this.core = new Holepunch<PeerSession>({
      now: () => swarm.now(),
      peers: () => [...swarm.peers.values()].filter((p) => p.conn.state === 'open'),
      supports: (p) => p.conn.extensions.supports(UT_HOLEPUNCH),
      endpointOf: reachableEndpoint,
      isSelf: (a) => options.isSelf?.(a) ?? false,
      isConnected: (a) => this.isConnected(a),
      send: (p, m) => {
        if (p.conn.state === 'open' && p.conn.sendExtension(UT_HOLEPUNCH, encodeHolepunch(m))) p.flush();
      },
      punch: (a) => {
        void swarm.punch(a).then((ok) => (ok ? this.core.punchSucceeded(a) : this.core.punchFailed(a)));
      },
      natType: () => options.natType?.() ?? 'unknown',
    }, options, (e) => swarm.emit(e));
  }

  /** A ut_holepunch payload from `peer`; a malformed one is a violation. */
  onMessage(peer: PeerSession, payload: Uint8Array): void {
    let m;
    try {
      m = decodeHolepunch(payload);
    } catch (e) {
      if (e instanceof PeerProtocolError) return this.swarm.violation(peer, e.message);
      throw e;
    }
    this.core.onMessage(peer, m);
  }

  /** A PEX entry from `peer` (its BEP 11 flags and address key): one that speaks ut_holepunch can be reached through it. */
  heardOf(peer: PeerSession, flags: number, key: AddressKey): void {
    if (flags & PEX_FLAG_HOLEPUNCH) this.core.heardOfKey(key, peer);
  }

  /** `peer`'s PEX says it dropped the address of `key`: it is no relay to it any more. */
  dropped(peer: PeerSession, key: AddressKey): void {
    this.core.droppedKey(key, peer);
  }

  /** A direct dial failed: ask a relay when one advertised the address (not behind a symmetric NAT: `initiateWhenSymmetric`). */
  dialFailed(address: Address): void {
    if (this.core.canRendezvous(address)) this.core.rendezvous(address);
  }

  /** A peer finished its handshake: one that dialled us may be the target of our punch, its SYN through first. */
  peerConnected(peer: PeerSession): void {
    if (peer.incoming) this.core.connectedFrom(peer.address);
  }

  forget(peer: PeerSession): void {
    this.core.forget(peer);
  }

  private isConnected(a: Address): boolean {
    if (this.swarm.peers.has(PeerPool.key(a))) return true;
    for (const p of this.swarm.peers.values()) if (same(p.listenAddress, a)) return true;
    return false;
  }
}
