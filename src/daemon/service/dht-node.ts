/**
 * The daemon's one DHT node (BEP 5), started and stopped to follow the `dht` setting; a
 * node that cannot start or bootstrap is logged and the daemon runs without it.
 */
import { startDhtNode } from '../../cli/dht-peers.js';
import type { Dht } from '../../dht/dht.js';
import type { Runtime } from '../../runtime/types.js';

export class DhtNodeHolder {
  node: Dht | undefined;
  private starting: Promise<void> | undefined;
  private closed = false;
  /** The last `sync`'s wish (a node that finishes starting after a "no" is closed). */
  private wanted: boolean | undefined;

  constructor(private readonly o: {
    readonly runtime: Runtime;
    readonly host: string;
    /** false: never (the daemon was started without a DHT). */
    readonly bootstrap: readonly string[] | false | undefined;
    readonly log: (m: string) => void;
  }) {}

  /** Starts or stops the node to match `want` (in the background). */
  sync(want: boolean): void {
    want &&= this.o.bootstrap !== false && !this.closed;
    if (want && !this.node && !this.starting) {
      this.starting = startDhtNode({ runtime: this.o.runtime, host: this.o.host, bootstrap: this.o.bootstrap || [] }).then((dht) => {
        this.starting = undefined;
        if (!dht) return void this.o.log('DHT: could not start (no bootstrap address resolved, or the UDP port could not be bound); running without it');
        if (this.closed || this.wanted === false) return dht.close();
        this.node = dht;
        void dht.bootstrap().then((n) => {
          if (n === 0 && this.node === dht) this.o.log('DHT: bootstrap reached no node (no network, or the bootstrap nodes do not answer)');
        }, (e: unknown) => this.o.log(`DHT: bootstrap failed: ${e instanceof Error ? e.message : String(e)}`));
      });
    } else if (!want && this.node) {
      this.node.close();
      this.node = undefined;
    }
    this.wanted = want;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.starting;
    this.node?.close();
    this.node = undefined;
  }
}
