/**
 * One web seed (BEP 19) of one torrent: an HTTP(S) URL that acts as a permanently unchoked
 * seed. It takes work from the piece picker like a peer; its state here is what the swarm
 * and its reports need: requests in flight, rate, strikes, back-off, why it was dropped.
 */
import type { BlockRef } from './piece-picker.js';
import type { PeerSession } from './peer-session.js';
import { RateMeter } from './rate-meter.js';

/** Whoever blocks are requested from: a peer connection or a web seed. */
export type Fetcher = PeerSession | WebSeedSession;

/** One range request in flight: a contiguous run of blocks of the piece space. */
export interface WebSeedJob {
  readonly blocks: BlockRef[];
  /** Offset of the run in the piece space, and its length. */
  readonly offset: number;
  readonly length: number;
  readonly abort: AbortController;
}

export class WebSeedSession {
  readonly kind = 'webseed' as const;
  /** The URL as listed in `url-list` (its key in reports). */
  readonly key: string;
  readonly download: RateMeter;
  readonly jobs = new Set<WebSeedJob>();
  /** Shares in pieces that failed their hash (as for peers: sole sender of a bad piece, dropped at once). */
  strikes = 0;
  /** Transient failures in a row (back-off: util/backoff.ts). */
  failures = 0;
  /** No requests before this time (back-off, or a 503's Retry-After). */
  retryAt = -Infinity;
  /** Why it is no longer used for this torrent; undefined while in use. */
  dropped: string | undefined;
  /** The last trouble it had (for reports). */
  lastError: string | undefined;
  /** HTTP requests sent (a range over several files is several). */
  requests = 0;

  constructor(readonly url: string, now: number) {
    this.key = url;
    this.download = new RateMeter(now);
  }
}
