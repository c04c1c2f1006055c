/**
 * The HTTP side of UPnP IGD: a small request function the UpnpMapper is given, so tests and
 * the simulator can answer it. `createHttpRequester` is the real one, over the runtime seam's
 * HTTP client (`runtime.http`, as the tracker's), with a timeout from the runtime clock and a
 * size cap.
 */
import { HttpBodyTooLarge, NetworkError, type Clock, type HttpClient } from '../runtime/types.js';
import { NatProtocolError } from './errors.js';

export interface HttpRequest {
  readonly url: string;
  readonly method: 'GET' | 'POST';
  readonly headers?: Record<string, string>;
  readonly body?: string;
  /** Answers longer than this are refused (NatProtocolError). */
  readonly maxBytes: number;
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

export type HttpRequester = (req: HttpRequest) => Promise<HttpAnswer>;

/** Per-request limit, ms: a LAN router answers in a few; one that does not is not worth waiting for. */
export const UPNP_HTTP_TIMEOUT_MS = 5000;

/**
 * UPnP's HTTP over `http`. Redirects are not followed (a gateway's control URL that redirects
 * is answered with its 3xx, which the mapper refuses); rejects with the runtime's
 * `NetworkError` when the gateway does not answer (`ETIMEDOUT` after `timeoutMs`), or
 * `NatProtocolError` past `maxBytes`.
 */
export function createHttpRequester(http: HttpClient, clock: Clock, timeoutMs = UPNP_HTTP_TIMEOUT_MS): HttpRequester {
  return async (req) => {
    const ac = new AbortController();
    const timer = clock.setTimer(timeoutMs, () => ac.abort());
    try {
      const res = await http.get({
        url: req.url,
        method: req.method,
        headers: { 'user-agent': 'Shoal/0.1 UPnP/1.1', ...req.headers },
        body: req.body === undefined ? undefined : Buffer.from(req.body, 'utf8'),
        maxBodyBytes: req.maxBytes,
        maxRedirects: 0,
        signal: ac.signal,
      });
      return { status: res.status, body: Buffer.from(res.body).toString('utf8') };
    } catch (e) {
      if (e instanceof HttpBodyTooLarge) throw new NatProtocolError(`UPnP answer from ${new URL(req.url).host} is larger than ${req.maxBytes} bytes`);
      // Our own abort is the timeout: say so, not "cancelled".
      if (ac.signal.aborted) throw new NetworkError('ETIMEDOUT', `${new URL(req.url).host}: no UPnP answer within ${timeoutMs} ms`);
      throw e;
    } finally {
      timer.cancel();
    }
  };
}
