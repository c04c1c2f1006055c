/**
 * One simulated BitTorrent client: a real `Swarm` on a `SimHost`, listening for peers,
 * announcing to a real tracker over the simulator's UDP (BEP 15), with storage that moves
 * no bytes (`VirtualStorage`). Every scenario builds its clients here and nowhere else, so
 * that switching to the session layer's assembly later is a change to this one file.
 */
import type { Torrent } from '../../metainfo/torrent.js';
import type { Bitfield } from '../../storage/bitfield.js';
import { VirtualStorage } from '../../storage/virtual-storage.js';
import { Announcer, TrackerClient } from '../../tracker/announcer.js';
import { routeIncoming } from '../../swarm/incoming.js';
import { Swarm, type SwarmOptions } from '../../swarm/swarm.js';
import type { Runtime, StreamListener } from '../../runtime/types.js';
import { generatePeerId } from '../../wire/index.js';
import type { SimHost } from '../host.js';

export const PEER_PORT = 6881;

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
  /** Swarm options beyond the ones set here (choker policy, picker, peer limits). */
  readonly swarm?: Partial<SwarmOptions>;
  /** Peers asked of the tracker per announce (default 50). */
  readonly numwant?: number;
  readonly onComplete?: (client: SimClient) => void;
  /** The runtime the swarm and its listener run on (default the host's; e.g. with uTP added: transport/dual-streams.ts). */
  readonly runtime?: Runtime;
  /** BEP 10 extensions incoming connections announce (e.g. with BEP 55 ut_holepunch). */
  readonly extensions?: ReadonlyMap<string, number>;
}

export class SimClient {
  readonly swarm: Swarm;
  readonly storage: VirtualStorage;
  readonly host: SimHost;
  private readonly announcer: Announcer;
  private readonly trackerClient: TrackerClient;
  private listener: StreamListener | undefined;
  private stopped = false;
  private readonly runtime: Runtime;
  private readonly extensions: ReadonlyMap<string, number> | undefined;

  constructor(o: SimClientOptions) {
    const rt = o.runtime ?? o.host.runtime;
    this.host = o.host;
    this.runtime = rt;
    this.extensions = o.extensions;
    // Shared zero reads: the simulated links carry plaintext and nothing writes into a block it sends.
    this.storage = o.liar ? LiarStorage.seed(o.torrent.layout) : o.resume ? ResumedStorage.resume(o.torrent.layout, o.resume) : o.seed ? VirtualStorage.seed(o.torrent.layout, { sharedReads: true }) : new VirtualStorage(o.torrent.layout, undefined, { sharedReads: true });
    const peerId = generatePeerId(rt.random);
    const storage = this.storage;
    this.swarm = new Swarm({
      runtime: rt,
      peerId,
      torrent: o.torrent,
      listenPort: PEER_PORT,
      openStorage: async () => ({ storage, have: storage.bitfield() }),
      ...o.swarm,
      onEvent: (e) => {
        if (e.type === 'complete') {
          this.announcer.completed();
          o.onComplete?.(this);
        }
        o.swarm?.onEvent?.(e);
      },
    });
    this.trackerClient = new TrackerClient({ clock: rt.clock, random: rt.random, udp: rt.udp, http: undefined, udpBaseTimeoutMs: 5_000, udpMaxRetries: 2 });
    this.announcer = new Announcer({
      client: this.trackerClient,
      clock: rt.clock,
      random: rt.random,
      tiers: [[o.trackerUrl]],
      infoHash: o.torrent.infoHashV1!,
      peerId,
      port: PEER_PORT,
      numwant: o.numwant,
      counters: () => {
        const s = this.swarm.stats();
        return { uploaded: s.uploaded, downloaded: s.downloaded, left: s.bytesTotal - s.bytesHave };
      },
      onPeers: (peers) => {
        if (this.stopped) return;
        for (const p of peers) this.swarm.addPeer(p, 'tracker');
      },
    });
  }

  /** Listens, starts the swarm and announces `started`. */
  async start(): Promise<void> {
    const rt = this.runtime;
    this.listener = await rt.stream.listen({ host: this.host.address, port: PEER_PORT }, (stream) => routeIncoming(rt, this.swarm.ourPeerId, stream, () => this.swarm, this.extensions));
    await this.swarm.start();
    this.announcer.start();
  }

  /** Leaves: stops the swarm and the listener, and takes the host off the network. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.listener?.close();
    // The `stopped` announce goes out before the tracker socket closes.
    void this.announcer.stop().finally(() => this.trackerClient.close());
    void this.swarm.stop();
  }
}
