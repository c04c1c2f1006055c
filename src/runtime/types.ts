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
  /**
   * Optional: calls `fn` once, soon, after the datagrams already waiting have been delivered
   * (Node: after the read that finds the socket drained, up to a few libuv read batches; the
   * simulator: a 0 ms timer). uTP sends one ACK per
   * such burst, as libtorrent does once its socket reads would block. Without it, callers fall
   * back to a 0 ms timer.
   */
  afterReads?(fn: () => void): void;
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
  /**
   * Optional: calls `fn` once, as soon as some of the bytes queued now have been handed to the
   * network (the simulator: when the segment on the link has left it). False, and `fn` is
   * never called, when nothing is queued. A sender that keeps only a little queued (the
   * swarm's send buffer watermark) tops it up from here: `onDrain` comes only after a refused
   * write. A later call replaces an earlier `fn` still waiting.
   */
  whenSent?(fn: () => void): boolean;
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

/** Name resolution (tracker host names, DHT bootstrap routers). */
export interface Dns {
  /**
   * The addresses of `name` in `family` (4 or 6), as IP literals; an IP literal resolves to
   * itself. Rejects with a `NetworkError` (`ENOTFOUND`, `ETIMEDOUT`) when it does not resolve.
   */
  resolve(name: string, family: 4 | 6): Promise<string[]>;
}

/** One HTTP request (a tracker announce or scrape, a web seed's range, a UPnP IGD SOAP call). */
export interface HttpRequest {
  /** `http://` or `https://`; the host may be a name (resolved by the runtime). */
  readonly url: string;
  /** Default GET. A POST sends `body` with its Content-Length (UPnP IGD's SOAP actions). */
  readonly method?: 'GET' | 'POST';
  readonly body?: Uint8Array;
  readonly headers?: Readonly<Record<string, string>>;
  /** The local IP to connect from (the listen address, so a tracker records one that answers). */
  readonly localHost?: string;
  /** The body is refused past this many bytes (`HttpBodyTooLarge`). */
  readonly maxBodyBytes: number;
  /** Aborts the request; it then rejects with `NetworkError('ECANCELED')`. */
  readonly signal?: AbortSignal;
  /**
   * Redirects followed at most (default 5); past them the 3xx answer itself is returned
   * (BEP 19 web seeds allow 3).
   */
  readonly maxRedirects?: number;
}

export interface HttpResponse {
  readonly status: number;
  /** Header names in lower case; repeated headers joined with ', ' (Content-Range, Retry-After for web seeds). */
  readonly headers?: ReadonlyMap<string, string>;
  readonly body: Uint8Array;
}

/**
 * An HTTP client: GET (or POST, with `request.method`) with redirects followed (a few at most),
 * the body read whole up to a cap.
 */
export interface HttpClient {
  /** Rejects with `NetworkError` (unreachable, reset, cancelled) or `HttpBodyTooLarge`. */
  get(request: HttpRequest): Promise<HttpResponse>;
}

/** An HTTP request as a server sees it. */
export interface HttpServerRequest {
  readonly method: string;
  /** Path and query, as sent (`/announce?info_hash=...`). */
  readonly target: string;
  /** Where it came from (the TCP peer). */
  readonly remote: Address;
  readonly headers: Readonly<Record<string, string | undefined>>;
}

export interface HttpServerResponse {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body: Uint8Array | string;
}

export interface HttpServer {
  readonly address: Address;
  close(): Promise<void>;
}

export interface HttpServeOptions {
  /** A request the runtime refused before the handler (malformed, headers too large): counted by the caller. */
  readonly onBadRequest?: () => void;
  /** Open connections at most; more are closed as they arrive (default: no cap but the system's). */
  readonly maxConnections?: number;
  /** Time for a new connection to send its request's headers, its first byte included (ms, default 10 s). */
  readonly headersTimeoutMs?: number;
}

/** Serves HTTP: every request goes to `handler`, whose answer is sent back (GET-sized requests; bodies are not read). */
export interface HttpServe {
  /** Rejects with `NetworkError` (`EADDRINUSE`, `EADDRNOTAVAIL`, ...) when it cannot listen there. */
  listen(address: Address, handler: (request: HttpServerRequest) => HttpServerResponse, options?: HttpServeOptions): Promise<HttpServer>;
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

/** Small configuration files a server reloads when they change (the tracker's allow-list). */
export interface WatchedFiles {
  /** The whole file as UTF-8 text; throws when it cannot be read. */
  readText(path: string): string;
  /** Calls `onChange` after each change of the file (polled every `intervalMs`); returns a stop function. */
  watch(path: string, intervalMs: number, onChange: () => void): () => void;
}

export interface Runtime {
  readonly clock: Clock;
  readonly random: Random;
  readonly udp: Udp;
  readonly stream: Streams;
  /** Name resolution; a runtime without it resolves IP literals only (`resolveName`). */
  readonly dns?: Dns;
  /** HTTP client (HTTP trackers, BEP 19 web seeds); a runtime without it reaches neither. */
  readonly http?: HttpClient;
  /** Multicast groups (BEP 14 local peer discovery); absent in runtimes without it. */
  readonly multicast?: Multicast;
  /** HTTP server (the tracker's HTTP front end); a runtime without it serves UDP trackers only. */
  readonly httpServer?: HttpServe;
  /** Watched configuration files (the tracker's allow-list). */
  readonly files?: WatchedFiles;
}

/**
 * Resolves `host` through the runtime: an IP literal as it is, a name through `runtime.dns`
 * (the first address of the family). Rejects with `NetworkError('ENOTFOUND')` when it does
 * not resolve or the runtime has no resolver.
 */
export async function resolveName(runtime: Pick<Runtime, 'dns'>, host: string, family: 4 | 6 = 4): Promise<string> {
  if (isIpLiteral(host)) return host;
  if (!runtime.dns) throw new NetworkError('ENOTFOUND', `${host}: this runtime resolves no names (give an IP address)`);
  const all = await runtime.dns.resolve(host, family);
  if (all.length === 0) throw new NetworkError('ENOTFOUND', `${host}: no IPv${family} address`);
  return all[0];
}

/** True for an IPv4 dotted quad or an IPv6 literal (a cheap syntactic check, no lookup). */
export function isIpLiteral(host: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || (host.includes(':') && /^[0-9a-fA-F:.]+$/.test(host));
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
  /** No stack trace: a refused or reset connection is routine, and a real socket's own error stays as `cause`. */
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, { ...options, stack: false });
    this.code = code;
  }
}

/** An HTTP body past the caller's cap (`HttpRequest.maxBodyBytes`). */
export class HttpBodyTooLarge extends ShoalError {
  constructor(readonly url: string, readonly maxBytes: number) {
    super(`${url}: reply larger than ${maxBytes} bytes`);
  }
}
