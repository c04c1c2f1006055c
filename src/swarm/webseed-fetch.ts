/**
 * One byte range from a web seed (BEP 19) over the runtime's HTTP client, and what the answer
 * means for the web seed: data, come back later (503 + Retry-After), a transient failure
 * (back off), or gone for good (404, a range it cannot serve, a body far too large).
 */
import { HttpBodyTooLarge, type HttpClient, type HttpResponse } from '../runtime/types.js';
import { isLocalHost } from '../util/local-host.js';

export interface RangeFetchLimits {
  /** Redirects followed per request (default 3; the runtime's client follows them). */
  readonly maxRedirects: number;
  /**
   * A server that ignores `Range` answers 200 with the whole file: its body is taken (and the
   * range cut out of it) only up to this many bytes; a larger one drops the web seed.
   */
  readonly maxUnrangedBodyBytes: number;
  /** The longest `Retry-After` obeyed; a longer one is cut to this (default 1 h). */
  readonly maxRetryAfterMs: number;
  /** Deadline of one request, answer and body included. */
  readonly requestTimeoutMs: number;
}

export type RangeResult =
  | { readonly kind: 'data'; readonly body: Uint8Array }
  /** 503 (or 429) with a Retry-After: ask again after `ms`. */
  | { readonly kind: 'retry-after'; readonly ms: number; readonly reason: string }
  /** Worth trying again after a back-off (network trouble, 5xx). */
  | { readonly kind: 'failed'; readonly reason: string }
  /** This URL will not serve the torrent: drop it. */
  | { readonly kind: 'gone'; readonly reason: string };

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GETs bytes [start, start + length) of `url`, following up to `maxRedirects` redirects itself
 * (a 3xx past them drops the web seed) so that each hop is checked: only http(s), and never
 * from a public host to a loopback, private or link-local one. A torrent's author could
 * otherwise point our GETs (and their Range headers) at the user's router or a local admin
 * page through a redirect, as libtorrent's SSRF mitigation also refuses. A web seed listed on
 * the LAN itself (a NAS) stays usable. `timer` arms one deadline for the whole chain on the
 * caller's clock (the simulator's too); when it fires the request is aborted.
 */
export async function fetchRange(http: HttpClient, url: string, start: number, length: number, limits: RangeFetchLimits, timer: (ms: number, fn: () => void) => { cancel(): void }, signal?: AbortSignal): Promise<RangeResult> {
  const abort = new AbortController();
  let timedOut = false;
  const onAbort = () => abort.abort();
  signal?.addEventListener('abort', onAbort);
  const deadline = timer(limits.requestTimeoutMs, () => {
    timedOut = true;
    abort.abort();
  });
  let res: HttpResponse;
  let at = url;
  try {
    for (let hop = 0; ; hop++) {
      res = await http.get({
        url: at,
        headers: { range: `bytes=${start}-${start + length - 1}` },
        maxBodyBytes: Math.max(length, limits.maxUnrangedBodyBytes),
        maxRedirects: 0,
        signal: abort.signal,
      });
      const location = res.headers?.get('location');
      if (!REDIRECTS.has(res.status) || location === undefined || hop >= limits.maxRedirects) break;
      const next = redirectTarget(at, location);
      if (typeof next !== 'string') return { kind: 'gone', reason: `${url}: ${next.refused}` };
      at = next;
    }
  } catch (e) {
    if (e instanceof HttpBodyTooLarge) return { kind: 'gone', reason: `${e.message} (does it ignore Range requests?)` };
    if (timedOut) return { kind: 'failed', reason: `${url}: no complete answer in ${limits.requestTimeoutMs} ms` };
    return { kind: 'failed', reason: e instanceof Error ? e.message : String(e) };
  } finally {
    deadline.cancel();
    signal?.removeEventListener('abort', onAbort);
  }
  if (REDIRECTS.has(res.status)) return { kind: 'gone', reason: `${url}: more than ${limits.maxRedirects} redirects (or one without a usable Location)` };
  return interpret(res, url, start, length, limits);
}

/** Where a redirect from `from` to `location` goes, or why it is refused. */
function redirectTarget(from: string, location: string): string | { refused: string } {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    return { refused: `a redirect to ${JSON.stringify(location.slice(0, 200))}, not a URL` };
  }
  if (next.protocol !== 'http:' && next.protocol !== 'https:') return { refused: `a redirect to ${next.protocol}, not http(s)` };
  if (isLocalHost(next.hostname) && !isLocalHost(new URL(from).hostname)) return { refused: `a redirect from a public host to the local address ${next.host} (refused: SSRF)` };
  next.hash = '';
  return next.href;
}

function interpret(res: HttpResponse, url: string, start: number, length: number, limits: RangeFetchLimits): RangeResult {
  const { status, body } = res;
  const headers = res.headers ?? new Map<string, string>();
  if (status === 206) {
    // Content-Range must name exactly the bytes asked for: anything else is not our range.
    const m = /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(headers.get('content-range')?.trim() ?? '');
    if (!m || Number(m[1]) !== start || Number(m[2]) !== start + length - 1) return { kind: 'gone', reason: `${url}: 206 for another range (${headers.get('content-range') ?? 'no Content-Range'})` };
    if (body.length !== length) return { kind: 'failed', reason: `${url}: ${body.length} bytes for a range of ${length}` };
    return { kind: 'data', body };
  }
  if (status === 200) {
    // The server ignored Range and sent the whole file (small enough, or the client refused it above).
    if (body.length < start + length) return { kind: 'gone', reason: `${url}: the file is ${body.length} bytes, shorter than the torrent says` };
    return { kind: 'data', body: body.subarray(start, start + length) };
  }
  if (status === 503 || status === 429) {
    const after = retryAfterMs(headers.get('retry-after'));
    if (after !== undefined) return { kind: 'retry-after', ms: Math.min(after, limits.maxRetryAfterMs), reason: `${url}: ${status}, retry after ${Math.round(after / 1000)} s` };
    return { kind: 'failed', reason: `${url}: ${status}` };
  }
  if (status === 408 || status >= 500) return { kind: 'failed', reason: `${url}: ${status}` };
  // 404, 410, 403, 416 (file shorter than the torrent), other 4xx and the unexpected: not a source.
  return { kind: 'gone', reason: `${url}: HTTP ${status}` };
}

/** Retry-After as delay-seconds (an HTTP date needs a wall clock the core has not: ignored). */
export function retryAfterMs(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d{1,9}\s*$/.test(value)) return undefined;
  return Number(value) * 1000;
}
