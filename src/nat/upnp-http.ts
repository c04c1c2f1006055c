/**
 * The HTTP side of UPnP IGD: a small request function the UpnpMapper is given, so tests and
 * the simulator can answer it. `createFetchRequester` is the real one, over `fetch` (as the
 * tracker's HTTP client is), with a timeout from the runtime clock and a size cap.
 */
import type { Clock } from '../runtime/types.js';
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

export function createFetchRequester(clock: Clock, timeoutMs = 5000): HttpRequester {
  return async (req) => {
    const ac = new AbortController();
    const timer = clock.setTimer(timeoutMs, () => ac.abort());
    try {
      const res = await fetch(req.url, {
        method: req.method,
        headers: { 'user-agent': 'Shoal/0.1 UPnP/1.1', ...req.headers },
        body: req.body,
        signal: ac.signal,
        redirect: 'error',
      });
      const chunks: Uint8Array[] = [];
      let size = 0;
      if (res.body) {
        const reader = res.body.getReader();
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          size += value.length;
          if (size > req.maxBytes) {
            await reader.cancel();
            throw new NatProtocolError(`UPnP answer from ${new URL(req.url).host} is larger than ${req.maxBytes} bytes`);
          }
          chunks.push(value);
        }
      }
      return { status: res.status, body: Buffer.concat(chunks).toString('utf8') };
    } finally {
      timer.cancel();
    }
  };
}
