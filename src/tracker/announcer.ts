/**
 * Announces one torrent to its trackers: BEP 12 tiers (each tier shuffled once, tiers tried
 * in order and URLs within a tier in order, the next URL, in its tier or the next tier,
 * joining a tracker silent for `staggerMs`, and a tracker that answers moves to the front of
 * its tier), periodic re-announce at the tracker's interval (never sooner than `min
 * interval`), `started` / `completed` / `stopped` events with the swarm's true counters.
 * Transports: `http(s)://` (BEP 3) and `udp://` (BEP 15); both return the same
 * `AnnounceResponse`. Time and randomness come from the runtime.
 */
import { resolveName, type Address, type Clock, type Dns, type HttpClient, type Random, type TimerHandle, type Udp } from '../runtime/types.js';
import { ipFamily } from '../util/compact-address.js';
import { EMPTY_REASK_FIRST_MS, reaskDelay } from '../util/backoff.js';
import { TrackerUnreachable } from './errors.js';
import { httpAnnounce, httpScrape } from './http-client.js';
import type { AnnounceEvent, AnnounceRequest, AnnounceResponse, ScrapeResponse } from './types.js';
import { parseUdpUrl, UdpTrackerClient } from './udp-client.js';

/** Typed progress events. */
export type AnnouncerEvent =
  | { readonly type: 'announced'; readonly url: string; readonly event: AnnounceEvent; readonly response: AnnounceResponse }
  | { readonly type: 'warning'; readonly url: string; readonly message: string }
  | { readonly type: 'tracker-error'; readonly url: string; readonly error: Error }
  | { readonly type: 'all-failed'; readonly event: AnnounceEvent };

export interface TransferCounters {
  readonly uploaded: number;
  readonly downloaded: number;
  readonly left: number;
}

/** Sends announces and scrapes to single tracker URLs, by scheme (and for UDP, by address family). */
export class TrackerClient {
  /** One UDP client per address family, bound on first use. */
  private readonly udpClients = new Map<4 | 6, Promise<UdpTrackerClient>>();
  /** Aborted by `close()`: HTTP requests in flight end at once. */
  private readonly closing = new AbortController();
  constructor(
    private readonly o: {
      readonly clock: Clock;
      readonly random: Random;
      readonly udp: Udp;
      /** The runtime's resolver, for UDP trackers named by host name (HTTP ones resolve inside `http`). */
      readonly dns?: Dns;
      /** The runtime's HTTP client (HTTP trackers are unreachable without one). */
      readonly http: HttpClient | undefined;
      readonly httpTimeoutMs?: number;
      /** The local IP HTTP announces leave from (the listen address; default the system's choice). */
      readonly httpLocalHost?: string;
      readonly udpBaseTimeoutMs?: number;
      readonly udpMaxRetries?: number;
      /** Where the UDP client socket of that address family binds (default 0.0.0.0:0 and [::]:0). */
      readonly udpBind?: Address;
    },
  ) {}

  private udpc(family: 4 | 6): Promise<UdpTrackerClient> {
    let c = this.udpClients.get(family);
    if (!c) {
      const bind = this.o.udpBind && ipFamily(this.o.udpBind.host) === family ? this.o.udpBind : { host: family === 4 ? '0.0.0.0' : '::', port: 0 };
      const resolve = (host: string): Promise<string> => resolveName({ dns: this.o.dns }, host, family);
      c = this.o.udp.bind(bind).then((endpoint) => new UdpTrackerClient({ endpoint, clock: this.o.clock, random: this.o.random, baseTimeoutMs: this.o.udpBaseTimeoutMs, maxRetries: this.o.udpMaxRetries, resolve }));
      this.udpClients.set(family, c);
    }
    return c;
  }

  /** Runs `f` on the UDP client for the URL's host: IPv6 literals over IPv6, else IPv4 (a name with no IPv4 address, IPv6). */
  private async overUdp<T>(url: string, f: (c: UdpTrackerClient) => Promise<T>): Promise<T> {
    if (ipFamily(parseUdpUrl(url).host) === 6) return f(await this.udpc(6));
    try {
      return await f(await this.udpc(4));
    } catch (e) {
      if (e instanceof TrackerUnreachable && e.message.includes('cannot resolve')) return f(await this.udpc(6));
      throw e;
    }
  }

  private httpOptions() {
    return { clock: this.o.clock, http: this.o.http, timeoutMs: this.o.httpTimeoutMs, signal: this.closing.signal, localHost: this.o.httpLocalHost };
  }

  async announce(url: string, r: AnnounceRequest): Promise<AnnounceResponse> {
    if (/^https?:\/\//i.test(url)) return httpAnnounce(url, r, this.httpOptions());
    if (/^udp:\/\//i.test(url)) return this.overUdp(url, (c) => c.announce(url, r));
    throw new TrackerUnreachable(`unsupported tracker URL: ${url}`);
  }

  async scrape(url: string, infoHashes: readonly Uint8Array[]): Promise<ScrapeResponse> {
    if (/^https?:\/\//i.test(url)) return httpScrape(url, infoHashes, this.httpOptions());
    if (/^udp:\/\//i.test(url)) return this.overUdp(url, (c) => c.scrape(url, infoHashes));
    throw new TrackerUnreachable(`unsupported tracker URL: ${url}`);
  }

  /** Closes the sockets; every request still in flight fails at once (no timer is left running). */
  close(): void {
    this.closing.abort();
    for (const c of this.udpClients.values()) void c.then((u) => u.close()).catch(() => undefined);
  }
}

/** BEP 12 tier list: shuffled within tiers once, with promotion of the tracker that answered. */
export class TierList {
  readonly tiers: string[][];
  constructor(tiers: readonly (readonly string[])[], random: Random) {
    const seen = new Set<string>();
    this.tiers = tiers
      .map((t) => {
        const urls = t.filter((u) => !seen.has(u) && (seen.add(u), true));
        for (let i = urls.length - 1; i > 0; i--) {
          const j = random.int(i + 1);
          [urls[i], urls[j]] = [urls[j], urls[i]];
        }
        return urls;
      })
      .filter((t) => t.length > 0);
  }

  /** Moves `url` to the front of its tier. */
  promote(url: string): void {
    for (const t of this.tiers) {
      const i = t.indexOf(url);
      if (i > 0) {
        t.splice(i, 1);
        t.unshift(url);
      }
    }
  }

  get empty(): boolean {
    return this.tiers.length === 0;
  }
}

/** What the announcer needs from a client (a `TrackerClient`, or a fake in tests). */
export interface TrackerTransport {
  announce(url: string, r: AnnounceRequest): Promise<AnnounceResponse>;
}

export interface AnnouncerOptions {
  readonly client: TrackerTransport;
  readonly clock: Clock;
  readonly random: Random;
  readonly tiers: readonly (readonly string[])[];
  readonly infoHash: Uint8Array;
  readonly peerId: Uint8Array;
  readonly port: number;
  readonly counters: () => TransferCounters;
  readonly onPeers: (peers: readonly Address[]) => void;
  readonly onEvent?: (e: AnnouncerEvent) => void;
  readonly numwant?: number;
  /** Delay before retrying when every tracker failed (default 60 s, doubling to the interval). */
  readonly retryMs?: number;
  /**
   * While we still want data, an answer without peers is followed by a re-announce this soon
   * (default 15 s), doubling with each empty answer up to the tracker's interval; never sooner
   * than its `min interval`.
   */
  readonly emptyRetryMs?: number;
  /**
   * A tracker that has not answered within this long is joined by the next one in its tier
   * (default 5 s, `DEFAULT_STAGGER_MS`); one that fails gives way at once.
   */
  readonly staggerMs?: number;
}

/** How long `stop` waits for an announce in flight before it sends `stopped` anyway. */
export const STOP_IN_FLIGHT_WAIT_MS = 1000;

/** How long a tracker has before the next one in its tier is asked too. */
export const DEFAULT_STAGGER_MS = 5000;

export class Announcer {
  private readonly o: AnnouncerOptions;
  readonly tierList: TierList;
  private readonly key: number;
  private readonly trackerIds = new Map<string, string>();
  private timer: TimerHandle | undefined;
  private stopped = false;
  private failures = 0;
  /** Answers in a row without peers while we wanted data. */
  private emptyAnswers = 0;
  private lastUrl: string | undefined;
  private interval = 1800;
  private minInterval = 0;
  private lastAnnounceAt = -Infinity;
  /** Announces run one at a time, in order: a `completed` lands before the `stopped` after it. */
  private chain: Promise<void> = Promise.resolve();

  constructor(o: AnnouncerOptions) {
    this.o = o;
    this.tierList = new TierList(o.tiers, o.random);
    this.key = o.random.int(0x1_0000_0000);
  }

  /** Announces `started` and keeps re-announcing. */
  start(): void {
    void this.run('started');
  }

  /** Announces `completed` (once), respecting nothing but the event's importance. */
  completed(): void {
    if (this.stopped) return;
    void this.run('completed');
  }

  /** Announces now, as a regular announce (no event): a user's "reannounce". */
  announceNow(): void {
    if (this.stopped) return;
    void this.run('none');
  }

  /**
   * Stops re-announcing, lets an announce in flight (or a queued `completed`) finish, then
   * announces `stopped` to the tracker that last answered. Callers bound the wait. An announce
   * in flight gets `STOP_IN_FLIGHT_WAIT_MS`: one whose datagram was lost would otherwise hold
   * the `stopped` behind BEP 15's 15 s retransmit, past the caller's deadline, and the tracker
   * would go on listing us (libtorrent aborts what is in flight and sends `stopped`).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.timer?.cancel();
    let waited: TimerHandle | undefined;
    await Promise.race([this.chain, new Promise<void>((r) => (waited = this.o.clock.setTimer(STOP_IN_FLIGHT_WAIT_MS, r)))]);
    waited?.cancel();
    const url = this.lastUrl;
    if (!url) return;
    try {
      await this.o.client.announce(url, this.request('stopped', url));
    } catch (e) {
      this.o.onEvent?.({ type: 'tracker-error', url, error: e as Error });
    }
  }

  private request(event: AnnounceEvent, url: string): AnnounceRequest {
    const c = this.o.counters();
    return {
      infoHash: this.o.infoHash,
      peerId: this.o.peerId,
      port: this.o.port,
      uploaded: c.uploaded,
      downloaded: c.downloaded,
      left: c.left,
      event,
      numwant: event === 'stopped' ? 0 : (this.o.numwant ?? 50),
      key: this.key,
      trackerId: this.trackerIds.get(url),
    };
  }

  private schedule(ms: number): void {
    this.timer?.cancel();
    if (this.stopped) return;
    this.timer = this.o.clock.setTimer(ms, () => void this.run('none'));
  }

  /** Tries the tiers in order; the first tracker that answers is promoted and used. */
  async announceOnce(event: AnnounceEvent): Promise<AnnounceResponse | undefined> {
    const res = await this.announceInOrder(this.tierList.tiers.flat(), event);
    if (res === undefined && !(this.stopped && event !== 'completed')) this.o.onEvent?.({ type: 'all-failed', event });
    return res;
  }

  /**
   * The trackers in tier order until one answers. A tracker that fails gives way to the next
   * at once; one that has not answered within `staggerMs` is joined by the next (it may still
   * answer), within its tier or in the next tier. So a list of dead trackers (a magnet's,
   * whose every `tr` is its own tier as in libtorrent, and whose dead UDP trackers take 105 s
   * each to give up) does not hold back the live one behind them for minutes. An answer that
   * comes after the first still delivers its peers. Once stopping, only a `completed` still
   * tries further trackers.
   */
  private announceInOrder(urls: readonly string[], event: AnnounceEvent): Promise<AnnounceResponse | undefined> {
    const staggerMs = this.o.staggerMs ?? DEFAULT_STAGGER_MS;
    return new Promise((resolve) => {
      let next = 0;
      let running = 0;
      let done = false;
      let timer: TimerHandle | undefined;
      const finish = (res: AnnounceResponse | undefined): void => {
        done = true;
        timer?.cancel();
        resolve(res);
      };
      const launch = (): void => {
        timer?.cancel();
        timer = undefined;
        if (done) return;
        if (next >= urls.length || (this.stopped && event !== 'completed')) {
          if (running === 0) finish(undefined);
          return;
        }
        const url = urls[next++];
        running++;
        this.o.client.announce(url, this.request(event, url)).then(
          (res) => {
            running--;
            if (res.trackerId) this.trackerIds.set(url, res.trackerId);
            if (res.warning) this.o.onEvent?.({ type: 'warning', url, message: res.warning });
            this.o.onEvent?.({ type: 'announced', url, event, response: res });
            if (done) {
              if (res.peers.length > 0 && !this.stopped) this.o.onPeers(res.peers);
              return;
            }
            this.tierList.promote(url);
            this.lastUrl = url;
            finish(res);
          },
          (e: unknown) => {
            running--;
            this.o.onEvent?.({ type: 'tracker-error', url, error: e as Error });
            launch();
          },
        );
        if (next < urls.length) timer = this.o.clock.setTimer(staggerMs, launch);
      };
      launch();
    });
  }

  private run(event: AnnounceEvent): Promise<void> {
    const next = this.chain.then(() => this.runNow(event));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async runNow(event: AnnounceEvent): Promise<void> {
    if ((this.stopped && event !== 'completed') || this.tierList.empty) return;
    this.timer?.cancel();
    const res = await this.announceOnce(event);
    if (this.stopped) return;
    if (res) {
      this.failures = 0;
      this.interval = Math.max(res.interval, 1);
      this.minInterval = res.minInterval ?? 0;
      this.lastAnnounceAt = this.o.clock.now();
      if (res.peers.length) this.o.onPeers(res.peers);
      this.emptyAnswers = res.peers.length === 0 && this.o.counters().left > 0 ? this.emptyAnswers + 1 : 0;
      const next = reaskDelay(this.emptyAnswers, this.interval * 1000, this.o.emptyRetryMs ?? EMPTY_REASK_FIRST_MS);
      this.schedule(Math.max(next, this.minInterval * 1000));
    } else {
      this.failures++;
      const base = this.o.retryMs ?? 60_000;
      this.schedule(Math.min(base * 2 ** (this.failures - 1), this.interval * 1000));
    }
  }

  /** Seconds since the last successful announce (for status lines). */
  sinceLastAnnounce(): number {
    return (this.o.clock.now() - this.lastAnnounceAt) / 1000;
  }
}
