/**
 * BEP 3 HTTP announce and BEP 48 scrape over the runtime's HTTP client, with a size cap and
 * a timeout; the request leaves from `localHost` when given (the listen address, so the
 * tracker records an address that answers).
 */
import { HttpBodyTooLarge, type Clock, type HttpClient } from '../runtime/types.js';
import { TrackerProtocolError, TrackerUnreachable } from './errors.js';
import { buildAnnounceUrl, MAX_HTTP_REPLY, parseAnnounceReply, parseScrapeReply, scrapeUrlFor } from './http-codec.js';
import type { AnnounceRequest, AnnounceResponse, ScrapeResponse } from './types.js';
import { isLocalHost } from '../util/local-host.js';

export interface HttpClientOptions {
  readonly clock: Clock;
  /** The runtime's HTTP client; without one every HTTP tracker is unreachable. */
  readonly http: HttpClient | undefined;
  /** Per request (default 15 s). */
  readonly timeoutMs?: number;
  /** Aborts the request (a client shutting down); it then fails as unreachable. */
  readonly signal?: AbortSignal;
  /** The local IP requests leave from (default: the system's choice). */
  readonly localHost?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Redirects followed per announce or scrape (the runtime's default too). */
export const MAX_TRACKER_REDIRECTS = 5;

/**
 * Where a tracker's redirect goes: http(s) only, and never from a public host to a loopback,
 * private or link-local one. Any torrent names its trackers, so a tracker could otherwise
 * point our GETs at the user's router or a local admin page (libtorrent's SSRF mitigation
 * refuses this too). A tracker on the LAN may redirect within it.
 */
function redirectTarget(from: string, location: string, where: string): string {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    throw new TrackerUnreachable(`tracker ${where}: a redirect to ${JSON.stringify(location.slice(0, 200))}, not a URL`);
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') throw new TrackerUnreachable(`tracker ${where}: a redirect to ${next.protocol}, not http(s)`);
  if (isLocalHost(next.hostname) && !isLocalHost(new URL(from).hostname)) {
    throw new TrackerUnreachable(`tracker ${where}: a redirect from a public host to the local address ${next.host} (refused: SSRF)`);
  }
  next.hash = '';
  return next.href;
}

async function get(url: string, o: HttpClientOptions): Promise<Uint8Array> {
  const where = url.split('?')[0];
  if (!o.http) throw new TrackerUnreachable(`tracker ${where}: this runtime has no HTTP client`);
  const ac = new AbortController();
  const timer = o.clock.setTimer(o.timeoutMs ?? 15_000, () => ac.abort());
  const onAbort = (): void => ac.abort();
  if (o.signal?.aborted) ac.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let at = url;
    for (let hop = 0; ; hop++) {
      // Redirects are followed here, one hop at a time, so that each is checked (below).
      const res = await o.http.get({ url: at, headers: { 'user-agent': 'Shoal/0.1' }, localHost: o.localHost, maxBodyBytes: MAX_HTTP_REPLY, signal: ac.signal, maxRedirects: 0 });
      const location = res.headers?.get('location');
      if (REDIRECTS.has(res.status) && location !== undefined) {
        if (hop >= MAX_TRACKER_REDIRECTS) throw new TrackerUnreachable(`tracker ${where}: more than ${MAX_TRACKER_REDIRECTS} redirects`);
        at = redirectTarget(at, location, where);
        continue;
      }
      if (res.status !== 200 && res.body.length === 0) throw new TrackerUnreachable(`tracker ${where}: HTTP ${res.status}`);
      return res.body;
    }
  } catch (e) {
    if (e instanceof HttpBodyTooLarge) throw new TrackerProtocolError(`tracker reply larger than ${MAX_HTTP_REPLY} bytes`);
    if (e instanceof TrackerUnreachable) throw e;
    if (ac.signal.aborted) throw new TrackerUnreachable(`tracker ${where}: ${o.signal?.aborted ? 'cancelled' : 'timed out'}`, { cause: e });
    throw new TrackerUnreachable(`tracker ${where}: ${(e as Error).message}`, { cause: e });
  } finally {
    timer.cancel();
    o.signal?.removeEventListener('abort', onAbort);
  }
}

export async function httpAnnounce(announceUrl: string, r: AnnounceRequest, o: HttpClientOptions): Promise<AnnounceResponse> {
  return parseAnnounceReply(await get(buildAnnounceUrl(announceUrl, r), o));
}

export async function httpScrape(announceUrl: string, infoHashes: readonly Uint8Array[], o: HttpClientOptions): Promise<ScrapeResponse> {
  const url = scrapeUrlFor(announceUrl, infoHashes);
  if (!url) throw new TrackerProtocolError(`${announceUrl}: no scrape URL (BEP 48)`);
  return parseScrapeReply(await get(url, o));
}
