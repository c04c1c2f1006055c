/**
 * The client's local peer discovery (BEP 14): one multicast service for every torrent; each
 * running, non-private torrent is announced, and peers heard for it go to its swarm
 * (source 'lsd'). Starts in the background; where multicast is unavailable it does nothing.
 */
import { LsdService } from '../discovery/lsd-service.js';
import type { Runtime } from '../runtime/types.js';
import type { Swarm } from '../swarm/swarm.js';

export interface LocalPeersOptions {
  /** The port announced (the session's listen port, once bound). */
  readonly listenPort: () => number;
  /** The interface to join on (a wildcard: the system's choice). */
  readonly listenHost: string;
  /** Multicast group port (default 6771, BEP 14; tests may use another). */
  readonly groupPort?: number;
  /** Says once whether the groups were joined. */
  readonly log?: (line: string) => void;
}

export class LocalPeers {
  private service: LsdService | undefined;
  private starting: Promise<void> | undefined;
  private closed = false;
  /** Bumped when it is turned off: a join still under way for an older generation is undone. */
  private generation = 0;
  /** Running swarms by the hex of the hash they announce. */
  private readonly swarms = new Map<string, { swarm: Swarm; private: boolean }>();

  constructor(private readonly runtime: Runtime, private readonly o: LocalPeersOptions) {}

  /** Joins the groups (once); torrents added before it is up are announced once it is. */
  start(): void {
    if (this.starting || this.closed) return;
    const generation = this.generation;
    this.starting = LsdService.start({
      runtime: this.runtime, listenPort: this.o.listenPort, interfaceHost: this.o.listenHost, groupPort: this.o.groupPort,
      onPeer: (hash, address) => this.swarms.get(hash)?.swarm.addPeer(address, 'lsd'),
    }).then((s) => {
      if (this.closed || generation !== this.generation) return s.close();
      this.service = s;
      this.o.log?.(s.groups > 0 ? `local peer discovery on ${s.groups} multicast group(s)` : 'local peer discovery unavailable (no multicast)');
      for (const [hash, e] of this.swarms) s.core.add(hash, e.private);
    }, () => undefined);
  }

  /** Registers a swarm (again once a magnet's metadata says it is private: then it is no longer announced). */
  add(swarm: Swarm): void {
    const hash = swarm.handshakeHashes[0];
    if (!hash) return;
    const hex = Buffer.from(hash).toString('hex');
    const isPrivate = swarm.torrent?.private === true; // BEP 27: never announced
    if (this.swarms.get(hex)?.private === false && isPrivate) this.service?.core.remove(hex);
    this.swarms.set(hex, { swarm, private: isPrivate });
    this.service?.core.add(hex, isPrivate);
  }

  remove(swarm: Swarm): void {
    const hash = swarm.handshakeHashes[0];
    if (!hash) return;
    const hex = Buffer.from(hash).toString('hex');
    if (this.swarms.get(hex)?.swarm !== swarm) return;
    this.swarms.delete(hex);
    this.service?.core.remove(hex);
  }

  /** On joins the groups (once), off leaves them; torrents stay registered. */
  setEnabled(on: boolean): void {
    if (on) return this.start();
    this.generation++;
    this.starting = undefined;
    this.service?.close();
    this.service = undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.starting;
    this.service?.close();
    this.service = undefined;
  }
}
