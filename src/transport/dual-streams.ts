/**
 * TCP and uTP behind one `Streams`: `connect` dials uTP first and TCP when uTP does not answer
 * (libtorrent's order), `listen` accepts on both at the same port. With `withUtp(runtime)` the
 * DHT's UDP bind on that port gets the uTP socket's shared endpoint, so uTP and the DHT share
 * one UDP socket per address (told apart by the first byte).
 *
 * libtorrent dials uTP, waits up to `utp_connect_timeout` (3 s) and then redials the peer over
 * TCP, marking it as not supporting uTP. A TCP-only peer (aria2, Transmission with uTP off)
 * would then cost 3 s per first dial; we start TCP alongside once uTP has had `tcpDelayMs`
 * (500 ms, a few round trips) without an answer, take whichever connects first and close the
 * other ("happy eyeballs", RFC 8305). An address where TCP won is dialled over TCP only from
 * then on (libtorrent's `supports_utp = false`), for `maxRemembered` addresses; not when uTP
 * was refused (a RESET, or the FIN libtorrent sends to a connection it turns away): that peer
 * speaks uTP, and a BEP 55 relay must keep seeing us over uTP at our listen port.
 */
import type { Address, ByteStream, ConnectOptions, Runtime, StreamListener, Streams, TimerHandle, Udp, UdpBindOptions, UdpEndpoint } from '../runtime/types.js';
import { NetworkError, formatAddress } from '../runtime/types.js';
import { UtpStreams } from './utp/streams.js';
import type { UtpSocketOptions } from './utp/socket.js';

export interface DualStreamsOptions {
  /** Dial uTP before TCP (default true); false: TCP only for outgoing connections. */
  utpFirst: boolean;
  /** How long a uTP dial may take at most, ms (libtorrent's `utp_connect_timeout`: 3 s). */
  utpConnectTimeoutMs: number;
  /** Start TCP alongside a uTP dial still unanswered after this long, ms (default 500). */
  tcpDelayMs: number;
  /** Addresses remembered as TCP-only, at most (default 4096; the oldest is forgotten). */
  maxRemembered: number;
}

export const DUAL_STREAMS_DEFAULTS: DualStreamsOptions = { utpFirst: true, utpConnectTimeoutMs: 3000, tcpDelayMs: 500, maxRemembered: 4096 };

export type Transport = 'tcp' | 'utp';

/**
 * Which transport a stream runs on: uTP streams say so, and wrappers (MSE) expose the stream
 * they wrap as `inner`; anything else is TCP.
 */
export function transportOf(stream: object): Transport {
  let s: { transport?: unknown; inner?: unknown } | undefined = stream;
  for (let i = 0; i < 4 && s; i++) {
    if (s.transport === 'utp') return 'utp';
    s = typeof s.inner === 'object' && s.inner !== null ? (s.inner as typeof s) : undefined;
  }
  return 'tcp';
}

export interface DualStreamsStats {
  /** Connections made over uTP / TCP. */
  utp: number;
  tcp: number;
  /** Dials where TCP was started because uTP had not answered within `tcpDelayMs`. */
  raced: number;
}

export class DualStreams implements Streams {
  readonly options: DualStreamsOptions;
  readonly stats: DualStreamsStats = { utp: 0, tcp: 0, raced: 0 };
  /** Addresses where uTP did not answer but TCP did (insertion order: oldest first). */
  private readonly tcpOnly = new Set<string>();

  constructor(
    readonly tcp: Streams,
    readonly utp: UtpStreams,
    options: Partial<DualStreamsOptions> = {},
    private readonly clock?: Runtime['clock'],
  ) {
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

  /** True when `address` answered over TCP after uTP did not (it is dialled over TCP only). */
  isTcpOnly(address: Address): boolean {
    return this.tcpOnly.has(formatAddress(address));
  }

  async connect(address: Address, options?: ConnectOptions): Promise<ByteStream> {
    if (!this.options.utpFirst || this.isTcpOnly(address)) return this.count(await this.tcp.connect(address, options));
    // Without a clock (older callers) there is no race: uTP, then TCP, one after the other.
    if (!this.clock) return this.count(await this.sequential(address, options));
    return this.count(await this.race(address, options, this.clock));
  }

  private count(stream: ByteStream): ByteStream {
    if (transportOf(stream) === 'utp') this.stats.utp++;
    else this.stats.tcp++;
    return stream;
  }

  private async sequential(address: Address, options?: ConnectOptions): Promise<ByteStream> {
    let refused: boolean;
    try {
      return await this.utp.connect(address, { timeoutMs: Math.min(options?.timeoutMs ?? Infinity, this.options.utpConnectTimeoutMs) });
    } catch (err) {
      // No uTP there (or it did not answer in time, or refused): TCP, as libtorrent falls back.
      refused = isRefusal(err);
    }
    const stream = await this.tcp.connect(address, options);
    if (!refused) this.rememberTcpOnly(address);
    return stream;
  }

  /** uTP now, TCP after `tcpDelayMs` (or at once when uTP fails sooner); the first to connect wins. */
  private race(address: Address, options: ConnectOptions | undefined, clock: Runtime['clock']): Promise<ByteStream> {
    const o = this.options;
    const abort = new AbortController();
    return new Promise<ByteStream>((resolve, reject) => {
      let settled = false;
      let tcpStarted = false;
      /** uTP answered, with a refusal: the peer speaks it (TCP winning then says nothing of its uTP). */
      let utpRefused = false;
      let pending = 1;
      let lastError: unknown;
      let timer: TimerHandle | undefined;
      const win = (stream: ByteStream): void => {
        if (settled) {
          stream.destroy(); // the other transport already won
          return;
        }
        settled = true;
        timer?.cancel();
        abort.abort(); // a uTP dial still waiting frees its half-open slot
        if (transportOf(stream) === 'tcp' && !utpRefused) this.rememberTcpOnly(address);
        resolve(stream);
      };
      const lose = (err: unknown): void => {
        lastError = err;
        if (!tcpStarted) startTcp();
        if (--pending === 0 && !settled) {
          settled = true;
          reject(lastError);
        }
      };
      const startTcp = (): void => {
        if (tcpStarted || settled) return;
        tcpStarted = true;
        timer?.cancel();
        pending++;
        this.tcp.connect(address, options).then(win, lose);
      };
      timer = clock.setTimer(o.tcpDelayMs, () => {
        timer = undefined;
        if (!settled) this.stats.raced++;
        startTcp();
      });
      const timeoutMs = Math.min(options?.timeoutMs ?? Infinity, o.utpConnectTimeoutMs);
      this.utp.connect(address, { timeoutMs, signal: abort.signal }).then(win, (err: unknown) => {
        utpRefused = isRefusal(err);
        lose(err);
      });
    }).catch((err: unknown) => {
      throw err instanceof Error ? err : new NetworkError('ECONNREFUSED', `cannot connect to ${formatAddress(address)}`);
    });
  }

  private rememberTcpOnly(address: Address): void {
    const k = formatAddress(address);
    this.tcpOnly.delete(k);
    this.tcpOnly.add(k);
    while (this.tcpOnly.size > this.options.maxRemembered) this.tcpOnly.delete(this.tcpOnly.values().next().value as string);
  }
}

/** A uTP dial the peer answered with a refusal (RESET, or a FIN acking our SYN). */
function isRefusal(err: unknown): boolean {
  return err instanceof NetworkError && err.code === 'ECONNREFUSED';
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
export function withUtp<R extends Runtime>(runtime: R, options: { dual?: Partial<DualStreamsOptions>; socket?: Partial<UtpSocketOptions> } = {}): { runtime: Runtime; utp: UtpStreams; streams: DualStreams; close(): void } {
  const utp = new UtpStreams(runtime, options.socket);
  const stream = new DualStreams(runtime.stream, utp, options.dual, runtime.clock);
  return {
    runtime: { clock: runtime.clock, random: runtime.random, dns: runtime.dns, http: runtime.http, multicast: runtime.multicast, udp: new SharedUdp(runtime.udp, utp), stream },
    utp,
    streams: stream,
    close: () => utp.close(),
  };
}
