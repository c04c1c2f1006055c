/**
 * BEP 55 hole punching as initiator, relay and target: the decisions, not the sockets.
 *
 * - Initiator: a peer we cannot dial (learnt from PEX, BEP 11) is reachable through a peer
 *   that told us about it. `rendezvous(target)` sends `rendezvous` to such a peer that speaks
 *   ut_holepunch; the relay answers `connect` (both sides then send uTP SYNs at once) or
 *   `error`.
 * - Relay: a `rendezvous` from a peer that speaks ut_holepunch is forwarded as `connect` to
 *   both sides only when we are connected to the target at exactly that address and port
 *   (libtorrent 2.0.8 matches the same way); otherwise NoSelf, NotConnected or NoSupport.
 * - Target: a `connect` from a relay starts a uTP connection to the address it names, unless
 *   we are connected to it already (BEP 55: ignore silently).
 *
 * Remote limits: a peer may make us relay `maxRendezvousPerPeerPerMinute` times a minute, and
 * make us dial (`connect`) `maxConnectsPerPeerPerMinute` times; the rest is dropped, so a
 * hostile relay cannot turn us into a SYN cannon. We send at most
 * `maxRendezvousPerPeerPerMinute` rendezvous to one relay a minute. At most `maxAdvertised`
 * addresses remember who told us of them.
 *
 * Sans-I/O: time, peers and sending come from the host.
 */
import type { Address } from '../runtime/types.js';
import type { AddressKey } from '../util/address-key.js';
import type { HolepunchErrorName, HolepunchMessage } from '../wire/ut-holepunch.js';
import { AdvertTable } from './adverts.js';
import type { NatType } from './external-address.js';

export interface HolepunchHost<P> {
  now(): number;
  /** Connected peers (their handshakes done), oldest connection first. */
  peers(): Iterable<P>;
  /** Whether the peer said (BEP 10 `m`) it speaks ut_holepunch. */
  supports(peer: P): boolean;
  /** The endpoint others reach `peer` at: its uTP endpoint, or IP + BEP 10 `p` for a TCP peer that dialled us. */
  endpointOf(peer: P): Address | undefined;
  /** Whether `address` is one of ours. */
  isSelf(address: Address): boolean;
  /** Whether we are connected (or connecting) to `address`. */
  isConnected(address: Address): boolean;
  send(peer: P, message: HolepunchMessage): void;
  /** Starts a uTP connection to `address` (the punch); the host reports the outcome with `punchFailed` / `punchSucceeded`. */
  punch(address: Address): void;
  /** What the vote says of our NAT, for a failure's reason. */
  natType(): NatType;
}

export interface HolepunchOptions {
  /** Rendezvous a peer may ask of us, and we may ask of one relay, a minute (default 5). */
  maxRendezvousPerPeerPerMinute?: number;
  /**
   * `connect`s from one relay we act on a minute (default 60). It bounds what a hostile relay can
   * make us dial (one uTP dial, a few small SYNs, per `connect`: no amplification to speak of),
   * while an honest busy relay, an origin seed or open peer in a big swarm, forwards one
   * `connect` per initiator that wants us: at 5 a minute, targets dropped them and the punches
   * failed (sim nat at 1,000 peers: 60.0% -> 36.4% as the swarm dialled more; docs/nat.md).
   */
  maxConnectsPerPeerPerMinute?: number;
  /** Addresses for which we remember the peers that advertised them (default 2000). */
  maxAdvertised?: number;
  /**
   * A rendezvous the relay answered with neither `connect` nor an error after this long, ms, is
   * given up: the next failed dial to that target may ask again (default 20 000). A relay that
   * drops it, or a connection that dies under it, cannot block the target for as long as the
   * relay stays connected.
   */
  rendezvousTimeoutMs?: number;
  /**
   * Whether we ask relays for rendezvous while our own vote says our NAT is `symmetric`
   * (default false). Our SYN then leaves from a port the target never saw: it passes only a
   * full-cone or address-restricted NAT, and those peers reach us anyway by asking a relay
   * themselves (we still act on every `connect`, and our SYN as the target gets through
   * theirs). Against a port-restricted or symmetric NAT, most NATed peers, the attempt
   * cannot work. A mapped port makes the vote say `open`, and punching resumes.
   */
  initiateWhenSymmetric?: boolean;
}

export const HOLEPUNCH_DEFAULTS: Required<HolepunchOptions> = {
  maxRendezvousPerPeerPerMinute: 5,
  maxConnectsPerPeerPerMinute: 60,
  maxAdvertised: 2000,
  rendezvousTimeoutMs: 20_000,
  initiateWhenSymmetric: false,
};

export type HolepunchEvent =
  | { readonly type: 'rendezvous-sent'; readonly target: Address; readonly relay: Address }
  | { readonly type: 'relayed'; readonly initiator: Address; readonly target: Address }
  | { readonly type: 'relay-refused'; readonly initiator: Address; readonly target: Address; readonly error: HolepunchErrorName }
  | { readonly type: 'punching'; readonly target: Address; readonly role: 'initiator' | 'target' }
  | { readonly type: 'rendezvous-failed'; readonly target: Address; readonly error: string }
  /** A relay could have been asked, but our NAT is symmetric (`initiateWhenSymmetric`): the target may still ask, and we answer its `connect`. */
  | { readonly type: 'rendezvous-skipped'; readonly target: Address; readonly reason: string }
  | { readonly type: 'punch-failed'; readonly target: Address; readonly reason: string }
  /** `by`: 'us' when our punched dial connected; 'target' when the target's SYN got through first (we were connected when the relay's `connect` came). */
  | { readonly type: 'punch-succeeded'; readonly target: Address; readonly by: 'us' | 'target' }
  | { readonly type: 'rate-limited'; readonly peer: Address; readonly what: 'rendezvous' | 'connect' };

const MINUTE = 60_000;

/** Why a client behind a symmetric NAT asks no relay (docs/nat.md). */
export const SYMMETRIC_SKIP = 'our NAT maps a new port per destination (symmetric): our SYN could pass only a NAT that does not filter by port, whose peer can ask a relay itself (we answer its connect)';

const key = (a: Address): string => `${a.host}|${a.port}`;
const same = (a: Address | undefined, b: Address): boolean => a !== undefined && a.host === b.host && a.port === b.port;

export class Holepunch<P> {
  private readonly o: Required<HolepunchOptions>;
  /** Per peer: when it asked us to relay, when it told us to connect, when we asked it to relay. */
  private readonly windows = new Map<P, { rendezvousIn: number[]; connects: number[]; rendezvousOut: number[] }>();
  /** Who told us (PEX) of which ut_holepunch target: the relays we may ask (nat/adverts.ts). */
  private readonly adverts: AdvertTable<P>;
  /** Targets we asked a relay for: which relay, and when. */
  private readonly pending = new Map<string, { readonly relay: P; readonly at: number }>();
  /** The same by relay: a relay leaving clears its own. */
  private readonly pendingBy = new Map<P, Set<string>>();
  /** Targets of our punched dials still under way (as initiator or target). */
  private readonly punching = new Set<string>();

  constructor(private readonly host: HolepunchHost<P>, options: HolepunchOptions = {}, private readonly onEvent?: (e: HolepunchEvent) => void) {
    this.o = { ...HOLEPUNCH_DEFAULTS, ...options };
    this.adverts = new AdvertTable<P>(this.o.maxAdvertised);
  }

  /** `peer` told us (PEX) of `target`: it may relay a rendezvous to it. O(its advertisers). */
  heardOf(target: Address, peer: P): void {
    this.adverts.add(target, peer);
  }

  /** `peer` dropped the target of `key` (PEX `dropped`): it can no longer relay to it. */
  droppedKey(key: AddressKey, peer: P): void {
    this.adverts.dropKey(key, peer);
  }

  /** `heardOf` by the target's `addressKey` (util/address-key.ts). */
  heardOfKey(key: AddressKey, peer: P): void {
    this.adverts.addKey(key, peer);
  }

  /** A peer left: its windows, advertisements and rendezvous pending with it go. O(what it advertised and was asked). */
  forget(peer: P): void {
    this.windows.delete(peer);
    this.adverts.forget(peer);
    const asked = this.pendingBy.get(peer);
    if (asked) {
      this.pendingBy.delete(peer);
      for (const k of asked) this.pending.delete(k);
    }
  }

  private setPending(k: string, relay: P): void {
    this.unpend(k);
    this.pending.set(k, { relay, at: this.host.now() });
    let ks = this.pendingBy.get(relay);
    if (!ks) this.pendingBy.set(relay, (ks = new Set()));
    ks.add(k);
  }

  /** Forgets the rendezvous pending for target key `k`; true when there was one. */
  private unpend(k: string): boolean {
    const p = this.pending.get(k);
    if (p === undefined) return false;
    this.pending.delete(k);
    const ks = this.pendingBy.get(p.relay);
    ks?.delete(k);
    if (ks?.size === 0) this.pendingBy.delete(p.relay);
    return true;
  }

  /** Whether some connected peer that speaks ut_holepunch advertised `target`. */
  canRendezvous(target: Address): boolean {
    return this.relayFor(target) !== undefined;
  }

  /** Behind a NAT our vote found symmetric we leave the asking to the other side (see `initiateWhenSymmetric`). */
  private initiates(): boolean {
    return this.o.initiateWhenSymmetric || this.host.natType() !== 'symmetric';
  }

  /** Asks a peer that advertised `target` to relay; false when none can (or all are over the limit). */
  rendezvous(target: Address): boolean {
    if (this.host.isConnected(target)) return false;
    if (!this.initiates()) {
      if (this.relayFor(target) !== undefined) this.onEvent?.({ type: 'rendezvous-skipped', target, reason: SYMMETRIC_SKIP });
      return false;
    }
    const k = key(target);
    const asked = this.pending.get(k);
    if (asked !== undefined) {
      if (this.host.now() - asked.at < this.o.rendezvousTimeoutMs) return false;
      this.unpend(k);
      this.onEvent?.({ type: 'rendezvous-failed', target, error: `nothing in ${this.o.rendezvousTimeoutMs / 1000} s` });
    }
    const relay = this.relayFor(target);
    if (relay === undefined) return false;
    this.take(relay, 'rendezvousOut');
    this.setPending(k, relay);
    this.host.send(relay, { type: 'rendezvous', address: target });
    this.onEvent?.({ type: 'rendezvous-sent', target, relay: this.host.endpointOf(relay) ?? target });
    return true;
  }

  /** A ut_holepunch message from a connected peer. */
  onMessage(from: P, m: HolepunchMessage): void {
    switch (m.type) {
      case 'rendezvous':
        return this.relay(from, m.address);
      case 'connect':
        return this.connect(from, m.address);
      case 'error': {
        const k = key(m.address);
        if (this.pending.get(k)?.relay !== from) return; // an error for nothing we asked this peer: ignored
        this.unpend(k);
        this.onEvent?.({ type: 'rendezvous-failed', target: m.address, error: typeof m.error === 'number' ? `error code ${m.error}` : m.error });
        return;
      }
    }
  }

  /** The punched uTP connection to `target` failed (nothing is said when the other side's dial got through first). */
  punchFailed(target: Address): void {
    this.unpend(key(target));
    if (!this.punching.delete(key(target))) return;
    const reason = this.host.natType() === 'symmetric'
      ? `hole punch to ${target.host}:${target.port} failed: our NAT maps a new port per destination (symmetric): a punch works only with a NAT that does not filter by port`
      : `hole punch to ${target.host}:${target.port} failed: no answer`;
    this.onEvent?.({ type: 'punch-failed', target, reason });
  }

  punchSucceeded(target: Address): void {
    this.unpend(key(target));
    if (!this.punching.delete(key(target))) return;
    this.onEvent?.({ type: 'punch-succeeded', target, by: 'us' });
  }

  /**
   * `address` connected to us (its handshake done). When we had asked a relay for it, or were
   * punching towards it, its SYN (sent on the relay's `connect`) got through our NAT first:
   * the punch worked, whatever our own dial does.
   */
  connectedFrom(address: Address): void {
    const k = key(address);
    const asked = this.unpend(k);
    if (!this.punching.delete(k) && !asked) return;
    this.onEvent?.({ type: 'punch-succeeded', target: address, by: 'target' });
  }

  private relay(from: P, target: Address): void {
    // BEP 55: a rendezvous from a peer that does not speak the extension is ignored.
    if (!this.host.supports(from)) return;
    const initiator = this.host.endpointOf(from);
    if (!this.allow(from, 'rendezvousIn', this.o.maxRendezvousPerPeerPerMinute)) return;
    const refuse = (error: HolepunchErrorName): void => {
      this.host.send(from, { type: 'error', address: target, error });
      if (initiator) this.onEvent?.({ type: 'relay-refused', initiator, target, error });
    };
    if (this.host.isSelf(target)) return refuse('NoSelf');
    // Of several connections from the target's endpoint, the newest that speaks ut_holepunch:
    // a peer that reconnected from the same endpoint gave up on the older one, which we may not
    // have noticed yet (a `connect` sent on it would be lost).
    let matched = false;
    let to: P | undefined;
    for (const p of this.host.peers()) {
      if (p === from || !same(this.host.endpointOf(p), target)) continue;
      matched = true;
      if (this.host.supports(p)) to = p;
    }
    if (!matched) return refuse('NotConnected');
    if (to === undefined) return refuse('NoSupport');
    if (!initiator || same(initiator, target)) return refuse('NoSuchPeer');
    this.host.send(to, { type: 'connect', address: initiator });
    this.host.send(from, { type: 'connect', address: target });
    this.onEvent?.({ type: 'relayed', initiator, target });
  }

  private connect(from: P, target: Address): void {
    if (!this.host.supports(from)) return;
    const asked = this.pending.get(key(target))?.relay === from;
    if (this.host.isConnected(target) || this.host.isSelf(target)) {
      // BEP 55: ignore silently. When it answers our rendezvous, the target's SYN (sent on the
      // relay's `connect` to it) got through before this `connect` reached us: the punch worked.
      if (asked && !this.host.isSelf(target)) this.connectedFrom(target);
      return;
    }
    if (!asked && !this.allow(from, 'connects', this.o.maxConnectsPerPeerPerMinute)) return;
    this.onEvent?.({ type: 'punching', target, role: asked ? 'initiator' : 'target' });
    this.punching.add(key(target));
    this.host.punch(target);
  }

  private relayFor(target: Address): P | undefined {
    const now = this.host.now();
    return this.adverts.find(target, (p) => this.host.supports(p) && this.recent(p, 'rendezvousOut', now).length < this.o.maxRendezvousPerPeerPerMinute);
  }

  private recent(peer: P, what: 'rendezvousIn' | 'connects' | 'rendezvousOut', now: number): number[] {
    let w = this.windows.get(peer);
    if (!w) this.windows.set(peer, (w = { rendezvousIn: [], connects: [], rendezvousOut: [] }));
    const list = w[what];
    while (list.length > 0 && list[0] <= now - MINUTE) list.shift();
    return list;
  }

  private take(peer: P, what: 'rendezvousIn' | 'connects' | 'rendezvousOut'): void {
    const now = this.host.now();
    this.recent(peer, what, now).push(now);
  }

  /** Counts one `what` from `peer`; false (and an event) when it is over `max` this minute. */
  private allow(peer: P, what: 'rendezvousIn' | 'connects', max: number): boolean {
    const now = this.host.now();
    const list = this.recent(peer, what, now);
    if (list.length >= max) {
      const address = this.host.endpointOf(peer);
      if (address) this.onEvent?.({ type: 'rate-limited', peer: address, what: what === 'connects' ? 'connect' : 'rendezvous' });
      return false;
    }
    list.push(now);
    return true;
  }
}
