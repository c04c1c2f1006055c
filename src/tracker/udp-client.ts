/**
 * BEP 15 UDP tracker client over the runtime's UDP seam: one socket for many trackers,
 * connection ids reused for a minute, retransmission after 15 × 2^n seconds (n = 0…8 by
 * default; tests and tier fallback may lower the cap).
 */
import { ipFamily } from '../util/compact-address.js';
import type { Address, Clock, Random, TimerHandle, UdpEndpoint } from '../runtime/types.js';
import { TrackerFailure, TrackerProtocolError, TrackerUnreachable } from './errors.js';
import type { AnnounceRequest, AnnounceResponse, ScrapeResponse, ScrapeStats } from './types.js';
import { decodeReply, encodeAnnounce, encodeConnect, encodeScrape, MAX_SCRAPE_HASHES, type UdpReply } from './udp-codec.js';

export interface UdpClientOptions {
  readonly endpoint: UdpEndpoint;
  readonly clock: Clock;
  readonly random: Random;
  /** First retransmit timeout (default 15 000 ms, BEP 15). */
  readonly baseTimeoutMs?: number;
  /** Highest n in 15 × 2^n (default 8, BEP 15). */
  readonly maxRetries?: number;
  /** Host name resolution (the runtime's `dns`); without it only IP literals are reached. */
  readonly resolve?: (host: string) => Promise<string>;
}

interface Pending {
  readonly resolve: (r: UdpReply) => void;
  /** Gives up: cancels the retransmit timer and rejects. */
  readonly abort: (e: Error) => void;
  readonly family6: boolean;
}

const CONNECTION_ID_TTL_MS = 60_000;
/**
 * A `stopped` announce goes out as a client shuts down, which cannot wait out BEP 15's 15 s:
 * it is resent after 1 s, then 2 s, ... (its caller bounds the whole: 3 s in the session), so
 * one datagram lost (behind a busy uplink's queue, as a leaving peer's often is) does not
 * leave us listed at the tracker for other peers to dial in vain (libtorrent gives a stopped
 * announce 5 s in all).
 */
const STOPPED_RETRANSMIT_MS = 1_000;

/** Parses `udp://host:port[/path]`. */
export function parseUdpUrl(url: string): Address {
  const m = /^udp:\/\/(\[[^\]]+\]|[^:/]+):(\d+)/i.exec(url);
  if (!m) throw new TrackerProtocolError(`not a udp tracker URL: ${url}`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new TrackerProtocolError(`bad port in ${url}`);
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}

export class UdpTrackerClient {
  private readonly o: UdpClientOptions;
  private readonly pending = new Map<number, Pending>();
  private readonly connections = new Map<string, { id: bigint; at: number }>();
  private closed = false;

  constructor(o: UdpClientOptions) {
    this.o = o;
    o.endpoint.onMessage((data, from) => this.onMessage(data, from));
  }

  /** Closes the socket; requests still waiting fail at once and leave no timer behind. */
  close(): void {
    this.closed = true;
    this.o.endpoint.close();
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.abort(new TrackerUnreachable('udp tracker client closed'));
  }

  private onMessage(data: Uint8Array, _from: Address): void {
    if (data.length < 8) return;
    const tid = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(4);
    const p = this.pending.get(tid);
    if (!p) return;
    let reply: UdpReply;
    try {
      reply = decodeReply(data, p.family6);
    } catch {
      return; // malformed: treat as loss
    }
    this.pending.delete(tid);
    p.resolve(reply);
  }

  private async address(url: string): Promise<Address> {
    const a = parseUdpUrl(url);
    if (ipFamily(a.host) !== 0) return a;
    const resolve = this.o.resolve ?? (async (h: string): Promise<string> => {
      throw new Error(`no resolver for ${h}`);
    });
    try {
      return { host: await resolve(a.host), port: a.port };
    } catch (e) {
      throw new TrackerUnreachable(`${url}: cannot resolve ${a.host}`, { cause: e });
    }
  }

  /** Sends `build(tid)` with retransmission until a reply arrives or retries run out. */
  private request(to: Address, build: (tid: number) => Uint8Array, maxN: number, baseMs?: number): Promise<UdpReply> {
    let tid = this.o.random.int(0x1_0000_0000);
    while (this.pending.has(tid)) tid = (tid + 1) >>> 0;
    const packet = build(tid);
    const base = Math.min(baseMs ?? Infinity, this.o.baseTimeoutMs ?? 15_000);
    if (this.closed) return Promise.reject(new TrackerUnreachable('udp tracker client closed'));
    return new Promise<UdpReply>((resolve, reject) => {
      let timer: TimerHandle | undefined;
      let n = 0;
      const send = (): void => {
        this.o.endpoint.send(packet, to);
        timer = this.o.clock.setTimer(base * 2 ** n, () => {
          if (n >= maxN) {
            this.pending.delete(tid);
            reject(new TrackerUnreachable(`udp tracker ${to.host}:${to.port}: no reply`));
            return;
          }
          n++;
          send();
        });
      };
      this.pending.set(tid, {
        family6: to.host.includes(':'),
        resolve: (r) => {
          timer?.cancel();
          resolve(r);
        },
        abort: (e) => {
          timer?.cancel();
          reject(e);
        },
      });
      send();
    });
  }

  private async connect(to: Address, key: string, baseMs?: number): Promise<bigint> {
    const cached = this.connections.get(key);
    if (cached && this.o.clock.now() - cached.at < CONNECTION_ID_TTL_MS) return cached.id;
    const r = await this.request(to, (tid) => encodeConnect(tid), this.o.maxRetries ?? 8, baseMs);
    if (r.action === 'error') throw new TrackerFailure(`udp tracker: ${r.message}`);
    if (r.action !== 'connect') throw new TrackerProtocolError('udp tracker: expected a connect reply');
    this.connections.set(key, { id: r.connectionId, at: this.o.clock.now() });
    return r.connectionId;
  }

  /** `baseMs`: a first retransmit timeout shorter than the client's (a `stopped` announce). */
  private async exchange(url: string, build: (cid: bigint, tid: number) => Uint8Array, baseMs?: number): Promise<UdpReply> {
    const to = await this.address(url);
    const key = `${to.host}:${to.port}`;
    // One retry with a fresh connection id if the tracker rejects a reused one.
    for (let attempt = 0; ; attempt++) {
      const cid = await this.connect(to, key, baseMs);
      const r = await this.request(to, (tid) => build(cid, tid), this.o.maxRetries ?? 8, baseMs);
      if (r.action === 'error' && attempt === 0 && /connection/i.test(r.message)) {
        this.connections.delete(key);
        continue;
      }
      if (r.action === 'error') throw new TrackerFailure(`udp tracker: ${r.message}`);
      return r;
    }
  }

  async announce(url: string, r: AnnounceRequest): Promise<AnnounceResponse> {
    const reply = await this.exchange(url, (cid, tid) => encodeAnnounce(cid, tid, r), r.event === 'stopped' ? STOPPED_RETRANSMIT_MS : undefined);
    if (reply.action !== 'announce') throw new TrackerProtocolError('udp tracker: expected an announce reply');
    return reply.response;
  }

  async scrape(url: string, infoHashes: readonly Uint8Array[]): Promise<ScrapeResponse> {
    const hashes = infoHashes.slice(0, MAX_SCRAPE_HASHES);
    const reply = await this.exchange(url, (cid, tid) => encodeScrape(cid, tid, hashes));
    if (reply.action !== 'scrape') throw new TrackerProtocolError('udp tracker: expected a scrape reply');
    const out = new Map<string, ScrapeStats>();
    hashes.forEach((h, i) => {
      const s = reply.stats[i];
      if (s) out.set(Buffer.from(h).toString('hex'), s);
    });
    return out;
  }
}
