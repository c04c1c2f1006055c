/**
 * The runtime seam. Protocol cores receive a `Runtime` instead of reaching for Node's
 * globals, so the same code runs over real sockets (`runtime/node`) and over the
 * discrete-event simulator (`sim/`), where virtual time and a seeded random source make
 * a run replay exactly.
 */
import { ShoalError } from '../errors.js';

/** A transport address. `host` is an IPv4 / IPv6 literal (the simulator uses IPv4 literals). */
export interface Address {
  readonly host: string;
  readonly port: number;
}

export interface TimerHandle {
  /** Cancels the timer; calling it after the timer fired or twice is harmless. */
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (may be fractional). Only differences are meaningful. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds (virtual ones in the simulator). */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

/** A seedable pseudo-random source: with the same seed it yields the same sequence. */
export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}

export type DatagramHandler = (data: Uint8Array, from: Address) => void;

export interface UdpEndpoint {
  /** The bound address (with the real port when 0 was asked for). */
  readonly address: Address;
  /**
   * Sends one datagram. Fire-and-forget, like UDP: loss is silent.
   * The caller must not mutate `data` afterwards.
   */
  send(data: Uint8Array, to: Address): void;
  /** Sets the handler for incoming datagrams (one handler; a later call replaces it). */
  onMessage(handler: DatagramHandler): void;
  close(): void;
}

export interface UdpBindOptions {
  /** An IPv6 socket takes IPv6 only (no IPv4-mapped traffic), so an IPv4 socket may hold the same port. */
  ipv6Only?: boolean;
  /**
   * Ask for kernel send and receive buffers of this many bytes (the OS may cap it), for
   * bursty traffic such as uTP. A runtime without such buffers ignores it.
   */
  bufferBytes?: number;
}

export interface Udp {
  /** Binds a datagram endpoint. Port 0 picks a free port. */
  bind(address: Address, options?: UdpBindOptions): Promise<UdpEndpoint>;
}

/** An ordered, reliable byte duplex (TCP today; uTP later). */
export interface ByteStream {
  readonly local: Address;
  readonly remote: Address;
  /**
   * Queues bytes for sending. Returns false once more than the runtime's high-water mark is
   * queued: the caller should then wait for `onDrain` before writing more.
   */
  write(data: Uint8Array): boolean;
  /** Queues several chunks as one gathered write (fewer syscalls than one write each). */
  writev(chunks: readonly Uint8Array[]): boolean;
  /** Half-closes: no more writes; the peer sees end-of-stream after the queued bytes. */
  end(): void;
  /** Closes at once in both directions; queued bytes may be dropped. */
  destroy(error?: Error): void;
  onData(handler: (data: Uint8Array) => void): void;
  /**
   * True when the runtime reuses one read buffer: the bytes given to `onData` are valid only
   * during that call (asked for with `connect(..., { reuseReadBuffer: true })`).
   */
  readonly volatileData?: boolean;
  /** The peer ended its side. */
  onEnd(handler: () => void): void;
  /** Called once when the stream is fully closed; `error` when it closed because of one. */
  onClose(handler: (error?: Error) => void): void;
  /**
   * Called after a `write`/`writev` returned false, once the queue has emptied (backpressure:
   * a sender that waits for it holds at most one high-water mark of its own bytes).
   */
  onDrain(handler: () => void): void;
  /** Bytes accepted by `write` and not yet handed to the network (the kernel, or the simulated link). */
  readonly bufferedBytes: number;
}

export interface StreamListener {
  readonly address: Address;
  close(): void;
}

export interface Streams {
  listen(address: Address, onConnection: (stream: ByteStream) => void): Promise<StreamListener>;
  /**
   * Resolves once connected; rejects when refused, unreachable or timed out.
   *
   * `reuseReadBuffer`: the caller copies what it keeps of each chunk before `onData` returns,
   * so the runtime may read into one buffer again and again (no allocation per read). A
   * runtime may ignore it; the stream's `volatileData` says whether it did.
   *
   * `localHost`: the local IP to connect from (a client told to listen on one address
   * connects from it too, so peers and trackers see an address that answers). Rejects with
   * `EADDRNOTAVAIL` when it is not an address of this host.
   */
  connect(address: Address, options?: ConnectOptions): Promise<ByteStream>;
}

export interface ConnectOptions {
  readonly timeoutMs?: number;
  readonly reuseReadBuffer?: boolean;
  readonly localHost?: string;
}

/** One HTTP(S) GET (BEP 19 web seeds). Redirects are not followed: the caller decides. */
export interface HttpGetOptions {
  /** Extra request headers (e.g. `Range`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Rejects with `NetworkError('ETIMEDOUT')` when the whole exchange takes longer. */
  readonly timeoutMs: number;
  /**
   * The largest body taken: a longer one (by `Content-Length`, or as it arrives) is refused
   * with `NetworkError('EMSGSIZE')` without reading the rest.
   */
  readonly maxBodyBytes: number;
  /** Aborts the request (rejects with `NetworkError('EABORTED')`). */
  readonly signal?: AbortSignal;
}

export interface HttpResponse {
  readonly status: number;
  /** Header names in lower case; repeated headers joined with ', '. */
  readonly headers: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
}

/** The seam's HTTP client (web seeds). A runtime without one has no web seeds. */
export interface HttpClient {
  get(url: string, options: HttpGetOptions): Promise<HttpResponse>;
}

/** A datagram endpoint joined to a multicast group (BEP 14 local peer discovery). */
export interface MulticastEndpoint {
  /** Sends one datagram to the group. Fire-and-forget. */
  send(data: Uint8Array): void;
  onMessage(handler: DatagramHandler): void;
  close(): void;
}

export interface MulticastJoinOptions {
  /** The local address to send from and receive on (the listen interface); default: the system's choice. */
  readonly interfaceHost?: string;
  /** Hops a datagram may take (default 1: the local link). */
  readonly ttl?: number;
}

export interface Multicast {
  /** Binds `group.port` (shared with other processes) and joins `group.host`; rejects where multicast is unavailable. */
  join(group: Address, options?: MulticastJoinOptions): Promise<MulticastEndpoint>;
}

export interface Runtime {
  readonly clock: Clock;
  readonly random: Random;
  readonly udp: Udp;
  readonly stream: Streams;
  /** HTTP(S) GETs (web seeds); absent in runtimes without it (the simulator). */
  readonly http?: HttpClient;
  /** Multicast groups (local peer discovery); absent in runtimes without it. */
  readonly multicast?: Multicast;
}

export function formatAddress(a: Address): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

/**
 * A network failure, raised the same way by both runtimes. `code` is the POSIX-style name
 * (`ECONNREFUSED`, `ETIMEDOUT`, `ECONNRESET`, `EADDRINUSE`, `EADDRNOTAVAIL`, `ENETDOWN`, ...)
 * so callers can branch on it without knowing which runtime they run on.
 */
export class NetworkError extends ShoalError {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
