/**
 * The daemon's local peer discovery (BEP 14): one multicast service for every torrent; each
 * running, non-private torrent is announced, and peers heard for it go to its swarm
 * (source 'lsd'). Starts in the background; where multicast is unavailable it does nothing.
 */
import { LsdService } from '../../discovery/lsd-service.js';
import type { Runtime } from '../../runtime/types.js';
import type { Swarm } from '../../swarm/swarm.js';

export class LocalPeers {
  private service: LsdService | undefined;
  private starting: Promise<void> | undefined;
  private closed = false;
  /** Bumped when it is turned off: a join still under way for an older generation is undone. */
  private generation = 0;
  /** Running swarms by the hex of the hash they announce. */
  private readonly swarms = new Map<string, { swarm: Swarm; private: boolean }>();

  constructor(private readonly runtime: Runtime, private readonly listenPort: () => number, private readonly listenHost: string) {}

  /** Joins the groups (once); torrents added before it is up are announced once it is. */
  start(): void {
    if (this.starting || this.closed) return;
    const generation = this.generation;
    this.starting = LsdService.start({
      runtime: this.runtime, listenPort: this.listenPort(), interfaceHost: this.listenHost,
      onPeer: (hash, address) => this.swarms.get(hash)?.swarm.addPeer(address, 'lsd'),
    }).then((s) => {
      if (this.closed || generation !== this.generation) return s.close();
      this.service = s;
      for (const [hash, e] of this.swarms) s.core.add(hash, e.private);
    }, () => undefined);
  }

  add(swarm: Swarm): void {
    const hash = swarm.handshakeHashes[0];
    if (!hash) return;
    const hex = Buffer.from(hash).toString('hex');
    const isPrivate = swarm.torrent?.private === true; // BEP 27: never announced
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

  /** The `lsd` setting: on joins the groups (once), off leaves them; torrents stay registered. */
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
