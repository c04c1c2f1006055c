/**
 * HTTP/1.1 over the simulator's streams, enough for trackers and UPnP: GET or POST with
 * `Connection: close`, a `Content-Length` body (or one that ends with the stream), no TLS. The client resolves
 * names through the simulated resolver; the server parses the request line and headers
 * (16 KiB at most, like the node runtime) and answers with the handler's reply.
 */
import {
  HttpBodyTooLarge, NetworkError, resolveName,
  type Address, type ByteStream, type Dns, type HttpClient, type HttpRequest, type HttpResponse, type HttpServe, type HttpServeOptions,
  type HttpServer, type HttpServerRequest, type HttpServerResponse, type Streams,
} from '../runtime/types.js';

const MAX_HEAD_BYTES = 16 * 1024;
const CRLFCRLF = '\r\n\r\n';

export class SimHttpClient implements HttpClient {
  constructor(private readonly streams: Streams, private readonly dns: Dns) {}

  async get(req: HttpRequest): Promise<HttpResponse> {
    let url: URL;
    try {
      url = new URL(req.url);
    } catch {
      throw new NetworkError('EINVAL', `${req.url}: not a URL`);
    }
    if (url.protocol !== 'http:') throw new NetworkError('EPROTONOSUPPORT', `${url.origin}: the simulator speaks plain http only`);
    if (req.signal?.aborted) throw new NetworkError('ECANCELED', `${url.origin}: cancelled`);
    const name = url.hostname.replace(/^\[(.*)\]$/, '$1');
    const host = await resolveName({ dns: this.dns }, name, name.includes(':') ? 6 : 4);
    const stream = await this.streams.connect({ host, port: Number(url.port || 80) }, { localHost: req.localHost });
    const body = req.method === 'POST' ? req.body ?? new Uint8Array(0) : undefined;
    const headers = { host: url.host, connection: 'close', ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
    const head = `${body ? 'POST' : 'GET'} ${url.pathname}${url.search} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}${CRLFCRLF}`;
    return new Promise<HttpResponse>((resolve, reject) => {
      const chunks: Uint8Array[] = [];
      let size = 0;
      let settled = false;
      const fail = (e: Error): void => {
        if (settled) return;
        settled = true;
        stream.destroy();
        reject(e);
      };
      const onAbort = (): void => fail(new NetworkError('ECANCELED', `${url.origin}: cancelled`));
      req.signal?.addEventListener('abort', onAbort, { once: true });
      stream.onData((d) => {
        size += d.length;
        if (size > MAX_HEAD_BYTES + req.maxBodyBytes) return fail(new HttpBodyTooLarge(url.origin + url.pathname, req.maxBodyBytes));
        chunks.push(d.slice());
      });
      const finish = (): void => {
        if (settled) return;
        req.signal?.removeEventListener('abort', onAbort);
        const all = Buffer.concat(chunks);
        const end = all.indexOf(CRLFCRLF);
        const status = end < 0 ? NaN : Number(/^HTTP\/1\.[01] (\d{3})/.exec(all.subarray(0, end).toString('latin1'))?.[1]);
        if (!Number.isInteger(status)) return fail(new NetworkError('EPROTO', `${url.origin}: not an HTTP reply`));
        const body = all.subarray(end + 4);
        if (body.length > req.maxBodyBytes) return fail(new HttpBodyTooLarge(url.origin + url.pathname, req.maxBodyBytes));
        // Headers (lower-case names) for callers that read them: a web seed's Content-Range (BEP 19).
        const headers = new Map<string, string>();
        for (const line of all.subarray(0, end).toString('latin1').split('\r\n').slice(1)) {
          const colon = line.indexOf(':');
          if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
        }
        settled = true;
        stream.destroy();
        resolve({ status, headers, body });
      };
      stream.onEnd(finish);
      stream.onClose((e) => (e ? fail(e) : finish()));
      stream.write(body ? Buffer.concat([Buffer.from(head, 'latin1'), body]) : Buffer.from(head, 'latin1'));
    });
  }
}

export class SimHttpServe implements HttpServe {
  constructor(private readonly streams: Streams) {}

  async listen(at: Address, handler: (request: HttpServerRequest) => HttpServerResponse, options: HttpServeOptions = {}): Promise<HttpServer> {
    const open = new Set<ByteStream>();
    const listener = await this.streams.listen(at, (stream) => {
      open.add(stream);
      stream.onClose(() => open.delete(stream));
      let head = '';
      let done = false;
      stream.onData((d) => {
        if (done) return;
        head += Buffer.from(d).toString('latin1');
        const end = head.indexOf(CRLFCRLF);
        if (end < 0 && head.length <= MAX_HEAD_BYTES) return;
        done = true;
        const request = end < 0 ? undefined : parseHead(head.slice(0, end), stream.remote);
        if (!request) {
          options.onBadRequest?.();
          stream.write(Buffer.from('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n', 'latin1'));
          stream.end();
          return;
        }
        let out: HttpServerResponse;
        try {
          out = handler(request);
        } catch {
          out = { status: 500, body: 'internal error' };
        }
        const body = typeof out.body === 'string' ? Buffer.from(out.body) : out.body;
        const headers = { ...out.headers, 'content-length': String(body.length), connection: 'close' };
        stream.write(Buffer.from(`HTTP/1.1 ${out.status} ${out.status === 200 ? 'OK' : 'Error'}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}${CRLFCRLF}`, 'latin1'));
        stream.write(body);
        stream.end();
      });
    });
    return {
      address: listener.address,
      close: async () => {
        listener.close();
        for (const s of open) s.destroy();
      },
    };
  }
}

function parseHead(text: string, remote: Address): HttpServerRequest | undefined {
  const lines = text.split('\r\n');
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0]);
  if (!m) return undefined;
  const headers: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { method: m[1], target: m[2], remote, headers };
}
