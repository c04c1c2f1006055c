/**
 * The seam's HTTP client over `node:http` / `node:https`: one GET, no redirects followed (the
 * caller counts them), the body capped before it is read, a deadline over the whole exchange.
 */
import http from 'node:http';
import https from 'node:https';
import { NetworkError, type HttpClient, type HttpGetOptions, type HttpResponse } from '../types.js';
import { toNetworkError } from './errors.js';

export class NodeHttp implements HttpClient {
  get(url: string, options: HttpGetOptions): Promise<HttpResponse> {
    return new Promise((resolve, reject) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        reject(new NetworkError('EINVAL', `not a URL: ${url}`));
        return;
      }
      const lib = target.protocol === 'https:' ? https : target.protocol === 'http:' ? http : undefined;
      if (!lib) {
        reject(new NetworkError('EPROTONOSUPPORT', `${target.protocol} is not http: or https:`));
        return;
      }
      let settled = false;
      const fail = (e: NetworkError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(e);
      };
      const req = lib.get(target, { headers: { 'user-agent': 'Shoal/0.1', ...options.headers }, agent: false, signal: options.signal }, (res) => {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > options.maxBodyBytes) {
          fail(new NetworkError('EMSGSIZE', `${url}: body of ${declared} bytes is over the limit of ${options.maxBodyBytes}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBodyBytes) fail(new NetworkError('EMSGSIZE', `${url}: body over the limit of ${options.maxBodyBytes} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', (e) => fail(toNetworkError(e, url)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const headers = new Map<string, string>();
          for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v);
          const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
          resolve({ status: res.statusCode ?? 0, headers, body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) });
        });
      });
      req.on('error', (e: Error & { code?: string }) => fail(e.name === 'AbortError' ? new NetworkError('EABORTED', `${url}: aborted`) : toNetworkError(e, url)));
      const timer = setTimeout(() => fail(new NetworkError('ETIMEDOUT', `${url}: no complete answer in ${options.timeoutMs} ms`)), options.timeoutMs);
    });
  }
}
