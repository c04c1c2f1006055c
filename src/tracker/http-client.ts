/**
 * BEP 3 HTTP announce and BEP 48 scrape over the runtime's HTTP client, with a size cap and
 * a timeout; the request leaves from `localHost` when given (the listen address, so the
 * tracker records an address that answers).
 */
import { HttpBodyTooLarge, type Clock, type HttpClient } from '../runtime/types.js';
import { TrackerProtocolError, TrackerUnreachable } from './errors.js';
import { buildAnnounceUrl, MAX_HTTP_REPLY, parseAnnounceReply, parseScrapeReply, scrapeUrlFor } from './http-codec.js';
import type { AnnounceRequest, AnnounceResponse, ScrapeResponse } from './types.js';

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

async function get(url: string, o: HttpClientOptions): Promise<Uint8Array> {
  const where = url.split('?')[0];
  if (!o.http) throw new TrackerUnreachable(`tracker ${where}: this runtime has no HTTP client`);
  const ac = new AbortController();
  const timer = o.clock.setTimer(o.timeoutMs ?? 15_000, () => ac.abort());
  const onAbort = (): void => ac.abort();
  if (o.signal?.aborted) ac.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const res = await o.http.get({ url, headers: { 'user-agent': 'Shoal/0.1' }, localHost: o.localHost, maxBodyBytes: MAX_HTTP_REPLY, signal: ac.signal });
    if (res.status !== 200 && res.body.length === 0) throw new TrackerUnreachable(`tracker ${where}: HTTP ${res.status}`);
    return res.body;
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
