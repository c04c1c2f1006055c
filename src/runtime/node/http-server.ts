/**
 * The seam's HTTP server over `node:http`: headers at most 16 KiB, a request must arrive
 * within 15 s (headers within 10 s), idle keep-alive connections close after 5 s; a malformed
 * request gets a 400 without reaching the handler.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Address, HttpServe, HttpServeOptions, HttpServer, HttpServerRequest, HttpServerResponse } from '../types.js';
import { toNetworkError } from './errors.js';

export class NodeHttpServe implements HttpServe {
  async listen(at: Address, handler: (request: HttpServerRequest) => HttpServerResponse, options: HttpServeOptions = {}): Promise<HttpServer> {
    const server = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => answer(req, res, handler));
    server.on('clientError', (_err, socket) => {
      options.onBadRequest?.();
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(toNetworkError(e, `listen on ${at.host}:${at.port}`)));
      server.listen(at.port, at.host, () => resolve());
    });
    server.removeAllListeners('error');
    server.on('error', () => undefined); // after listening: a failing connection is that connection's problem
    const a = server.address() as AddressInfo;
    return {
      address: { host: a.address, port: a.port },
      close: () => new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
    };
  }
}

function answer(req: IncomingMessage, res: ServerResponse, handler: (request: HttpServerRequest) => HttpServerResponse): void {
  const request: HttpServerRequest = {
    method: req.method ?? 'GET',
    target: req.url ?? '/',
    // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d: report the IPv4 address.
    remote: { host: (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, ''), port: req.socket.remotePort ?? 0 },
    headers: req.headers as Record<string, string | undefined>,
  };
  let out: HttpServerResponse;
  try {
    out = handler(request);
  } catch {
    out = { status: 500, body: 'internal error' };
  }
  const body = typeof out.body === 'string' ? Buffer.from(out.body) : out.body;
  res.writeHead(out.status, { 'content-length': body.length, ...out.headers });
  res.end(body);
}
