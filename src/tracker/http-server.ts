/**
 * HTTP front end of the tracker server (node:http): `/announce`, `/scrape` (BEP 48) and
 * `/stats` (JSON). Every request is normalised to the shared `AnnounceRequest` shape before
 * the core sees it; malformed ones get a bencoded `failure reason`, never an exception.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Address } from '../runtime/types.js';
import { TrackerProtocolError } from './errors.js';
import { encodeAnnounceReply, encodeFailure, encodeScrapeReply, httpQueryToAnnounce, parseQuery } from './http-codec.js';
import type { TrackerCore, TrackerStats } from './server-core.js';
import type { ScrapeStats } from './types.js';

/** Longest request URL accepted. */
const MAX_URL = 8192;

export interface HttpTrackerServerOptions {
  readonly core: TrackerCore;
  /** Extra fields merged into `/stats`. */
  readonly extraStats?: () => Record<string, unknown>;
}

export class HttpTrackerServer {
  private readonly server: Server;
  private readonly o: HttpTrackerServerOptions;
  requests = 0;
  failures = 0;

  private constructor(o: HttpTrackerServerOptions) {
    this.o = o;
    this.server = createServer({ maxHeaderSize: 16 * 1024 }, (req, res) => this.onRequest(req, res));
    this.server.on('clientError', (_err, socket) => {
      this.failures++;
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 15_000;
    this.server.keepAliveTimeout = 5_000;
  }

  static async listen(o: HttpTrackerServerOptions, at: Address): Promise<HttpTrackerServer> {
    const s = new HttpTrackerServer(o);
    await new Promise<void>((resolve, reject) => {
      s.server.once('error', reject);
      s.server.listen(at.port, at.host, () => {
        s.server.removeListener('error', reject);
        resolve();
      });
    });
    return s;
  }

  get address(): Address {
    const a = this.server.address() as AddressInfo;
    return { host: a.address, port: a.port };
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private reply(res: ServerResponse, status: number, body: Uint8Array, type = 'text/plain'): void {
    res.writeHead(status, { 'content-type': type, 'content-length': body.length });
    res.end(body);
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    try {
      this.handle(req, res);
    } catch (e) {
      this.failures++;
      if (!(e instanceof TrackerProtocolError)) {
        // Our bug: still answer, never crash the server.
        this.reply(res, 500, encodeFailure('internal error'));
        return;
      }
      this.reply(res, 200, encodeFailure(e.message));
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    if (url.length > MAX_URL) throw new TrackerProtocolError('request too long');
    if (req.method !== 'GET') {
      this.reply(res, 405, encodeFailure('only GET'));
      return;
    }
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const search = q < 0 ? '' : url.slice(q + 1);
    const remote = (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '');
    if (path === '/announce') {
      const r = httpQueryToAnnounce(parseQuery(search));
      const out = this.o.core.announce(r, remote, 'both');
      if (!out.ok) this.reply(res, 200, encodeFailure(out.reason));
      // `external ip`: where we saw the request from, so a client behind a NAT learns its address.
      else this.reply(res, 200, encodeAnnounceReply({ ...out.response, externalIp: remote === '' ? undefined : remote }, r.compact !== false));
      return;
    }
    if (path === '/scrape') {
      const hashes = parseQuery(search).infoHashes;
      if (hashes.some((h) => h.length !== 20)) throw new TrackerProtocolError('info_hash must be 20 bytes');
      let files: Map<string, ScrapeStats>;
      if (hashes.length === 0) files = this.o.core.scrapeAll();
      else {
        const stats = this.o.core.scrape(hashes.slice(0, 1000));
        files = new Map(hashes.slice(0, 1000).map((h, i) => [Buffer.from(h).toString('hex'), stats[i]]));
      }
      this.reply(res, 200, encodeScrapeReply(files));
      return;
    }
    if (path === '/stats') {
      const s: TrackerStats & Record<string, unknown> = { ...this.o.core.stats(), httpRequests: this.requests, httpFailures: this.failures, ...this.o.extraStats?.() };
      this.reply(res, 200, Buffer.from(JSON.stringify(s) + '\n'), 'application/json');
      return;
    }
    this.reply(res, 404, encodeFailure('not found'));
  }
}
