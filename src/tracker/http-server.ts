/**
 * HTTP front end of the tracker server, over the runtime's HTTP server: `/announce`,
 * `/scrape` (BEP 48) and `/stats` (JSON). Every request is normalised to the shared
 * `AnnounceRequest` shape before the core sees it; malformed ones get a bencoded
 * `failure reason`, never an exception.
 */
import { NetworkError, type Address, type HttpServe, type HttpServer, type HttpServerRequest, type HttpServerResponse } from '../runtime/types.js';
import { TrackerProtocolError } from './errors.js';
import { encodeAnnounceReply, encodeFailure, encodeScrapeReply, httpQueryToAnnounce, parseQuery } from './http-codec.js';
import type { TrackerCore, TrackerStats } from './server-core.js';
import type { ScrapeStats } from './types.js';

/** Longest request URL accepted. */
const MAX_URL = 8192;

export interface HttpTrackerServerOptions {
  readonly core: TrackerCore;
  /** The runtime's HTTP server. */
  readonly serve: HttpServe | undefined;
  /** Extra fields merged into `/stats`. */
  readonly extraStats?: () => Record<string, unknown>;
  /** Open connections at most (the runtime's `HttpServeOptions.maxConnections`). */
  readonly maxConnections?: number;
  /** Time a new connection has to send its request's headers (ms; the runtime's default when left out). */
  readonly headersTimeoutMs?: number;
}

export class HttpTrackerServer {
  private server: HttpServer | undefined;
  requests = 0;
  failures = 0;
  private fullScrape: { readonly files: ReadonlyMap<string, ScrapeStats>; readonly body: Uint8Array } | undefined;

  private constructor(private readonly o: HttpTrackerServerOptions) {}

  static async listen(o: HttpTrackerServerOptions, at: Address): Promise<HttpTrackerServer> {
    if (!o.serve) throw new NetworkError('EAFNOSUPPORT', 'this runtime serves no HTTP');
    const s = new HttpTrackerServer(o);
    s.server = await o.serve.listen(at, (req) => s.onRequest(req), { onBadRequest: () => void s.failures++, maxConnections: o.maxConnections, headersTimeoutMs: o.headersTimeoutMs });
    return s;
  }

  get address(): Address {
    return this.server!.address;
  }

  close(): Promise<void> {
    return this.server?.close() ?? Promise.resolve();
  }

  private onRequest(req: HttpServerRequest): HttpServerResponse {
    this.requests++;
    try {
      return this.handle(req);
    } catch (e) {
      this.failures++;
      // Not a protocol error: our bug; still answer, never crash the server.
      if (!(e instanceof TrackerProtocolError)) return reply(500, encodeFailure('internal error'));
      return reply(200, encodeFailure(e.message));
    }
  }

  private handle(req: HttpServerRequest): HttpServerResponse {
    const url = req.target;
    if (url.length > MAX_URL) throw new TrackerProtocolError('request too long');
    if (req.method !== 'GET') return reply(405, encodeFailure('only GET'));
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const search = q < 0 ? '' : url.slice(q + 1);
    const remote = req.remote.host;
    if (path === '/announce') {
      const r = httpQueryToAnnounce(parseQuery(search));
      const out = this.o.core.announce(r, remote, 'both');
      if (!out.ok) return reply(200, encodeFailure(out.reason));
      // `external ip`: where we saw the request from, so a client behind a NAT learns its address.
      return reply(200, encodeAnnounceReply({ ...out.response, externalIp: remote === '' ? undefined : remote }, r.compact !== false));
    }
    if (path === '/scrape') {
      const hashes = parseQuery(search).infoHashes;
      if (hashes.some((h) => h.length !== 20)) throw new TrackerProtocolError('info_hash must be 20 bytes');
      if (hashes.length === 0) {
        // The core hands out the same full scrape for `fullScrapeCacheSeconds`: so is its encoding.
        const files = this.o.core.scrapeAll();
        if (this.fullScrape?.files !== files) this.fullScrape = { files, body: encodeScrapeReply(files) };
        return reply(200, this.fullScrape.body);
      }
      // The core answers the first `maxScrapeHashes` of them (BEP 48 sets no number; opentracker 64).
      const stats = this.o.core.scrape(hashes);
      return reply(200, encodeScrapeReply(new Map(stats.map((s, i) => [Buffer.from(hashes[i]).toString('hex'), s]))));
    }
    if (path === '/stats') {
      const s: TrackerStats & Record<string, unknown> = { ...this.o.core.stats(), httpRequests: this.requests, httpFailures: this.failures, ...this.o.extraStats?.() };
      return reply(200, JSON.stringify(s) + '\n', 'application/json');
    }
    return reply(404, encodeFailure('not found'));
  }
}

function reply(status: number, body: Uint8Array | string, type = 'text/plain'): HttpServerResponse {
  return { status, body, headers: { 'content-type': type } };
}
