/**
 * The seam's HTTP server over `node:http`: headers at most 16 KiB, a request must arrive
 * within 15 s (headers within 10 s, counted from the connection), idle keep-alive connections
 * close after 5 s, at most `maxConnections` open; a malformed request gets a 400 without
 * reaching the handler.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Address, HttpServe, HttpServeOptions, HttpServer, HttpServerRequest, HttpServerResponse } from '../types.js';
import { toNetworkError } from './errors.js';

export class NodeHttpServe implements HttpServe {
  async listen(at: Address, handler: (request: HttpServerRequest) => HttpServerResponse, options: HttpServeOptions = {}): Promise<HttpServer> {
    // Node checks the header and request deadlines every 30 s by default: a slow client would
    // hold its connection three times as long as the headers timeout.
    const server = createServer({ maxHeaderSize: 16 * 1024, connectionsCheckingInterval: 1000 }, (req, res) => answer(req, res, handler));
    server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      options.onBadRequest?.();
      // Node's own header and request deadlines arrive here too: those are a 408, not a 400.
      const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      else socket.destroy();
    });
    const headersTimeout = options.headersTimeoutMs ?? 10_000;
    server.headersTimeout = headersTimeout;
    server.requestTimeout = Math.max(15_000, headersTimeout);
    server.keepAliveTimeout = 5_000;
    if (options.maxConnections !== undefined) server.maxConnections = options.maxConnections;
    closeSilentConnections(server, headersTimeout);
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

/**
 * Node's headers timeout starts with a request's first byte: a connection that sends nothing
 * was never closed (Node 20), so silent sockets piled up until the process ran out of file
 * descriptors. Such a connection is closed once `ms` pass without its first request. (Node
 * 20.20's periodic header check sometimes gets there first and answers 408 before closing:
 * a client sees the close only once it reads that answer.)
 */
export function closeSilentConnections(server: Server, ms: number): void {
  const started = new WeakSet<Socket>();
  // A socket timeout with no listener of ours: Node's server destroys a socket that times out.
  server.on('connection', (socket: Socket) => socket.setTimeout(ms));
  // From the first request on, Node's own timeouts apply (headers, request, keep-alive).
  server.on('request', (req: IncomingMessage) => {
    if (started.has(req.socket)) return;
    started.add(req.socket);
    req.socket.setTimeout(0);
  });
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
