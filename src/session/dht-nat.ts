/**
 * The client's DHT node and the NAT (docs/nat.md): the decided external address goes to the
 * node for its BEP 42 id, and the node runs read-only (BEP 43) while nobody seems able to
 * reach it (`DhtReachability`, judged every `NAT_CHECK_INTERVAL_MS`). One copy for
 * `shoal get` / `seed`, the daemon and the simulator: `Client` owns it.
 */
import type { Dht } from '../dht/dht.js';
import { DhtReachability, type DhtReachabilityOptions } from '../nat/dht-reachability.js';
import type { ExternalAddressEvent, NatType } from '../nat/external-address.js';
import type { Clock, TimerHandle } from '../runtime/types.js';

/** How often the DHT's reachability is judged again. */
export const NAT_CHECK_INTERVAL_MS = 30_000;

export interface DhtNatOptions extends DhtReachabilityOptions {
  /** The node turned read-only (true) or answers queries again (false). */
  readonly onReadOnly?: (readOnly: boolean) => void;
}

export class DhtNatWatch {
  private dht: Dht | undefined;
  private timer: TimerHandle | undefined;
  private reach: DhtReachability;

  constructor(
    private readonly clock: Clock,
    /** The vote's current view: the decided host (if any) and the NAT type. */
    private readonly external: () => { readonly host?: string; readonly natType: NatType },
    private readonly o: DhtNatOptions = {},
  ) {
    this.reach = new DhtReachability(o);
  }

  /** The node started (`bootstrapped` settles once it joined): give it our address, then watch it. */
  attach(dht: Dht, bootstrapped: Promise<unknown>): void {
    this.detach();
    this.dht = dht;
    const host = this.external().host;
    if (host) for (const n of dht.nodes) n.adoptExternalHost(host);
    void bootstrapped.then(() => {
      if (this.dht !== dht) return; // detached meanwhile
      this.reach.bootstrapped(this.clock.now(), dht.node.stats.queriesReceived);
      this.schedule();
    }, () => undefined);
  }

  /** The node closed (DHT turned off): a new one starts with a fresh judgement. */
  detach(): void {
    this.timer?.cancel();
    this.timer = undefined;
    this.dht = undefined;
    this.reach = new DhtReachability(this.o);
  }

  /** The session's vote changed: a new address for the node's id; the NAT type may decide reachability. */
  onNatEvent(e: ExternalAddressEvent): void {
    if (e.type === 'external-address' && this.dht) for (const n of this.dht.nodes) n.adoptExternalHost(e.host);
    this.check();
  }

  private check(): void {
    const dht = this.dht;
    if (!dht) return;
    const change = this.reach.check(this.clock.now(), dht.node.stats.queriesReceived, this.external().natType);
    if (change === undefined) return;
    for (const n of dht.nodes) n.setReadOnly(change);
    this.o.onReadOnly?.(change);
  }

  private schedule(): void {
    this.timer = this.clock.setTimer(NAT_CHECK_INTERVAL_MS, () => {
      this.check();
      this.schedule();
    });
  }
}
