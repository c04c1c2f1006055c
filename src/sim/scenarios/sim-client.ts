/**
 * One simulated BitTorrent client: the session layer's `Client` (src/session/client.ts, the
 * one `shoal get` and the daemon build) on a `SimHost`, listening for peers and announcing to
 * a real tracker over the simulator's UDP (BEP 15), with storage that moves no bytes
 * (`VirtualStorage`) injected through the session's storage factory. No DHT, no local peer
 * discovery, no port mapping hook. Every scenario builds its clients here and nowhere else.
 */
import type { Torrent } from '../../metainfo/torrent.js';
import type { Bitfield } from '../../storage/bitfield.js';
import { VirtualStorage } from '../../storage/virtual-storage.js';
import { Client, createClient, type ClientOptions, type ClientTorrent } from '../../session/client.js';
import type { StorageFactory } from '../../session/storage-factory.js';
import { ReputationStore } from '../../swarm/reputation.js';
import type { Swarm, SwarmOptions } from '../../swarm/swarm.js';
import type { Runtime, Streams } from '../../runtime/types.js';
import type { SimHost } from '../host.js';

export const PEER_PORT = 6881;

/** Most connections a session takes by default (`SessionOptions.maxConnections`). */
const SESSION_MAX_CONNECTIONS = 500;

/**
 * The swarm settings a scenario may give one client, all of them the session layer's own
 * (session, torrent or tracker options a user of `shoal get` or the daemon sets too).
 */
export type SimSwarmOptions = Partial<Pick<SwarmOptions, 'choker' | 'picker' | 'rateLimiters' | 'unchokeSlots' | 'maxPeers' | 'silentPeerTimeoutMs' | 'onEvent'>>;

/** Storage of a lying Sybil: every piece had, no read ever finishes. */
class LiarStorage extends VirtualStorage {
  static override seed(layout: Torrent['layout']): LiarStorage {
    const s = new LiarStorage(layout);
    for (let p = 0; p < layout.pieceCount; p++) s.have.set(p);
    return s;
  }

  override readBlock(): Promise<Uint8Array> {
    return new Promise(() => undefined);
  }
}

/** Storage of a client that comes back: the pieces it had verified before it left, and nothing of the rest. */
class ResumedStorage extends VirtualStorage {
  static resume(layout: Torrent['layout'], have: Bitfield): ResumedStorage {
    const s = new ResumedStorage(layout, undefined, { sharedReads: true });
    for (let p = 0; p < layout.pieceCount; p++) if (have.has(p)) s.have.set(p);
    return s;
  }
}

export interface SimClientOptions {
  readonly host: SimHost;
  readonly torrent: Torrent;
  /** Starts with every piece (the origin seed). */
  readonly seed?: boolean;
  /**
   * A Sybil that lies: it announces every piece (a seed's bitfield) and never sends one
   * (its reads never finish), holding the requests it was sent until they time out.
   */
  readonly liar?: boolean;
  /** Starts with these verified pieces (a client resuming after it went offline, as `shoal get` does from disk). */
  readonly resume?: Bitfield;
  /** `udp://a.b.c.d:port` of the simulated tracker. */
  readonly trackerUrl: string;
  /** Choker policy, picker, peer limits, rate limiters, events (each passed as the session option it is). */
  readonly swarm?: SimSwarmOptions;
  /** Peers asked of the tracker per announce (default 50). */
  readonly numwant?: number;
  readonly onComplete?: (client: SimClient) => void;
  /** The runtime the client runs on (default the host's; e.g. with uTP added: transport/dual-streams.ts). */
  readonly runtime?: Runtime;
  /** BEP 55 hole punching (default on, as in the real client; punches need uTP). */
  readonly holepunch?: boolean;
  /** The uTP streams punches dial over when the runtime's streams are wrapped (`SessionOptions.punchStreams`). */
  readonly punchStreams?: Streams;
  /** Called once the client listens and its torrent was added (e.g. to feed its external-address vote). */
  readonly onStarted?: (client: SimClient) => void;
}

export class SimClient {
  readonly storage: VirtualStorage;
  readonly host: SimHost;
  private session: Client | undefined;
  private added: ClientTorrent | undefined;
  private starting: Promise<void> | undefined;
  private stopped = false;
  /** 'complete' came while the torrent was being added (a resumed client that had every piece). */
  private completedEarly = false;

  constructor(private readonly o: SimClientOptions) {
    this.host = o.host;
    // Shared zero reads: the simulated links carry plaintext and nothing writes into a block it sends.
    this.storage = o.liar ? LiarStorage.seed(o.torrent.layout) : o.resume ? ResumedStorage.resume(o.torrent.layout, o.resume) : o.seed ? VirtualStorage.seed(o.torrent.layout, { sharedReads: true }) : new VirtualStorage(o.torrent.layout, undefined, { sharedReads: true });
  }

  /** The session layer's client (once `start` resolved). */
  get client(): Client {
    if (!this.session) throw new Error('SimClient: not started');
    return this.session;
  }

  /** Whether `start` resolved (the client listens, its torrent was added). */
  get started(): boolean {
    return this.added !== undefined;
  }

  /** The torrent's swarm, as the session built it (once `start` resolved). */
  get swarm(): Swarm {
    if (!this.added) throw new Error('SimClient: not started');
    return this.added.swarm;
  }

  /** Listens, adds the torrent (its swarm starts) and announces `started`. */
  start(): Promise<void> {
    this.starting ??= this.run();
    return this.starting;
  }

  private async run(): Promise<void> {
    const o = this.o;
    const storage = this.storage;
    const factory: StorageFactory = { open: async () => ({ storage, have: storage.bitfield() }), close: () => undefined };
    const sw = o.swarm ?? {};
    const { reputation, ...choker } = sw.choker ?? {};
    if (reputation !== undefined && !(reputation instanceof ReputationStore)) throw new TypeError('SimClient: a reputation must be a ReputationStore (the session shares one)');
    const options: ClientOptions = {
      stateDir: '/', // nothing is written there: the storage is injected, there is no resume data
      storage: factory,
      listen: { host: o.host.address, port: PEER_PORT },
      // The simulated links carry plaintext (MSE's DH would dominate the run's CPU).
      encryption: { policy: 'plaintext' },
      // As the scenarios always ran: a peer's standing only when the scenario gives a store.
      reputation: reputation ?? false,
      choker,
      picker: sw.picker,
      unchokeSlots: sw.unchokeSlots,
      silentPeerTimeoutMs: sw.silentPeerTimeoutMs,
      maxConnections: Math.max(SESSION_MAX_CONNECTIONS, sw.maxPeers ?? 0),
      holepunch: o.holepunch === false ? false : undefined,
      punchStreams: o.punchStreams,
      numwant: o.numwant,
    };
    const client = await createClient(o.runtime ?? o.host.runtime, options);
    this.session = client;
    const maxPeers = sw.maxPeers;
    this.added = await client.addTorrent({
      torrent: o.torrent,
      downloadDir: '/',
      trackers: [[o.trackerUrl]],
      limits: maxPeers === undefined ? undefined : { maxPeers },
      rateLimiters: sw.rateLimiters,
      onEvent: (e) => {
        if (e.type === 'complete') {
          if (this.added) o.onComplete?.(this);
          else this.completedEarly = true;
        }
        sw.onEvent?.(e);
      },
    });
    if (this.stopped) {
      void client.close();
      return;
    }
    if (this.completedEarly) o.onComplete?.(this);
    o.onStarted?.(this);
  }

  /** Leaves: the client closes (no new peers, `stopped` announced, the swarm stopped). */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // Not started yet: `run` closes it once its torrent is added.
    if (this.added) void this.session?.close();
  }
}
