/**
 * Local peer discovery (BEP 14), sans-I/O: which torrents to announce when, and what to make
 * of announces heard. Time and randomness come from the runtime seam; sending is a callback
 * (the caller formats one datagram per multicast group), receiving is `receive(data, from)`.
 *
 * - every torrent is announced when added, then every `intervalMs` (5 min); due torrents share
 *   one announce (several Infohash headers, under 1400 bytes), and announces go out at most
 *   every `minSendIntervalMs`, so a start with many torrents is not a multicast storm;
 * - private torrents (BEP 27) are never announced, and announces for them are ignored;
 * - our own announces (looped back by multicast) are recognised by their cookie;
 * - what we take in is limited: `maxAnnouncesPerSecond` over all senders, and
 *   `maxAnnouncesPerSourcePerMinute` per sender IP (a table of `maxTrackedSources`).
 */
import type { Address, Clock, Random, TimerHandle } from '../runtime/types.js';
import { LSD_HASHES_PER_PACKET, LSD_PARSE_DEFAULTS, LsdParseError, parseAnnounce, type ParseLimits } from './lsd-codec.js';

export interface LsdOptions {
  /** How often each torrent is announced (default 5 min, BEP 14). */
  readonly intervalMs?: number;
  /** Least time between two announces we send (default 5 s). */
  readonly minSendIntervalMs?: number;
  /** Announces taken in per second from everyone (default 50); more are dropped unread. */
  readonly maxAnnouncesPerSecond?: number;
  /** Announces taken in per minute from one IP (default 20). */
  readonly maxAnnouncesPerSourcePerMinute?: number;
  /** Sender IPs whose counts are kept (default 256); when full, the oldest window is forgotten. */
  readonly maxTrackedSources?: number;
  /** Codec limits: datagram size and infohashes per announce. */
  readonly parse?: Partial<ParseLimits>;
}

export const LSD_DEFAULTS = {
  intervalMs: 5 * 60_000,
  minSendIntervalMs: 5_000,
  maxAnnouncesPerSecond: 50,
  maxAnnouncesPerSourcePerMinute: 20,
  maxTrackedSources: 256,
};

export interface LsdEvents {
  /** Sends one announce of these infohashes (hex) from our listen port, with our cookie. */
  send(infoHashes: readonly string[], cookie: string): void;
  /** A peer announced a torrent we have: `address` is the sender's IP with its announced port. */
  onPeer(infoHashHex: string, address: Address): void;
}

export interface LsdStats {
  sent: number;
  received: number;
  /** Ignored: our own, rate-limited, unparseable, or for no torrent of ours. */
  ownDropped: number;
  rateLimited: number;
  malformed: number;
  peers: number;
}

interface Entry {
  readonly private: boolean;
  nextAt: number;
}

export class LocalDiscovery {
  readonly cookie: string;
  readonly stats: LsdStats = { sent: 0, received: 0, ownDropped: 0, rateLimited: 0, malformed: 0, peers: 0 };
  private readonly torrents = new Map<string, Entry>();
  private readonly o: typeof LSD_DEFAULTS;
  private readonly parseLimits: ParseLimits;
  private timer: TimerHandle | undefined;
  private timerAt = Infinity;
  private lastSentAt = -Infinity;
  private windowStart = -Infinity;
  private windowCount = 0;
  private readonly sources = new Map<string, { start: number; count: number }>();
  private closed = false;

  constructor(private readonly clock: Clock, random: Random, private readonly events: LsdEvents, options: LsdOptions = {}) {
    const { parse, ...rest } = options;
    this.o = { ...LSD_DEFAULTS, ...rest };
    this.parseLimits = { ...LSD_PARSE_DEFAULTS, ...parse };
    this.cookie = [...random.bytes(8)].map((b) => b.toString(16).padStart(2, '0')).join('');
  }

  /** Starts announcing a torrent (at once, then every `intervalMs`); a private one is only remembered. */
  add(infoHashHex: string, isPrivate: boolean): void {
    const key = infoHashHex.toLowerCase();
    if (this.torrents.has(key)) return;
    this.torrents.set(key, { private: isPrivate, nextAt: this.clock.now() });
    if (!isPrivate) this.schedule();
  }

  remove(infoHashHex: string): void {
    this.torrents.delete(infoHashHex.toLowerCase());
  }

  /** One datagram heard on the group. */
  receive(data: Uint8Array, from: Address): void {
    if (this.closed) return;
    const now = this.clock.now();
    if (!this.admit(from.host, now)) {
      this.stats.rateLimited++;
      return;
    }
    let a;
    try {
      a = parseAnnounce(data, this.parseLimits);
    } catch (e) {
      if (!(e instanceof LsdParseError)) throw e;
      this.stats.malformed++;
      return;
    }
    if (a.cookie === this.cookie) {
      this.stats.ownDropped++;
      return;
    }
    this.stats.received++;
    for (const h of a.infoHashes) {
      const t = this.torrents.get(h);
      if (!t || t.private) continue; // BEP 27: a private torrent's peers come from its trackers only
      this.stats.peers++;
      this.events.onPeer(h, { host: from.host, port: a.port });
    }
  }

  /** Rate limits on what we take in: over all senders per second, and per sender IP per minute. */
  private admit(host: string, now: number): boolean {
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    if (this.windowCount >= this.o.maxAnnouncesPerSecond) return false;
    this.windowCount++;
    let s = this.sources.get(host);
    if (!s || now - s.start >= 60_000) {
      if (!s && this.sources.size >= this.o.maxTrackedSources) {
        // Forget the oldest window (Map order is insertion order; entries are re-inserted on reset).
        const oldest = this.sources.keys().next().value;
        if (oldest !== undefined) this.sources.delete(oldest);
      }
      this.sources.delete(host);
      this.sources.set(host, (s = { start: now, count: 0 }));
    }
    if (s.count >= this.o.maxAnnouncesPerSourcePerMinute) return false;
    s.count++;
    return true;
  }

  private schedule(): void {
    if (this.closed) return;
    let due = Infinity;
    for (const t of this.torrents.values()) if (!t.private && t.nextAt < due) due = t.nextAt;
    if (due === Infinity) return;
    const at = Math.max(due, this.lastSentAt + this.o.minSendIntervalMs);
    if (this.timer && this.timerAt <= at) return;
    this.timer?.cancel();
    this.timerAt = at;
    this.timer = this.clock.setTimer(Math.max(0, at - this.clock.now()), () => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.announceDue();
    });
  }

  /** Sends the due torrents, as many as fit one announce (the rest wait `minSendIntervalMs`). */
  private announceDue(): void {
    if (this.closed) return;
    const now = this.clock.now();
    const due = [...this.torrents.entries()].filter(([, t]) => !t.private && t.nextAt <= now).sort((a, b) => a[1].nextAt - b[1].nextAt).slice(0, LSD_HASHES_PER_PACKET);
    if (due.length > 0) {
      for (const [, t] of due) t.nextAt = now + this.o.intervalMs;
      this.lastSentAt = now;
      this.stats.sent++;
      this.events.send(due.map(([h]) => h), this.cookie);
    }
    this.schedule();
  }

  close(): void {
    this.closed = true;
    this.timer?.cancel();
    this.timer = undefined;
  }
}
