/**
 * `POST /api/torrents {"url"}`: the daemon fetches a .torrent over http(s) itself, with the
 * limits a client could otherwise make it hold: the size of the upload limit for a .torrent,
 * a deadline for the whole fetch, at most a few redirects, and only http and https (a
 * redirect to file: or another scheme is refused). Errors are 4xx naming the cause.
 *
 * Credentials in the URL (`https://user:pass@host/x.torrent`, as some private sites hand out)
 * are sent as HTTP Basic auth (fetch refuses such a URL outright), only to that origin (a
 * redirect elsewhere does not get them), and never appear in an error message.
 */
import { ServiceError } from '../types.js';
import { isLocalHost } from '../../util/local-host.js';

export interface UrlFetchLimits {
  /** Largest .torrent fetched (bytes; 413 past it). */
  readonly maxBytes: number;
  /** Deadline for the whole fetch, redirects included (ms). */
  readonly timeoutMs: number;
  /** Redirects followed at most. */
  readonly maxRedirects: number;
  /**
   * Fetches under way at once (daemon only; default 4); another is a 409 meanwhile. Each may
   * hold `maxBytes` for `timeoutMs`: without it 128 API connections could make the daemon
   * buffer 2.5 GiB from slow servers.
   */
  readonly maxConcurrent?: number;
}

export const DEFAULT_URL_MAX_CONCURRENT = 4;

export const DEFAULT_URL_FETCH_TIMEOUT_MS = 30_000;
export const DEFAULT_URL_MAX_REDIRECTS = 3;
/** Longest URL accepted. */
export const MAX_URL_LENGTH = 8192;

/** Checks the URL's scheme; returns it parsed. */
export function httpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ServiceError(400, `not a URL: ${JSON.stringify(text.slice(0, 200))}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ServiceError(400, `only http, https and magnet URLs can be added, not ${url.protocol}`);
  return url;
}

/** The body at `url`, following up to `maxRedirects` redirects; a ServiceError (4xx) for every failure. */
export async function fetchTorrentFile(text: string, limits: UrlFetchLimits): Promise<Uint8Array> {
  let url = httpUrl(text);
  const auth = basicAuth(url);
  const authOrigin = url.origin;
  url = withoutCredentials(url);
  const signal = AbortSignal.timeout(limits.timeoutMs);
  try {
    for (let redirects = 0; ; redirects++) {
      const headers: Record<string, string> = { accept: 'application/x-bittorrent, */*' };
      if (auth !== undefined && url.origin === authOrigin) headers.authorization = auth;
      const res = await fetch(url, { redirect: 'manual', signal, headers });
      if (res.status >= 300 && res.status < 400 && res.headers.has('location')) {
        await res.body?.cancel();
        if (redirects >= limits.maxRedirects) throw new ServiceError(400, `${url.href} redirects more than ${limits.maxRedirects} times`);
        // Credentials in a Location are the redirecting server's business: not taken over, not shown.
        const next = withoutCredentials(httpUrl(new URL(res.headers.get('location')!, url).href));
        // SSRF: a public site (an RSS feed's link, say) may not send our GET to the router or a
        // local admin page; a .torrent served on the LAN may still redirect within it.
        if (isLocalHost(next.hostname) && !isLocalHost(url.hostname)) throw new ServiceError(400, `${url.href} redirects to the local address ${next.host} (refused: a public site may not point the daemon at the local network)`);
        url = next;
        continue;
      }
      if (!res.ok) {
        await res.body?.cancel();
        throw new ServiceError(400, `${url.href} answered HTTP ${res.status}`);
      }
      const declared = Number(res.headers.get('content-length') ?? NaN);
      if (declared > limits.maxBytes) {
        await res.body?.cancel();
        throw new ServiceError(413, `${url.href} is ${declared} bytes; a .torrent may have at most ${limits.maxBytes}`);
      }
      return await readCapped(res, limits.maxBytes, url.href);
    }
  } catch (e) {
    if (e instanceof ServiceError) throw e;
    if (signal.aborted) throw new ServiceError(400, `fetching ${url.href} took longer than ${limits.timeoutMs} ms`);
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    throw new ServiceError(400, `cannot fetch ${url.href}: ${cause?.code ?? cause?.message ?? (e as Error).message}`);
  }
}

/** `Basic <base64(user:password)>` from the URL's user info (percent-decoded), or undefined if it has none. */
function basicAuth(url: URL): string | undefined {
  if (url.username === '' && url.password === '') return undefined;
  const decode = (s: string) => {
    try {
      return decodeURIComponent(s);
    } catch {
      return s;
    }
  };
  return `Basic ${Buffer.from(`${decode(url.username)}:${decode(url.password)}`, 'utf8').toString('base64')}`;
}

/** `text` as errors may show it: without the user info of an http(s) URL. */
export function shownUrl(text: string): string {
  try {
    return withoutCredentials(new URL(text)).href;
  } catch {
    return text;
  }
}

function withoutCredentials(url: URL): URL {
  if (url.username === '' && url.password === '') return url;
  const out = new URL(url.href);
  out.username = '';
  out.password = '';
  return out;
}

async function readCapped(res: Response, max: number, href: string): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  const reader = res.body?.getReader();
  if (!reader) return new Uint8Array();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    n += value.length;
    if (n > max) {
      await reader.cancel();
      throw new ServiceError(413, `${href} is larger than ${max} bytes, the most a .torrent may have`);
    }
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}
