/**
 * uTP behind the runtime's `Streams` interface: `listen(address, onConnection)` and
 * `connect(address)` give `ByteStream`s, so code written for TCP streams runs over uTP.
 * Outgoing connections leave from the listening socket's port when there is one (peers and
 * NATs then see one address for both directions), else from one socket bound on demand.
 */
import type { Address, ByteStream, Runtime, StreamListener, Streams } from '../../runtime/types.js';
import { UtpSocket, type UtpSocketOptions } from './socket.js';

export class UtpStreams implements Streams {
  private sockets: UtpSocket[] = [];
  private readonly outgoing = new Map<boolean, Promise<UtpSocket>>();

  constructor(
    private readonly runtime: Pick<Runtime, 'clock' | 'random' | 'udp'>,
    private readonly options: Partial<UtpSocketOptions> = {},
  ) {}

  /** Runs on an already bound socket (for one shared with the DHT); it also serves connects. */
  attach(socket: UtpSocket): void {
    this.sockets.push(socket);
  }

  async listen(address: Address, onConnection: (stream: ByteStream) => void): Promise<StreamListener> {
    const socket = await UtpSocket.bind(this.runtime, address, this.options);
    socket.listen(onConnection);
    this.sockets.push(socket);
    return {
      address: socket.address,
      close: () => {
        socket.close();
        this.sockets = this.sockets.filter((s) => s !== socket);
      },
    };
  }

  async connect(address: Address, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<ByteStream> {
    const v6 = address.host.includes(':');
    const own = this.sockets.find((s) => s.address.host.includes(':') === v6);
    const socket = own ?? (await this.outgoingSocket(v6));
    return socket.connect(address, options);
  }

  /** The uTP socket bound on exactly this address, if any (to share its port with the DHT). */
  socketOn(address: Address): UtpSocket | undefined {
    return this.sockets.find((s) => s.address.host === address.host && s.address.port === address.port);
  }

  /** Closes every socket this object bound. */
  close(): void {
    for (const s of this.sockets) s.close();
    this.sockets = [];
    for (const p of this.outgoing.values()) void p.then((s) => s.close(), () => {});
    this.outgoing.clear();
  }

  /** One socket per address family for dialling when nothing listens (bound on first use). */
  private outgoingSocket(v6: boolean): Promise<UtpSocket> {
    let p = this.outgoing.get(v6);
    if (!p) {
      p = UtpSocket.bind(this.runtime, { host: v6 ? '::' : '0.0.0.0', port: 0 }, this.options);
      this.outgoing.set(v6, p);
    }
    return p;
  }
}
