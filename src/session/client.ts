/**
 * The whole client, assembled once: a session (listener, peer id, storage through the
 * injected factory), one DHT node, port mapping through an injected hook, and for each torrent
 * its swarm, its trackers and its DHT lookups. `shoal get` / `seed`, the daemon and the
 * simulator build it the same way from a runtime; they differ only in the options (a node
 * runtime and file storage, or a simulated host and virtual storage) and the logger.
 */
import { magnetTiers } from '../metainfo/magnet.js';
import type { Dht } from '../dht/dht.js';
import type { Runtime } from '../runtime/types.js';
import type { PeerSnapshot, Swarm, SwarmStatus } from '../swarm/swarm.js';
import type { AnnouncerEvent } from '../tracker/announcer.js';
import { startSwarmAnnouncer, type SwarmAnnouncer } from './announcer.js';
import { dhtRound, scheduleDhtRounds, startDhtNode } from './dht-peers.js';
import { DhtNatWatch, type DhtNatOptions } from './dht-nat.js';
import { LocalPeers } from './local-peers.js';
import { SILENT_LOGGER, type Logger } from './logger.js';
import { Session, type AddTorrentOptions, type SessionOptions } from './session.js';

/** Asks the router for port mappings (docs/nat.md); the CLI passes one, the simulator none. */
export type PortMappingHook = (o: {
  readonly listenHost: string;
  readonly port: number;
  /** Map the UDP port too (the DHT listens there). */
  readonly udp: boolean;
  readonly log: (line: string) => void;
}) => Promise<{ stop(): Promise<void> } | undefined>;

export interface ClientDhtOptions {
  /** Bootstrap nodes as `HOST:PORT` (names resolved through `runtime.dns`); empty: the public routers. */
  readonly bootstrap: readonly string[];
  /**
   * `per-torrent`: each torrent looks itself up on its own timer (`shoal get` / `seed`);
   * `external`: the caller schedules rounds with `dhtRound` (the daemon, for thousands of torrents).
   */
  readonly rounds: 'per-torrent' | 'external';
  /** Start with the DHT off (`setDhtEnabled` turns it on later). Default on. */
  readonly enabled?: boolean;
}

/** Local peer discovery (BEP 14) over the runtime's multicast, for every non-private torrent. */
export interface ClientLsdOptions {
  /** Start with it off (`setLsdEnabled` turns it on later). Default on. */
  readonly enabled?: boolean;
  /** Multicast group port (default 6771; tests may use another). */
  readonly groupPort?: number;
  /** Where to say whether the groups were joined (default: the logger's debug). */
  readonly log?: (line: string) => void;
}

export interface ClientOptions extends Omit<SessionOptions, 'runtime'> {
  /** The DHT (BEP 5); none: no DHT. */
  readonly dht?: ClientDhtOptions;
  /** Local peer discovery (BEP 14); none: never. */
  readonly lsd?: ClientLsdOptions;
  /** When the DHT node runs read-only (BEP 43) for want of anyone reaching it, and who hears of it. */
  readonly dhtReachability?: DhtNatOptions;
  readonly portMapping?: PortMappingHook;
  readonly logger?: Logger;
  /** How long the `stopped` announce may take when a torrent stops (default 3 s). */
  readonly announceStopDeadlineMs?: number;
  /** Peers asked of each tracker per announce (default 50). */
  readonly numwant?: number;
}

export interface ClientTorrentOptions extends AddTorrentOptions {
  /** Extra tracker URLs, one tier each, after the torrent's (or magnet's) own tiers. */
  readonly extraTrackers?: readonly string[];
  /** Tiers to announce to instead of the torrent's (or magnet's) own (the daemon's edited list). */
  readonly trackers?: readonly (readonly string[])[];
  /** Every tracker event (the daemon keeps per-tracker status). */
  readonly onTrackerEvent?: (e: AnnouncerEvent) => void;
}

/** One torrent of the client: its swarm, with trackers and DHT lookups around it. */
export interface ClientTorrent {
  readonly swarm: Swarm;
  /** The tracker tiers it announces to (own tiers, then the extra ones). */
  readonly tiers: readonly (readonly string[])[];
  /** A snapshot of the torrent's state (`Swarm.status()`). */
  status(): SwarmStatus;
  /** A snapshot of its connected peers (`Swarm.peerList()`). */
  peers(): PeerSnapshot[];
  /** Tells the trackers it completed (BEP 3 `completed`, once, only if it started incomplete). */
  completed(): void;
  /** Announces now, a regular announce (a user's "reannounce"). */
  announceNow(): void;
  /** Announces to these tiers from now on: `stopped` to the old trackers (bounded), `started` to the new. */
  setTrackers(tiers: readonly (readonly string[])[]): Promise<void>;
  /** Stops looking up and announcing (`stopped`, bounded) and removes the swarm (resume data written). */
  stop(): Promise<void>;
}

export type DhtState = 'off' | 'starting' | 'running' | 'unavailable';

export class Client {
  private dhtNode: Dht | undefined;
  private dhtStarting: Promise<Dht | undefined> | undefined;
  private bootstrapped: Promise<unknown> = Promise.resolve();
  private dhtEnabled: boolean;
  private readonly torrents = new Set<ClientTorrent>();
  private mapping: Promise<{ stop(): Promise<void> } | undefined> | undefined;
  /** BEP 14 (undefined when the options ask for none). */
  private readonly lsd: LocalPeers | undefined;
  /** The DHT node's BEP 42 address and BEP 43 read-only switch, from the session's NAT vote. */
  private readonly dhtNat: DhtNatWatch;
  private closed = false;
  readonly logger: Logger;

  private constructor(readonly runtime: Runtime, readonly session: Session, private readonly o: ClientOptions) {
    this.logger = o.logger ?? SILENT_LOGGER;
    this.dhtEnabled = o.dht !== undefined && o.dht.enabled !== false;
    this.dhtNat = new DhtNatWatch(runtime.clock, () => session.external.status(), o.dhtReachability);
    this.lsd = o.lsd ? new LocalPeers(runtime, {
      listenPort: () => this.port, listenHost: this.listenHost, groupPort: o.lsd.groupPort, log: o.lsd.log ?? ((l) => this.logger.debug(l)),
    }) : undefined;
  }

  /** Opens the listener; the DHT node and port mapping start in the background (nothing waits for a router). */
  static async create(runtime: Runtime, options: ClientOptions): Promise<Client> {
    const made: { client?: Client } = {}; // NAT events can only come once the session exists
    const session = await Session.create({
      ...options, runtime,
      onNatEvent: (e) => {
        made.client?.dhtNat.onNatEvent(e);
        options.onNatEvent?.(e);
      },
    });
    const c = new Client(runtime, session, options);
    made.client = c;
    c.syncDht();
    if (options.lsd && options.lsd.enabled !== false) c.lsd?.start(); // in the background
    if (options.portMapping && session.listenAddress) {
      c.mapping = options.portMapping({
        listenHost: c.listenHost, port: session.listenAddress.port, udp: c.dhtEnabled, log: (l) => c.logger.info(l),
      }).catch(() => undefined);
    }
    return c;
  }

  private get listenHost(): string {
    return this.o.listen?.host ?? '0.0.0.0';
  }

  /** The port announced to trackers and the DHT. */
  get port(): number {
    return this.session.listenAddress?.port ?? this.o.listen?.port ?? 0;
  }

  get peerId(): Uint8Array {
    return this.session.peerId;
  }

  /** The running DHT node (undefined while starting, off or unavailable). */
  get dht(): Dht | undefined {
    return this.dhtNode;
  }

  get dhtState(): DhtState {
    if (this.dhtNode) return 'running';
    if (this.dhtStarting) return 'starting';
    return this.dhtEnabled && this.o.dht ? 'unavailable' : 'off';
  }

  /** Resolves with the DHT node once it started, or undefined when it could not (or is off). */
  /** Settles once the DHT node joined (or failed to). */
  whenBootstrapped(): Promise<unknown> {
    return this.whenDht().then(() => this.bootstrapped);
  }

  whenDht(): Promise<Dht | undefined> {
    return this.dhtStarting ?? Promise.resolve(this.dhtNode);
  }

  /** Turns the DHT on (a node starts in the background) or off (the node closes). */
  setDhtEnabled(on: boolean): void {
    this.dhtEnabled = on && this.o.dht !== undefined;
    this.syncDht();
  }

  /** Turns local peer discovery on (joins the multicast groups in the background) or off (leaves them). */
  setLsdEnabled(on: boolean): void {
    if (!this.closed) this.lsd?.setEnabled(on);
  }

  private syncDht(): void {
    const dhtOptions = this.o.dht;
    if (this.dhtEnabled && dhtOptions && !this.dhtNode && !this.dhtStarting && !this.closed) {
      const starting = startDhtNode({
        runtime: this.runtime, host: this.listenHost, bootstrap: dhtOptions.bootstrap,
        // BEP 42 `ip` of each reply: a vote on our external address, with the port it saw (NAT type, docs/nat.md).
        onIpReport: (from, seen) => this.session.voteExternalAddress({ source: 'dht', reporter: from.host, host: seen.host, port: seen.port, localPort: this.dhtNode?.address.port }),
      }).then((dht) => {
        this.dhtStarting = undefined;
        if (!dht) {
          this.logger.warn('DHT: could not start (no bootstrap address resolved, or the UDP port could not be bound); running without it');
          return undefined;
        }
        if (this.closed || !this.dhtEnabled) {
          dht.close();
          return undefined;
        }
        this.dhtNode = dht;
        this.bootstrapped = dht.bootstrap().then((n) => {
          if (n === 0 && this.dhtNode === dht) this.logger.warn('DHT: bootstrap reached no node (no network, or the bootstrap nodes do not answer)');
        }, (e: unknown) => this.logger.warn(`DHT: bootstrap failed: ${e instanceof Error ? e.message : String(e)}`));
        this.dhtNat.attach(dht, this.bootstrapped);
        return dht;
      });
      this.dhtStarting = starting;
    } else if (!this.dhtEnabled && this.dhtNode) {
      this.dhtNat.detach();
      this.dhtNode.close();
      this.dhtNode = undefined;
    }
  }

  /** Adds a torrent: its swarm (storage opened, pieces checked), then its trackers and DHT lookups. */
  async addTorrent(o: ClientTorrentOptions): Promise<ClientTorrent> {
    // Set once the swarm exists; the swarm's 'complete' may come before (a seed).
    const trackers: { announcer?: SwarmAnnouncer } = {};
    const added: { swarm?: Swarm } = {}; // set once the swarm exists (a metadata event may come before)
    const onEvent = o.onEvent;
    const swarm = await this.session.addTorrent({
      ...o,
      onEvent: (e) => {
        if (e.type === 'complete') trackers.announcer?.completed(); // trackers: BEP 3 'completed'
        // BEP 27: a magnet that turns out private is no longer announced on the local network.
        if (e.type === 'metadata' && e.torrent.private && added.swarm) this.lsd?.add(added.swarm);
        onEvent?.(e);
      },
    });
    added.swarm = swarm;
    this.lsd?.add(swarm);
    const torrent = o.torrent ?? swarm.torrent;
    const own = o.trackers ?? o.torrent?.trackers ?? (o.magnet ? magnetTiers(o.magnet) : []);
    let tiers = [...own, ...(o.extraTrackers ?? []).map((u) => [u])];
    const announceTo = (t: readonly (readonly string[])[]) => startSwarmAnnouncer({
      runtime: this.runtime, swarm, peerId: this.peerId, host: this.listenHost, port: this.port, tiers: t,
      onEvent: o.onTrackerEvent, stopDeadlineMs: this.o.announceStopDeadlineMs, numwant: this.o.numwant, logger: this.logger,
    });
    let announcer = announceTo(tiers);
    trackers.announcer = announcer;
    // BEP 27: a private torrent's peers come from its trackers only.
    const rounds = this.o.dht?.rounds === 'per-torrent' && !torrent?.private ? this.startRounds(swarm) : undefined;
    let stopping: Promise<void> | undefined;
    const handle: ClientTorrent = {
      swarm,
      get tiers() {
        return tiers;
      },
      status: () => swarm.status(),
      peers: () => swarm.peerList(),
      completed: () => announcer?.completed(),
      announceNow: () => announcer?.announceNow(),
      setTrackers: async (next) => {
        const old = announcer;
        announcer = trackers.announcer = undefined;
        await old?.stop();
        if (stopping || announcer) return; // stopped meanwhile, or a newer list won
        tiers = next.map((t) => [...t]);
        announcer = trackers.announcer = announceTo(tiers);
      },
      stop: () => {
        stopping ??= (async () => {
          rounds?.stop();
          this.lsd?.remove(swarm);
          this.torrents.delete(handle);
          await Promise.all([announcer?.stop(), this.session.removeTorrent(swarm)]);
        })();
        return stopping;
      },
    };
    this.torrents.add(handle);
    return handle;
  }

  /** This torrent's own DHT rounds: once the node has bootstrapped, then every few minutes. */
  private startRounds(swarm: Swarm): { stop(): void } {
    const controller = new AbortController();
    // No node (off, or it could not start): no rounds at all.
    const first = this.whenDht().then((dht) => (dht ? this.bootstrapped : Promise.reject(new Error('no DHT'))));
    const rounds = scheduleDhtRounds(this.runtime, async () => {
      const dht = this.dhtNode;
      return dht ? dhtRound(dht, swarm, this.port, controller.signal) : 0;
    }, first);
    return {
      stop: () => {
        controller.abort();
        rounds.stop();
      },
    };
  }

  /**
   * Stops every torrent (trackers told `stopped`, resume data written), the DHT node and the
   * port mappings (deleted, 5 s at most), then the session.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // No new peers while the trackers hear `stopped` (up to the deadline) and the swarms stop.
    this.session.stopAccepting();
    const torrents = [...this.torrents];
    this.dhtEnabled = false;
    this.dhtNat.detach();
    this.dhtNode?.close();
    this.dhtNode = undefined;
    // A node still resolving its bootstrap names is closed once it is up; nothing waits for it.
    void this.dhtStarting?.then((d) => d?.close());
    await Promise.all([...torrents.map((t) => t.stop()), this.mapping?.then((m) => m?.stop()), this.lsd?.close()]);
    await this.session.close();
  }
}

/** Builds a client on `runtime` (see `Client.create`). */
export function createClient(runtime: Runtime, options: ClientOptions): Promise<Client> {
  return Client.create(runtime, options);
}
