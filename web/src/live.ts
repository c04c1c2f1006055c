/**
 * The daemon's event stream (GET /api/events, Server-Sent Events) as one shared
 * subscription: torrent-added / torrent-removed / torrent-updated / stats. After a
 * reconnect, subscribers get a `resync` event: whatever they show may have missed updates.
 */
import type { TorrentId } from '../../src/daemon/types.js';
import type { Stats, Summary } from './api-types.js';

export type LiveEvent =
  | { readonly type: 'torrent-added' | 'torrent-updated'; readonly torrent: Summary }
  | { readonly type: 'torrent-removed'; readonly infoHash: TorrentId }
  | { readonly type: 'stats'; readonly stats: Stats }
  | { readonly type: 'resync' };

export type LiveStatus = 'connecting' | 'live' | 'reconnecting';

const RETRY_MS = 3000;

/** Accepts the event's data either as the ServiceEvent ({type, torrent}) or as its payload alone. */
function parse(name: string, data: string): LiveEvent | null {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return null;
  }
  switch (name) {
    case 'torrent-added':
    case 'torrent-updated': {
      const torrent = (o.torrent ?? o) as Summary;
      return typeof torrent.infoHash === 'string' ? { type: name, torrent } : null;
    }
    case 'torrent-removed':
      return typeof o.infoHash === 'string' ? { type: name, infoHash: o.infoHash } : null;
    case 'stats':
      return { type: name, stats: (o.stats ?? o) as Stats };
    default:
      return null;
  }
}

export class LiveEvents {
  private source: EventSource | null = null;
  private readonly listeners = new Set<(e: LiveEvent) => void>();
  private retry: number | undefined;
  private closed = false;
  private wasOpen = false;

  constructor(
    private readonly url: string,
    private readonly onStatus: (s: LiveStatus) => void,
    /** The stream was closed for good (EventSource gives no status: maybe 401, maybe the daemon stopped). */
    private readonly onLost: () => void,
  ) {
    this.connect();
  }

  subscribe(fn: (e: LiveEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.source?.close();
  }

  private connect(): void {
    this.onStatus(this.wasOpen ? 'reconnecting' : 'connecting');
    const source = new EventSource(this.url);
    this.source = source;
    source.onopen = () => {
      this.onStatus('live');
      if (this.wasOpen) this.emit({ type: 'resync' });
      this.wasOpen = true;
    };
    source.onerror = () => {
      if (this.closed) return;
      if (source.readyState === EventSource.CLOSED) {
        // The browser gave up (an HTTP error, not a dropped connection): try again later.
        this.onStatus('reconnecting');
        this.onLost();
        this.retry = window.setTimeout(() => this.connect(), RETRY_MS);
      } else {
        this.onStatus('reconnecting');
      }
    };
    for (const name of ['torrent-added', 'torrent-removed', 'torrent-updated', 'stats']) {
      source.addEventListener(name, (m: MessageEvent<string>) => {
        const e = parse(name, m.data);
        if (e) this.emit(e);
      });
    }
  }

  private emit(e: LiveEvent): void {
    for (const fn of this.listeners) fn(e);
  }
}
