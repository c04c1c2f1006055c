/**
 * The uTP multiplexer (BEP 29): many connections over one runtime UDP endpoint, keyed by
 * (remote address, receive connection id). Datagrams that are not uTP (the DHT's start with
 * 'd', hole punching and others) go to a hook, so uTP, the DHT and hole punching can share one
 * socket per address as libtorrent does. Connections and half-open (SYN) states are bounded.
 */
import { NetworkError, formatAddress, type Address, type DatagramHandler, type Runtime, type TimerHandle, type UdpEndpoint } from '../../runtime/types.js';
import { UtpConnection } from './connection.js';
import { UTP_DEFAULTS, type UtpConnectionOptions } from './options.js';
import { decodePacket, encodePacket, looksLikeUtp, PACKET_LIMITS, ST_RESET, ST_SYN, UtpPacketError, type PacketLimits, type UtpPacket } from './packet.js';
import { ResetLimiter } from './reset-limiter.js';
import { UtpStream, type UtpStreamHost } from './stream.js';

export interface UtpSocketOptions {
  /** Options of every connection. */
  connection: Partial<UtpConnectionOptions>;
  /** Packet decoding limits. */
  packet: PacketLimits;
  /** Most live uTP connections on this socket; further SYNs get a RESET, further connects fail. */
  maxConnections: number;
  /** Most connections still opening (our SYN unanswered, or theirs with no data yet). */
  maxHalfOpen: number;
  /**
   * An accepted connection that has carried no DATA after this long is forgotten, ms (a SYN
   * flood's connections would otherwise hold `maxHalfOpen` for the 120 s idle timeout). No
   * RESET goes to the SYN's (possibly spoofed) source.
   */
  halfOpenTimeoutMs: number;
  /**
   * RESETs we send to packets of connections we do not know and to refused SYNs, per second
   * (a token bucket of this many), and one per (address, connection id) per second: each
   * answers a datagram whose source may be spoofed, so a flood must not become a reflected one.
   */
  maxResetsPerSecond: number;
  /**
   * Received packets are acked once per burst (what one event-loop turn reads, as libtorrent
   * acks once its socket reads would block); a connection is polled (and acks) at once after
   * this many packets of one burst (128: the Node endpoint's longest burst, 4 libuv batches).
   */
  ackEveryPackets: number;
  /** How long a connection closed by the FIN exchange keeps its ids to re-ack a re-sent FIN, ms (none while live and lingering ones reach twice maxConnections). */
  finLingerMs: number;
  /** Kernel send/receive buffer asked for when this socket binds its own endpoint (bursts of a large window otherwise overflow the default ~200 KiB). */
  socketBufferBytes: number;
}

export const UTP_SOCKET_DEFAULTS: UtpSocketOptions = {
  connection: {},
  packet: PACKET_LIMITS,
  maxConnections: 500,
  maxHalfOpen: 64,
  halfOpenTimeoutMs: 10_000,
  maxResetsPerSecond: 20,
  ackEveryPackets: 128,
  socketBufferBytes: 4 * 1024 * 1024,
  finLingerMs: 10_000,
};

export interface UtpSocketStats {
  malformed: number;
  resetsSent: number;
  /** RESETs not sent: over `maxResetsPerSecond`, or the same (address, id) within a second. */
  resetsSuppressed: number;
  refusedSyns: number;
  /** SYNs whose ids collide with a connection that is past its opening (libutp ignores them too). */
  ignoredSyns: number;
  /** Accepted connections forgotten after `halfOpenTimeoutMs` without DATA. */
  halfOpenExpired: number;
}

interface Entry {
  stream: UtpStream;
  timer: TimerHandle | undefined;
  timerAt: number;
  received: number;
  key: string;
  /** Closed by FIN and kept `finLingerMs` to re-ack the peer's FIN. */
  lingering: boolean;
  /** While the listener decides on an accepted connection: nothing is sent yet. */
  muted: boolean;
  /** An accepted connection's `halfOpenTimeoutMs` timer, until its first DATA. */
  halfOpenTimer: TimerHandle | undefined;
}

const key = (a: Address, id: number): string => `${a.host}|${a.port}|${id}`;

export class UtpSocket implements UtpStreamHost {
  readonly options: UtpSocketOptions;
  readonly stats: UtpSocketStats = { malformed: 0, resetsSent: 0, resetsSuppressed: 0, refusedSyns: 0, ignoredSyns: 0, halfOpenExpired: 0 };
  private readonly entries = new Map<string, Entry>();
  private readonly byStream = new Map<UtpStream, Entry>();
  private readonly dirty = new Set<Entry>();
  private flushTimer: TimerHandle | undefined;
  private flushPending = false;
  private lastEntry: Entry | undefined;
  private readonly flushNow = (): void => this.flush();
  private onConnection: ((stream: UtpStream) => void) | undefined;
  private otherHandler: DatagramHandler | undefined;
  private closed = false;
  private readonly resets: ResetLimiter;

  constructor(
    private readonly runtime: Pick<Runtime, 'clock' | 'random'>,
    readonly endpoint: UdpEndpoint,
    options: Partial<UtpSocketOptions> = {},
  ) {
    this.options = { ...UTP_SOCKET_DEFAULTS, ...options };
    this.resets = new ResetLimiter(this.options.maxResetsPerSecond, runtime.clock.now());
    endpoint.onMessage((data, from) => this.onDatagram(data, from));
  }

  /** Binds a UDP endpoint and runs a uTP socket on it. */
  static async bind(runtime: Pick<Runtime, 'clock' | 'random' | 'udp'>, address: Address, options: Partial<UtpSocketOptions> = {}): Promise<UtpSocket> {
    const bufferBytes = options.socketBufferBytes ?? UTP_SOCKET_DEFAULTS.socketBufferBytes;
    return new UtpSocket(runtime, await runtime.udp.bind(address, { bufferBytes }), options);
  }

  get address(): Address {
    return this.endpoint.address;
  }

  get connectionCount(): number {
    return this.byStream.size;
  }

  get halfOpenCount(): number {
    let n = 0;
    for (const s of this.byStream.keys()) if (s.halfOpen) n++;
    return n;
  }

  /** Accepts incoming connections (one handler; a later call replaces it; undefined stops accepting). */
  listen(onConnection: ((stream: UtpStream) => void) | undefined): void {
    this.onConnection = onConnection;
  }

  /**
   * A `UdpEndpoint` view of this socket for the DHT or hole punching: it sends from the same
   * port and receives the datagrams that are not uTP.
   */
  sharedEndpoint(): UdpEndpoint {
    return {
      address: this.endpoint.address,
      send: (data, to) => this.endpoint.send(data, to),
      onMessage: (handler) => {
        this.otherHandler = handler;
      },
      close: () => {
        this.otherHandler = undefined;
      },
    };
  }

  /**
   * Opens a connection; resolves once the peer acked our SYN. `signal` abandons the attempt
   * (the half-open slot is freed at once; rejects with `ECANCELED`).
   */
  connect(remote: Address, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<UtpStream> {
    if (options.signal?.aborted) return Promise.reject(new NetworkError('ECANCELED', `uTP connect to ${formatAddress(remote)} cancelled`));
    if (this.closed) return Promise.reject(new NetworkError('ENETDOWN', 'uTP socket is closed'));
    if (this.byStream.size >= this.options.maxConnections) {
      return Promise.reject(new NetworkError('EMFILE', `too many uTP connections (maxConnections ${this.options.maxConnections})`));
    }
    if (this.halfOpenCount >= this.options.maxHalfOpen) {
      return Promise.reject(new NetworkError('EAGAIN', `too many half-open uTP connections (maxHalfOpen ${this.options.maxHalfOpen})`));
    }
    let id = this.runtime.random.int(0x10000);
    for (let i = 0; i < 16 && this.entries.has(key(remote, id)); i++) id = this.runtime.random.int(0x10000);
    if (this.entries.has(key(remote, id))) return Promise.reject(new NetworkError('EADDRINUSE', `no free uTP connection id to ${formatAddress(remote)}`));
    const conn = UtpConnection.connect(id, this.nowUs(), this.connectionOptions(remote));
    const stream = new UtpStream(this, conn, this.endpoint.address, remote, false);
    return new Promise<UtpStream>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      const onAbort = (): void => give(new NetworkError('ECANCELED', `uTP connect to ${formatAddress(remote)} cancelled`));
      const give = (error: Error): void => {
        const cb = stream.onConnected;
        stream.onConnected = undefined;
        stream.destroy();
        cb?.(error);
      };
      stream.onConnected = (error) => {
        timer?.cancel();
        options.signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else {
          stream.halfOpen = false;
          resolve(stream);
        }
      };
      if (options.timeoutMs !== undefined) {
        timer = this.runtime.clock.setTimer(options.timeoutMs, () => give(new NetworkError('ETIMEDOUT', `uTP connect to ${formatAddress(remote)} timed out`)));
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      this.register(stream, key(remote, id));
      this.pollNow(stream);
    });
  }

  /** Closes every connection (with a RESET) and the endpoint. */
  close(): void {
    if (this.closed) return;
    for (const s of [...this.byStream.keys()]) s.destroy();
    this.closed = true;
    for (const e of [...this.entries.values()]) if (e.lingering) this.forget(e);
    this.flushTimer?.cancel();
    this.endpoint.close();
  }

  schedule(stream: UtpStream): void {
    const e = this.byStream.get(stream);
    if (!e) return;
    if (!this.dirty.has(e) && !e.muted && stream.conn.state === 'connected' && stream.conn.curWindow === 0) {
      // Nothing in flight: this write goes out now, in a packet of its own, as TCP_NODELAY
      // sends a write (writes later in this turn follow in the next packets). Transmission
      // 3.00 (libutp) never reads bytes that came in the packet that completed its handshake
      // until more data arrives: a handshake joined with our bitfield and extension handshake
      // left it idle until our 60 s keep-alive (docs/libtorrent-compat.md, "uTP implementations").
      this.pollEntry(e);
      return;
    }
    this.dirty.add(e);
    this.scheduleFlush();
  }

  /** Polls the dirty connections soon: after this burst of datagrams where the endpoint can tell, else on a 0 ms timer. */
  private scheduleFlush(): void {
    if (this.flushPending) return;
    this.flushPending = true;
    if (this.endpoint.afterReads) this.endpoint.afterReads(this.flushNow);
    else this.flushTimer = this.runtime.clock.setTimer(0, this.flushNow);
  }

  pollNow(stream: UtpStream): void {
    const e = this.byStream.get(stream);
    if (e) this.pollEntry(e);
  }

  /** Connection options for a peer: over IPv6 the MTU probe's ceiling is 20 bytes lower (a 40-byte IP header). */
  private connectionOptions(remote: Address): Partial<UtpConnectionOptions> {
    const o = this.options.connection;
    if (!remote.host.includes(':')) return o;
    return { ...o, maxPacketSize: (o.maxPacketSize ?? UTP_DEFAULTS.maxPacketSize) - 20 };
  }

  private nowUs(): number {
    return this.runtime.clock.now() * 1000;
  }

  private register(stream: UtpStream, k: string): Entry {
    const e: Entry = { stream, timer: undefined, timerAt: Infinity, received: 0, key: k, lingering: false, muted: false, halfOpenTimer: undefined };
    this.entries.set(k, e);
    this.byStream.set(stream, e);
    return e;
  }

  private flush(): void {
    this.flushTimer = undefined;
    this.flushPending = false;
    if (this.closed) return;
    const entries = [...this.dirty];
    this.dirty.clear();
    for (const e of entries) this.pollEntry(e);
  }

  /** Polls one connection; `atLeastUs` lets a timer poll at its deadline even if float rounding put the clock a hair before it. */
  private pollEntry(e: Entry, atLeastUs = 0): void {
    this.dirty.delete(e);
    e.received = 0;
    const now = Math.max(this.nowUs(), atLeastUs);
    const out = e.stream.conn.poll(now);
    if (!e.muted) for (const p of out.packets) this.endpoint.send(p, e.stream.remote);
    if (out.nextDeadline === undefined) {
      if (e.lingering) {
        // A lingering entry re-acked a FIN: its removal timer is already set.
      } else if (e.stream.conn.closeReason === 'fin' && this.options.finLingerMs > 0 && !this.closed && this.entries.size < 2 * this.options.maxConnections) {
        // Keep the ids for a while to re-ack a re-sent FIN (a lost last ACK would otherwise
        // get a RESET and the peer would report an error); it no longer counts as a connection.
        e.lingering = true;
        e.timer?.cancel();
        e.halfOpenTimer?.cancel();
        e.halfOpenTimer = undefined;
        this.byStream.delete(e.stream);
        e.timer = this.runtime.clock.setTimer(this.options.finLingerMs, () => this.forget(e));
      } else this.forget(e);
    } else if (out.nextDeadline < e.timerAt) {
      e.timer?.cancel();
      e.timerAt = out.nextDeadline;
      e.timer = this.runtime.clock.setTimer(Math.max(0, (out.nextDeadline - now) / 1000), () => {
        const at = e.timerAt;
        e.timer = undefined;
        e.timerAt = Infinity;
        this.pollEntry(e, at);
      });
    }
    if (out.events.length > 0) e.stream.handle(out.events);
    if (e.halfOpenTimer !== undefined && !e.stream.halfOpen) {
      e.halfOpenTimer.cancel();
      e.halfOpenTimer = undefined;
    }
  }

  private forget(e: Entry): void {
    e.timer?.cancel();
    e.timer = undefined;
    e.halfOpenTimer?.cancel();
    e.halfOpenTimer = undefined;
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
    this.byStream.delete(e.stream);
    if (this.lastEntry === e) this.lastEntry = undefined;
  }

  private onDatagram(data: Uint8Array, from: Address): void {
    if (this.closed) return;
    if (!looksLikeUtp(data)) {
      this.otherHandler?.(data, from);
      return;
    }
    let p: UtpPacket;
    try {
      p = decodePacket(data, this.options.packet);
    } catch (err) {
      if (!(err instanceof UtpPacketError)) throw err;
      this.stats.malformed++;
      return;
    }
    if (p.type === ST_SYN) {
      const existing = this.entries.get(key(from, (p.connectionId + 1) & 0xffff));
      if (existing?.lingering) this.forget(existing); // a new connection reusing a closed one's ids
      else if (existing) {
        // Only an accepted connection still waiting for its first DATA can be owed a re-sent
        // STATE (ours was lost); any other colliding SYN is stale or forged: ignore it, as
        // libutp does, rather than answer or disturb the live connection.
        if (existing.stream.incoming && existing.stream.halfOpen) this.deliver(existing, p);
        else this.stats.ignoredSyns++;
        return;
      }
      this.accept(p, from);
      return;
    }
    const e = this.lookup(from, p.connectionId) ?? (p.type === ST_RESET ? this.resetTarget(p, from) : undefined);
    if (e) this.deliver(e, p);
    else if (p.type !== ST_RESET) this.sendReset(p, from);
  }

  /** The connection for (from, id); the last one found is checked first (a burst is mostly one connection's). */
  private lookup(from: Address, id: number): Entry | undefined {
    const last = this.lastEntry;
    if (last !== undefined && last.stream.conn.recvId === id && last.stream.remote.port === from.port && last.stream.remote.host === from.host) return last;
    const e = this.entries.get(key(from, id));
    if (e !== undefined) this.lastEntry = e;
    return e;
  }

  /**
   * A RESET for an unknown connection may carry the id the peer received on (ours + 1 or - 1)
   * rather than ours, as implementations differ; match it to the connection with that peer.
   */
  private resetTarget(p: UtpPacket, from: Address): Entry | undefined {
    for (const id of [(p.connectionId + 1) & 0xffff, (p.connectionId - 1) & 0xffff]) {
      const e = this.entries.get(key(from, id));
      if (e && e.stream.conn.sendId === p.connectionId) return e;
    }
    return undefined;
  }

  private deliver(e: Entry, p: UtpPacket): void {
    e.stream.conn.receive(p, this.nowUs());
    if (++e.received >= this.options.ackEveryPackets || e.stream.conn.state === 'closed') this.pollEntry(e);
    else {
      this.dirty.add(e);
      this.scheduleFlush();
    }
  }

  private accept(syn: UtpPacket, from: Address): void {
    const o = this.options;
    if (!this.onConnection || this.byStream.size >= o.maxConnections || this.halfOpenCount >= o.maxHalfOpen) {
      this.stats.refusedSyns++;
      this.sendReset(syn, from);
      return;
    }
    const conn = UtpConnection.accept(syn, this.runtime.random.int(0x10000), this.nowUs(), this.connectionOptions(from));
    const stream = new UtpStream(this, conn, this.endpoint.address, from, true);
    const e = this.register(stream, key(from, conn.recvId));
    // The listener (the session's gate: banned, too many pending handshakes) decides before
    // anything is sent: a refusal costs one rate-limited RESET, not a STATE and a RESET.
    e.muted = true;
    this.onConnection(stream);
    e.muted = false;
    if (stream.closed) {
      this.forget(e);
      this.stats.refusedSyns++;
      this.sendReset(syn, from);
      return;
    }
    this.pollEntry(e);
    if (stream.halfOpen && this.entries.get(e.key) === e) {
      e.halfOpenTimer = this.runtime.clock.setTimer(o.halfOpenTimeoutMs, () => {
        e.halfOpenTimer = undefined;
        if (!stream.halfOpen || stream.closed || this.entries.get(e.key) !== e) return;
        // No DATA since the SYN: forget it without a RESET (its source may be spoofed).
        this.stats.halfOpenExpired++;
        this.forget(e);
        stream.handle([{ type: 'closed', reason: 'timeout' }]);
      });
    }
  }

  /** ST_RESET for a packet of a connection we do not know (BEP 29: "no state for this connection"). */
  private sendReset(p: UtpPacket, to: Address): void {
    if (!this.resets.allow(key(to, p.connectionId), this.runtime.clock.now())) {
      this.stats.resetsSuppressed++;
      return;
    }
    this.stats.resetsSent++;
    const reset = encodePacket({
      type: ST_RESET,
      connectionId: p.connectionId,
      timestamp: Math.floor(this.nowUs()) >>> 0,
      timestampDiff: 0,
      windowSize: 0,
      seqNr: this.runtime.random.int(0x10000),
      ackNr: p.seqNr,
      payload: new Uint8Array(0),
    });
    this.endpoint.send(reset, to);
  }
}

export { UTP_DEFAULTS };
