/**
 * The daemon's HTTP server: the JSON API (/api), live events, file streaming, /metrics and
 * the web UI's static files.
 *
 * Built on fastify: well kept, and it does the parts that are easy to get wrong by hand:
 * per-route body limits (413), strict JSON parsing with prototype-poisoning protection (400),
 * content-type handling (415), a router that cannot be confused by odd paths, and streaming
 * replies that are cleaned up when the client goes away.
 *
 * Every request passes the Host check, and the Origin check when it carries an Origin (see
 * guard.ts); every route except the static UI also needs the token.
 */
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
import { ServiceError, type TorrentService } from '../types.js';
import { registerEventRoute } from './events.js';
import { HostCheck, TokenCheck } from './guard.js';
import { checkJsonShape } from './json-body.js';
import { apiLimits, type ApiLimits } from './limits.js';
import { createMetrics } from './metrics.js';
import { registerApiRoutes } from './routes-api.js';
import { registerManageRoutes } from './routes-manage.js';
import { StreamTickets } from './stream-tickets.js';
import { registerStaticRoutes } from './static.js';
import { registerStreamRoute } from './stream.js';
import { closeSilentConnections } from '../../runtime/node/http-server.js';

export interface ApiServerOptions {
  service: TorrentService;
  host: string;
  port: number;
  token: string;
  /** The built web UI; default dist/web next to the compiled sources. */
  webRoot?: string;
  /** What a client can make the server hold (limits.ts); defaults for the rest. */
  limits?: Partial<ApiLimits>;
  /** Wall-clock ms (stream URLs' expiry); default the system clock. */
  wallClock?: () => number;
  /** Host names also accepted in `Host` / `Origin` (guard.ts `HostCheck`): `--api-host`. */
  allowedHosts?: readonly string[];
}

export interface ApiServer {
  readonly address: { host: string; port: number };
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** No token needed (the static UI). */
    public?: boolean;
    /** The token may also come as `?token=` (EventSource and <video> cannot set headers). */
    queryToken?: boolean;
  }
}

/** dist/src/daemon/http/ -> dist/web */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../web', import.meta.url));

export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const limits = apiLimits(o.limits);
  // Slowloris: headers and whole requests have deadlines, checked often enough to matter
  // (Node checks every 30 s by default), and connections past the cap are closed on arrival.
  const app = Fastify({
    bodyLimit: limits.bodyLimit, forceCloseConnections: true, logger: false,
    requestTimeout: limits.requestTimeoutMs, keepAliveTimeout: limits.keepAliveTimeoutMs, maxRequestsPerSocket: limits.maxRequestsPerSocket,
    http: { headersTimeout: Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs), connectionsCheckingInterval: Math.max(50, Math.min(1000, limits.headersTimeoutMs / 4)) },
  });
  app.server.maxConnections = limits.maxConnections;
  closeSilentConnections(app.server, limits.headersTimeoutMs);
  const tokens = new TokenCheck(o.token);
  let hosts: HostCheck | undefined = undefined; // known once listening (port 0 picks the port)

  app.addHook('onRequest', async (req, reply) => {
    if (hosts === undefined || !hosts.allowsHost(req.headers.host)) {
      // Reached by a name it does not know (a NAS by its host name, a reverse proxy): say how to allow it.
      return deny(reply, 403, `Host ${JSON.stringify((req.headers.host ?? '').slice(0, 300))} is not this daemon's address; if that name is yours, start the daemon with --api-host <name>`);
    }
    // Node keeps the first of several Host headers; a proxy might use another, so refuse the ambiguity.
    if (req.raw.rawHeaders.filter((_, i) => i % 2 === 0 && /^host$/i.test(req.raw.rawHeaders[i])).length > 1) {
      return deny(reply, 400, 'more than one Host header');
    }
    const origin = req.headers.origin;
    if (origin !== undefined && !hosts.allowsOrigin(origin)) return deny(reply, 403, 'cross-origin requests are not allowed');
    const config = req.routeOptions.config;
    if (config.public === true) return;
    if (tokens.allowsHeader(req.headers.authorization)) return;
    const queryToken = (req.query as Record<string, unknown> | undefined)?.token;
    if (config.queryToken === true && typeof queryToken === 'string' && tokens.allows(queryToken)) return;
    reply.header('WWW-Authenticate', 'Bearer realm="shoal"');
    return deny(reply, 401, 'missing or wrong API token (Authorization: Bearer <token>)');
  });

  // An empty body with Content-Type: application/json is "no body", not a parse error. The
  // body's shape is checked in one pass before the parser may spend time and memory on it.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const bytes = body as Buffer;
    if (bytes.length === 0) return done(null, undefined);
    try {
      checkJsonShape(bytes, limits.maxJsonDepth, limits.maxJsonValues);
    } catch (e) {
      return done(e as Error, undefined);
    }
    parseJson(req, bytes.toString('utf8'), done);
  });

  app.setErrorHandler((err: FastifyError, req, reply) => errorReply(err, req, reply));
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'no such endpoint' }));

  registerApiRoutes(app, o.service, limits);
  registerManageRoutes(app, o.service, limits);
  const endEventStreams = registerEventRoute(app, o.service, limits);
  registerStreamRoute(app, o.service, new StreamTickets(limits.streamTicketTtlMs, limits.maxStreamTickets, o.wallClock ?? systemClock));
  const metrics = createMetrics(o.service);
  app.get('/metrics', async (_req, reply) => reply.header('Content-Type', metrics.contentType).send(await metrics.render()));
  registerStaticRoutes(app, o.webRoot ?? DEFAULT_WEB_ROOT);

  try {
    await app.listen({ host: o.host, port: o.port });
  } catch (e) {
    await app.close();
    throw e;
  }
  const port = (app.server.address() as AddressInfo).port;
  hosts = new HostCheck(o.host, port, o.allowedHosts);
  return {
    address: { host: o.host, port },
    async close() {
      endEventStreams();
      await app.close();
    },
  };
}

/** The HTTP server is Node I/O (not a protocol core): the system's wall clock is its default. */
// eslint-disable-next-line no-restricted-properties -- see above
const systemClock = (): number => Date.now();

function deny(reply: FastifyReply, status: 400 | 401 | 403, error: string): FastifyReply {
  // A refused request's body is never wanted: close after the answer rather than drain a body
  // that may trickle for requestTimeoutMs, holding a connection slot without the token.
  reply.header('connection', 'close');
  return reply.code(status).send({ error });
}

function errorReply(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  // A stream that failed before its first byte left its media headers on the reply.
  for (const h of ['content-type', 'content-length', 'content-range']) reply.removeHeader(h);
  if (err instanceof ServiceError) return reply.code(err.status).send({ error: err.message });
  const status = err.statusCode;
  if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send({ error: err.message });
  // Not the client's fault: log it (without the query string, which may hold the token).
  console.error(`shoal api: ${req.method} ${req.url.split('?', 1)[0]} failed: ${err.stack ?? String(err)}`);
  return reply.code(500).send({ error: 'internal error' });
}
