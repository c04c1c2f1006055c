/**
 * TCP and uTP behind one `Streams`: `connect` dials uTP first and falls back to TCP when uTP
 * gets no answer (libtorrent's order), `listen` accepts on both at the same port. With
 * `withUtp(runtime)` the DHT's UDP bind on that port gets the uTP socket's shared endpoint,
 * so uTP and the DHT share one UDP socket per address (told apart by the first byte).
 */
import type { Address, ByteStream, Runtime, StreamListener, Streams, Udp, UdpBindOptions, UdpEndpoint } from '../runtime/types.js';
import { UtpStreams } from './utp/streams.js';
import type { UtpSocketOptions } from './utp/socket.js';

export interface DualStreamsOptions {
  /** Dial uTP before TCP (default true); false: TCP only for outgoing connections. */
  utpFirst: boolean;
  /** How long a uTP dial may take before falling back to TCP, ms (libtorrent: 3 s). */
  utpConnectTimeoutMs: number;
}

export const DUAL_STREAMS_DEFAULTS: DualStreamsOptions = { utpFirst: true, utpConnectTimeoutMs: 3000 };

/** Which transport a stream runs on (uTP streams say so; anything else is TCP). */
export function transportOf(stream: ByteStream): 'utp' | 'tcp' {
  return (stream as { transport?: string }).transport === 'utp' ? 'utp' : 'tcp';
}

export class DualStreams implements Streams {
  readonly options: DualStreamsOptions;
  constructor(readonly tcp: Streams, readonly utp: UtpStreams, options: Partial<DualStreamsOptions> = {}) {
    this.options = { ...DUAL_STREAMS_DEFAULTS, ...options };
  }

  /** Listens on TCP, then on uTP at the port TCP got; a uTP port already taken leaves TCP alone listening. */
  async listen(address: Address, onConnection: (stream: ByteStream) => void): Promise<StreamListener> {
    const tcp = await this.tcp.listen(address, onConnection);
    let utp: StreamListener | undefined;
    try {
      utp = await this.utp.listen({ host: address.host, port: tcp.address.port }, onConnection);
    } catch {
      // The UDP port is taken: peers can still reach us over TCP.
    }
    return {
      address: tcp.address,
      close: () => {
        tcp.close();
        utp?.close();
      },
    };
  }

  async connect(address: Address, options?: { timeoutMs?: number; reuseReadBuffer?: boolean }): Promise<ByteStream> {
    if (this.options.utpFirst) {
      const timeoutMs = Math.min(options?.timeoutMs ?? Infinity, this.options.utpConnectTimeoutMs);
      try {
        return await this.utp.connect(address, { timeoutMs });
      } catch {
        // No uTP there (or it did not answer in time): TCP, as libtorrent falls back.
      }
    }
    return this.tcp.connect(address, options);
  }
}

/** A `Udp` that hands out the uTP socket's shared endpoint when asked for its address. */
class SharedUdp implements Udp {
  constructor(private readonly inner: Udp, private readonly utp: UtpStreams) {}
  bind(address: Address, options?: UdpBindOptions): Promise<UdpEndpoint> {
    const socket = this.utp.socketOn(address);
    return socket ? Promise.resolve(socket.sharedEndpoint()) : this.inner.bind(address, options);
  }
}

/**
 * The runtime with uTP added: streams dial uTP then TCP and listen on both; a UDP bind on
 * the uTP listening address shares its socket. `close()` closes the uTP sockets.
 */
export function withUtp<R extends Runtime>(runtime: R, options: { dual?: Partial<DualStreamsOptions>; socket?: Partial<UtpSocketOptions> } = {}): { runtime: Runtime; utp: UtpStreams; close(): void } {
  const utp = new UtpStreams(runtime, options.socket);
  const stream = new DualStreams(runtime.stream, utp, options.dual);
  return {
    runtime: { clock: runtime.clock, random: runtime.random, dns: runtime.dns, http: runtime.http, multicast: runtime.multicast, udp: new SharedUdp(runtime.udp, utp), stream },
    utp,
    close: () => utp.close(),
  };
}
