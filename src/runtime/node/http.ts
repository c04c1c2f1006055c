/**
 * The seam's HTTP client over `node:http` / `node:https`: GET or POST, redirects followed (at most
 * `MAX_REDIRECTS`), the body read up to the caller's cap, and `localAddress` so a request
 * leaves from the listen address (a tracker records the address it saw).
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { HttpBodyTooLarge, NetworkError, type HttpClient, type HttpRequest, type HttpResponse } from '../types.js';
import { toNetworkError } from './errors.js';

export const MAX_REDIRECTS = 5;

export class NodeHttpClient implements HttpClient {
  async get(req: HttpRequest): Promise<HttpResponse> {
    let url = req.url;
    for (let hop = 0; ; hop++) {
      const res = await this.once(url, req, hop);
      const location = res.headers.location;
      if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && location && hop < (req.maxRedirects ?? MAX_REDIRECTS)) {
        res.resume();
        url = new URL(location, url).toString();
        continue;
      }
      const headers = new Map<string, string>();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers.set(k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v);
      return { status: res.statusCode ?? 0, headers, body: await readBody(res, url, req) };
    }
  }

  private once(url: string, req: HttpRequest, hop: number): Promise<IncomingMessage> {
    return new Promise((resolve, reject) => {
      if (req.signal?.aborted) return reject(cancelled(url));
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        return reject(new NetworkError('EINVAL', `${url}: not a URL`));
      }
      const send = parsed.protocol === 'https:' ? httpsRequest : parsed.protocol === 'http:' ? httpRequest : undefined;
      if (!send) return reject(new NetworkError('EINVAL', `${url}: not an http(s) URL`));
      // A redirect is followed with a GET, as browsers and fetch() do after a POST's 301-303.
      const body = hop === 0 && req.method === 'POST' ? req.body ?? new Uint8Array(0) : undefined;
      const headers = body ? { ...req.headers, 'content-length': String(body.length) } : req.headers;
      const r = send(parsed, { method: body ? 'POST' : 'GET', headers, localAddress: req.localHost, signal: req.signal });
      r.once('response', resolve);
      r.once('error', (e) => reject(req.signal?.aborted ? cancelled(url) : toNetworkError(e, url.split('?')[0])));
      r.end(body);
    });
  }
}

function cancelled(url: string): NetworkError {
  return new NetworkError('ECANCELED', `${url.split('?')[0]}: cancelled`);
}

function readBody(res: IncomingMessage, url: string, req: HttpRequest): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    // A declared length over the cap is refused before a byte of the body is read.
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > req.maxBodyBytes) {
      res.destroy();
      reject(new HttpBodyTooLarge(url.split('?')[0], req.maxBodyBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > req.maxBodyBytes) {
        res.destroy();
        reject(new HttpBodyTooLarge(url.split('?')[0], req.maxBodyBytes));
        return;
      }
      chunks.push(c);
    });
    res.once('end', () => resolve(Buffer.concat(chunks)));
    res.once('error', (e) => reject(req.signal?.aborted ? cancelled(url) : toNetworkError(e, url.split('?')[0])));
    res.once('aborted', () => reject(cancelled(url)));
  });
}
