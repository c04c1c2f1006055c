/** BEP 3 HTTP announce and BEP 48 scrape over `fetch`, with a size cap and a timeout. */
import type { Clock } from '../runtime/types.js';
import { TrackerProtocolError, TrackerUnreachable } from './errors.js';
import { buildAnnounceUrl, MAX_HTTP_REPLY, parseAnnounceReply, parseScrapeReply, scrapeUrlFor } from './http-codec.js';
import type { AnnounceRequest, AnnounceResponse, ScrapeResponse } from './types.js';

export interface HttpClientOptions {
  readonly clock: Clock;
  /** Per request (default 15 s). */
  readonly timeoutMs?: number;
  /** Aborts the request (a client shutting down); it then fails as unreachable. */
  readonly signal?: AbortSignal;
}

async function get(url: string, o: HttpClientOptions): Promise<Uint8Array> {
  const ac = new AbortController();
  const timer = o.clock.setTimer(o.timeoutMs ?? 15_000, () => ac.abort());
  const onAbort = (): void => ac.abort();
  if (o.signal?.aborted) ac.abort();
  o.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    let res: Response;
    try {
      res = await fetch(url, { signal: ac.signal, redirect: 'follow', headers: { 'user-agent': 'Shoal/0.1' } });
    } catch (e) {
      throw new TrackerUnreachable(`tracker ${url.split('?')[0]}: ${ac.signal.aborted ? (o.signal?.aborted ? 'cancelled' : 'timed out') : ((e as Error).cause as Error | undefined)?.message ?? (e as Error).message}`, { cause: e });
    }
    if (!res.body) return new Uint8Array();
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > MAX_HTTP_REPLY) {
        await reader.cancel();
        throw new TrackerProtocolError(`tracker reply larger than ${MAX_HTTP_REPLY} bytes`);
      }
      chunks.push(value);
    }
    if (res.status !== 200 && size === 0) throw new TrackerUnreachable(`tracker ${url.split('?')[0]}: HTTP ${res.status}`);
    return Buffer.concat(chunks);
  } catch (e) {
    if (ac.signal.aborted && !(e instanceof TrackerUnreachable)) throw new TrackerUnreachable(`tracker ${url.split('?')[0]}: ${o.signal?.aborted ? 'cancelled' : 'timed out'}`, { cause: e });
    throw e;
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
